package org.ntk4j.testing;

import java.util.EnumMap;
import java.util.Map;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Backend;

/**
 * The bars one generated case's results are held to against the fp64 reference, by one rule for every backend (CPU,
 * CUDA): fp64 results within {@link Tolerances#FP64}, fp32 results within {@link Tolerances#fp32} of this case's own
 * fp32 sensitivity and cancellation — the kernel in each mode, the forward pass, the Jacobian, the MSE gradient and
 * loss. (TF32 is a precision of the Jacobian contraction's products only: its kernels are held to
 * {@link Tolerances#TF32}.)
 */
public final class Bars {
    private static final Backend REF = Reference.backend();

    private final Map<NtkMode, Double> ntk32 = new EnumMap<>(NtkMode.class);
    private final double forward32;
    private final double forwardRatio;
    private final double jacobian32;
    private final double gradient32;
    private final double gradientRatio;
    private final double loss32;

    private Bars(NtkCase c, Matrix y) {
        Parameters p = c.params();
        Matrix f = REF.forward(p, c.x1());
        Matrix j = REF.jacobian(p, c.x1());
        LossGradient g = REF.mseLossGradient(p, c.x1(), y);
        // how much error fp32 cannot avoid on this case: the same quantities with every input and parameter moved by
        // one fp32 rounding, and the cancellation-free sizes of the final sums (Compare's scales)
        Parameters pp = Conditioning.perturbed(p, c.seed() + 1);
        Matrix x1p = Conditioning.perturbed(c.x1(), c.seed() + 2);
        Matrix x2p = c.symmetric() ? x1p : Conditioning.perturbed(c.x2(), c.seed() + 3);
        Matrix j2 = c.symmetric() ? j : REF.jacobian(p, c.x2());
        for (NtkMode m : NtkMode.values()) {
            Tensor exact = REF.kernel(p, c.x1(), c.x2(), m, Implementation.AUTO);
            Tensor moved = REF.kernel(pp, x1p, x2p, m, Implementation.AUTO);
            double[] magnitude = Conditioning.kernelMagnitude(j, j2, c.arch().outputDim(), m);
            ntk32.put(m, Tolerances.fp32(Compare.relativeError(moved.doubles(), exact.doubles()),
                    Conditioning.ratio(magnitude, exact.doubles())));
        }
        forwardRatio = Conditioning.ratio(Compare.forwardScale(p, c.x1()), f.data());
        gradientRatio = Conditioning.ratio(Compare.gradientScale(j, f, y), g.gradient());
        forward32 = Tolerances.fp32(Compare.relativeError(REF.forward(pp, x1p).data(), f.data()), forwardRatio);
        jacobian32 = Tolerances.fp32(Compare.relativeError(REF.jacobian(pp, x1p).data(), j.data()), 1);
        gradient32 = Tolerances.fp32(Compare.relativeError(REF.mseLossGradient(pp, x1p, y).gradient(),
                g.gradient()), gradientRatio);
        // loss = ½·mean(r²), r = f − y: an error Δf moves it by at most ‖r‖·‖Δf‖/count, i.e. relatively 2·‖Δf‖/‖r‖
        double[] r = f.data().clone();
        for (int i = 0; i < r.length; i++) {
            r[i] -= y.data()[i];
        }
        loss32 = Math.min(Tolerances.FP32_CAP, Math.max(Tolerances.FP32, 2 * forward32 * Conditioning.ratio(f.data(),
                r)));
    }

    /**
     * The bars of case {@code c}, with {@code y} the targets of its MSE loss.
     *
     * @param c the case
     * @param y the targets (rows of c.x1(), outputDim columns)
     * @return its bars
     */
    public static Bars of(NtkCase c, Matrix y) {
        return new Bars(c, y);
    }

    /** The kernel in mode {@code m}, computed in {@code p} by {@code impl}. */
    public double ntk(Precision p, NtkMode m, Implementation impl) {
        return switch (p) {
            case FP64 -> Tolerances.FP64;
            case FP32 -> ntk32.get(m);
            case TF32 -> impl == Implementation.JACOBIAN_CONTRACTION ? Tolerances.TF32 : ntk32.get(m);
        };
    }

    /** The forward pass (fp64 scaled by its cancellation too: the outputs may sum to nearly 0). */
    public double forward(Precision p) {
        return p == Precision.FP64 ? Tolerances.FP64 * Math.max(1, forwardRatio) : forward32;
    }

    /** The Jacobian. */
    public double jacobian(Precision p) {
        return p == Precision.FP64 ? Tolerances.FP64 : jacobian32;
    }

    /** The MSE loss gradient (fp64 scaled by the cancellation of its per-example terms). */
    public double gradient(Precision p) {
        return p == Precision.FP64 ? Tolerances.FP64 * Math.max(1, gradientRatio) : gradient32;
    }

    /** The MSE loss. */
    public double loss(Precision p) {
        return p == Precision.FP64 ? Tolerances.FP64 : loss32;
    }
}
