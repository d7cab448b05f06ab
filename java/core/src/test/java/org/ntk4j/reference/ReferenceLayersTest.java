package org.ntk4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.model.Shape;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.LayerSequences;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/** The reference on sequences that are not MLPs: per-layer scales and activations, checked against definitions. */
class ReferenceLayersTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    @Test
    void eachDenseLayerUsesItsOwnScalesAndEachActivationItsOwnFunction() {
        // x (2) → dense(3, σ_w 1.7, σ_b 0.4) → tanh → dense(2, σ_w 0.6, no bias) → dense(1, σ_w 1.3, σ_b 0.9) → erf
        Architecture arch = Architecture.of(Shape.flat(2), Parameterization.NTK, Layer.dense(3, 1.7, 0.4),
                Layer.activation(Activation.TANH), Layer.denseNoBias(2, 0.6), Layer.dense(1, 1.3, 0.9),
                Layer.activation(Activation.ERF));
        Parameters p = Parameters.init(arch, 4);
        double[] x = {0.3, -1.2};
        double[] z1 = new double[3];
        for (int i = 0; i < 3; i++) {
            z1[i] = 1.7 / Math.sqrt(2) * (p.weights(0)[i * 2] * x[0] + p.weights(0)[i * 2 + 1] * x[1]) + 0.4 * p.bias(0)[i];
        }
        double[] z2 = new double[2];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                z2[i] += 0.6 / Math.sqrt(3) * p.weights(1)[i * 3 + j] * Math.tanh(z1[j]);
            }
        }
        double z3 = 1.3 / Math.sqrt(2) * (p.weights(2)[0] * z2[0] + p.weights(2)[1] * z2[1]) + 0.9 * p.bias(2)[0];
        double f = Activation.ERF.apply(z3);
        assertEquals(f, ref.forward(p, new Matrix(1, 2, x)).get(0, 0), 1e-14);
        // the standard parameterization moves σ into the initialisation: the same function for the same draws
        Architecture std = Architecture.parse(arch.spec(), Parameterization.STANDARD);
        Parameters ps = Parameters.init(std, 4);
        assertEquals(f, ref.forward(ps, new Matrix(1, 2, x)).get(0, 0), 1e-14);
    }

    @Test
    void jacobianMatchesCentralDifferencesOnRandomSequences() {
        for (long seed = 1; seed <= 40; seed++) {
            Architecture arch = LayerSequences.random(seed, LayerSequences.Form.GENERAL, true);
            Parameters p = Parameters.init(arch, seed);
            Matrix x = NtkCase.gaussianInputs(3, arch.inputDim(), seed + 100);
            Compare.assertClose("reference Jacobian vs central differences, " + arch, ref.jacobian(p, x).data(),
                    ReferenceBackendTest.centralDifferenceJacobian(ref, p, x), 1e-6);
        }
    }

    @Test
    void theLayersStructuredTermsSumToJacobianProducts() {
        for (long seed = 1; seed <= 30; seed++) {
            Architecture arch = LayerSequences.random(seed, LayerSequences.Form.GENERAL, false);
            Parameters p = Parameters.init(arch, seed);
            Matrix x1 = NtkCase.gaussianInputs(4, arch.inputDim(), seed + 1);
            Matrix x2 = NtkCase.gaussianInputs(3, arch.inputDim(), seed + 2);
            Tensor structured = ReferenceBackend.structuredNtk(p, x1, x2);
            Tensor product = ref.kernel(p, x1, x2, NtkMode.FULL, Implementation.JACOBIAN_CONTRACTION);
            Compare.assertClose("structured terms vs J1·J2ᵀ, " + arch, structured, product, Tolerances.FP64);
        }
    }

    @Test
    void theRandomSequencesAreNotMlps() {
        int uniform = 0;
        for (long seed = 1; seed <= 40; seed++) {
            uniform += LayerSequences.random(seed, LayerSequences.Form.GENERAL, true).isUniformMlp() ? 1 : 0;
        }
        assertFalse(uniform > 4, uniform + " of 40 random sequences are plain MLPs");
    }
}
