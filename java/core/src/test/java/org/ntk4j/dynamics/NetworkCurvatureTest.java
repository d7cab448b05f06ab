package org.ntk4j.dynamics;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Reference;

/** Exact second-order products against central differences of the reference backend's outputs and Jacobians. */
class NetworkCurvatureTest {
    private static final Ntk REF = Reference.ntk();

    static double[] unitDirection(int p, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[p];
        double s = 0;
        for (int i = 0; i < p; i++) {
            v[i] = rng.nextGaussian();
            s += v[i] * v[i];
        }
        for (int i = 0; i < p; i++) {
            v[i] /= Math.sqrt(s);
        }
        return v;
    }

    static Parameters shifted(Parameters p, double[] v, double eps) {
        Parameters q = p.copy();
        q.addScaled(eps, v);
        return q;
    }

    /** Jᵀw from the reference Jacobian. */
    static double[] jacobianTransposeTimes(Parameters p, Matrix x, Matrix w) {
        Matrix j = REF.jacobian(p, x);
        return LinearAlgebra.multiply(j, true, new Matrix(w.data().length, 1, w.data()), false).data();
    }

    @Test
    void productsMatchFiniteDifferencesForSmoothNetworks() {
        Matrix x = NtkCase.gaussianInputs(5, 4, 1);
        for (Activation act : new Activation[] {Activation.TANH, Activation.GELU, Activation.ERF}) {
            for (Parameterization par : Parameterization.values()) {
                for (boolean bias : new boolean[] {true, false}) {
                    Architecture.Builder b = Architecture.builder(4).hidden(7, 6).activation(act).parameterization(par)
                            .output(3).sigmaW(1.3);
                    Architecture arch = bias ? b.sigmaB(0.4).build() : b.noBias().build();
                    Parameters p = Parameters.init(arch, 11);
                    double[] v = unitDirection((int) arch.parameterCount(), 12);
                    Matrix w = NtkCase.gaussianInputs(5, 3, 13);
                    NetworkCurvature c = new NetworkCurvature(p, x);
                    String what = act + " " + par + (bias ? " bias" : " no-bias");
                    Compare.assertClose(what + " outputs", c.outputs(), REF.forward(p, x), 1e-13);
                    // Central differences: truncation ~ε², rounding ~1e-16/ε (first) or 1e-16/ε² (second).
                    double e1 = 1e-5;
                    Matrix fp = REF.forward(shifted(p, v, e1), x);
                    Matrix fm = REF.forward(shifted(p, v, -e1), x);
                    double[] jvp = new double[fp.data().length];
                    for (int i = 0; i < jvp.length; i++) {
                        jvp[i] = (fp.data()[i] - fm.data()[i]) / (2 * e1);
                    }
                    Compare.assertClose(what + " J·v", c.jacobianVectorProduct(v).data(), jvp, 1e-8);
                    double e2 = 1e-3;
                    Matrix f0 = REF.forward(p, x);
                    Matrix f2p = REF.forward(shifted(p, v, e2), x);
                    Matrix f2m = REF.forward(shifted(p, v, -e2), x);
                    double[] second = new double[f0.data().length];
                    for (int i = 0; i < second.length; i++) {
                        second[i] = (f2p.data()[i] - 2 * f0.data()[i] + f2m.data()[i]) / (e2 * e2);
                    }
                    Compare.assertClose(what + " ∇²f[v,v]", c.secondDirectional(v).data(), second, 1e-5);
                    double[] gp = jacobianTransposeTimes(shifted(p, v, e1), x, w);
                    double[] gm = jacobianTransposeTimes(shifted(p, v, -e1), x, w);
                    double[] hv = new double[gp.length];
                    for (int i = 0; i < hv.length; i++) {
                        hv[i] = (gp[i] - gm[i]) / (2 * e1);
                    }
                    Compare.assertClose(what + " H_w·v", c.hessianVectorProduct(w, v), hv, 1e-8);
                }
            }
        }
    }

    @Test
    void reluAwayFromKinksAndLinearNetworks() {
        // relu: for a tiny step no pre-activation crosses 0, so differences see the almost-everywhere Hessian.
        Matrix x = NtkCase.gaussianInputs(4, 3, 2);
        Architecture arch = Architecture.builder(3).hidden(6, 5).output(2).sigmaB(0.3).build();
        Parameters p = Parameters.init(arch, 3);
        double[] v = unitDirection((int) arch.parameterCount(), 4);
        Matrix w = NtkCase.gaussianInputs(4, 2, 5);
        double e = 1e-6;
        double[] gp = jacobianTransposeTimes(shifted(p, v, e), x, w);
        double[] gm = jacobianTransposeTimes(shifted(p, v, -e), x, w);
        double[] hv = new double[gp.length];
        for (int i = 0; i < hv.length; i++) {
            hv[i] = (gp[i] - gm[i]) / (2 * e);
        }
        Compare.assertClose("relu H_w·v", new NetworkCurvature(p, x).hessianVectorProduct(w, v), hv, 1e-7);
        // A single dense layer is linear in θ: its Hessian vanishes.
        Architecture lin = Architecture.builder(3).output(2).sigmaB(0.3).build();
        Parameters pl = Parameters.init(lin, 3);
        double[] vl = unitDirection((int) lin.parameterCount(), 4);
        NetworkCurvature cl = new NetworkCurvature(pl, x);
        Compare.assertClose("linear ∇²f", cl.secondDirectional(vl).data(), new double[8], 0);
        assertThrows(InvalidInputException.class, () -> cl.hessianVectorProduct(Matrix.zeros(3, 2), vl));
        assertThrows(InvalidInputException.class, () -> cl.secondDirectional(new double[3]));
    }
}
