package org.ntk4j.cpu;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.reference.ReferenceBackend;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.Conditioning;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.NtkCases;
import org.ntk4j.testing.Tolerances;

/**
 * Every CPU variant — fp32 and fp64, system and pure-Java BLAS, Vector API and plain kernels, structured and
 * Jacobian contraction — against the fp64 reference on the generated battery: the kernel in the case's mode
 * (symmetric or cross), the forward pass, the Jacobian and the MSE loss and gradient. fp64 must be within
 * {@link Tolerances#FP64}; fp32 within {@link Tolerances#fp32}, which is {@link Tolerances#FP32} unless the case is so
 * ill-conditioned (cancelling sums) that fp32 itself cannot be that close.
 */
class CpuBatteryTest {
    private static final ReferenceBackend REF = new ReferenceBackend();
    /** Variants run on every case: both precisions on both BLAS, Vector API kernels. */
    private static final List<CpuBackend> MAIN = new ArrayList<>();
    /** The plain-loop kernels, on fewer cases. */
    private static final List<CpuBackend> SCALAR = new ArrayList<>();

    static {
        for (Precision p : new Precision[] {Precision.FP32, Precision.FP64}) {
            if (CpuBackend.nativeBlasAvailable()) {
                MAIN.add(CpuBackend.builder().precision(p).blas(BlasChoice.NATIVE).build());
            }
            MAIN.add(CpuBackend.builder().precision(p).blas(BlasChoice.JAVA).build());
        }
        SCALAR.add(CpuBackend.builder().precision(Precision.FP32).vectorApi(false).build());
        SCALAR.add(CpuBackend.builder().precision(Precision.FP64).blas(BlasChoice.JAVA).vectorApi(false).build());
    }

    @AfterContainer
    static void closeAll() {
        MAIN.forEach(CpuBackend::close);
        SCALAR.forEach(CpuBackend::close);
    }

    @Provide
    Arbitrary<NtkCase> cases() {
        return NtkCases.all();
    }

    @Property(tries = 200)
    void everyVariantMatchesTheReference(@ForAll("cases") NtkCase c) {
        checkAgainstReference(c, MAIN);
    }

    @Property(tries = 40)
    void plainLoopKernelsMatchTheReference(@ForAll("cases") NtkCase c) {
        checkAgainstReference(c, SCALAR);
    }

    static void checkAgainstReference(NtkCase c, List<CpuBackend> backends) {
        var p = c.params();
        Matrix y = NtkCase.gaussianInputs(c.x1().rows(), c.arch().outputDim(), c.seed() + 7);
        Tensor expected = REF.ntk(p, c.x1(), c.x2(), c.mode(), Implementation.AUTO);
        Matrix f = REF.forward(p, c.x1());
        Matrix j = REF.jacobian(p, c.x1());
        LossGradient g = REF.mseLossGradient(p, c.x1(), y);
        // how much error fp32 cannot avoid on this case (Tolerances.fp32): the same quantities with every input and
        // parameter moved by one fp32 rounding, and the cancellation-free sizes of the final sums (Compare's scales)
        var pp = Conditioning.perturbed(p, c.seed() + 1);
        Matrix x1p = Conditioning.perturbed(c.x1(), c.seed() + 2);
        double ntkBar = fp32Bar(c, c.mode());
        double fRatio = Conditioning.ratio(Compare.forwardScale(p, c.x1()), f.data());
        double gRatio = Conditioning.ratio(Compare.gradientScale(j, f, y), g.gradient());
        double fBar = Tolerances.fp32(Compare.relativeError(REF.forward(pp, x1p).data(), f.data()), fRatio);
        double jBar = Tolerances.fp32(Compare.relativeError(REF.jacobian(pp, x1p).data(), j.data()), 1);
        double gBar = Tolerances.fp32(Compare.relativeError(REF.mseLossGradient(pp, x1p, y).gradient(), g.gradient()),
                gRatio);
        // loss = ½·mean(r²), r = f − y: an error Δf moves it by at most ‖r‖·‖Δf‖/count, i.e. relatively 2·‖Δf‖/‖r‖
        double[] r = f.data().clone();
        for (int i = 0; i < r.length; i++) {
            r[i] -= y.data()[i];
        }
        double lossBar = Math.max(Tolerances.FP32, 2 * fBar * Conditioning.ratio(f.data(), r));
        for (CpuBackend b : backends) {
            boolean fp32 = b.precision() == Precision.FP32;
            for (Implementation impl : new Implementation[] {Implementation.STRUCTURED, Implementation.JACOBIAN_CONTRACTION}) {
                Compare.assertClose(b.name() + " " + impl + " vs reference, " + c, b.ntk(p, c.x1(), c.x2(), c.mode(), impl),
                        expected, fp32 ? ntkBar : Tolerances.FP64);
            }
            Compare.assertClose(b.name() + " forward vs reference, " + c, b.forward(p, c.x1()), f,
                    fp32 ? fBar : Tolerances.FP64 * Math.max(1, fRatio));
            Compare.assertClose(b.name() + " Jacobian vs reference, " + c, b.jacobian(p, c.x1()), j,
                    fp32 ? jBar : Tolerances.FP64);
            LossGradient lg = b.mseLossGradient(p, c.x1(), y);
            Compare.assertClose(b.name() + " MSE gradient vs reference, " + c, lg.gradient(), g.gradient(),
                    fp32 ? gBar : Tolerances.FP64 * Math.max(1, gRatio));
            Compare.assertClose(b.name() + " MSE loss vs reference, " + c, new double[] {lg.loss()},
                    new double[] {g.loss()}, fp32 ? lossBar : Tolerances.FP64);
        }
    }

    /** {@link Tolerances#fp32} for this case's kernel in mode m: its sensitivity and its terms' magnitude. */
    static double fp32Bar(NtkCase c, NtkMode m) {
        var p = c.params();
        Tensor exact = REF.ntk(p, c.x1(), c.x2(), m, Implementation.AUTO);
        Matrix x1p = Conditioning.perturbed(c.x1(), c.seed() + 2);
        Matrix x2p = c.symmetric() ? x1p : Conditioning.perturbed(c.x2(), c.seed() + 3);
        Tensor moved = REF.ntk(Conditioning.perturbed(p, c.seed() + 1), x1p, x2p, m, Implementation.AUTO);
        Matrix j1 = REF.jacobian(p, c.x1());
        Matrix j2 = c.symmetric() ? j1 : REF.jacobian(p, c.x2());
        double[] magnitude = Conditioning.kernelMagnitude(j1, j2, c.arch().outputDim(), m);
        return Tolerances.fp32(Compare.relativeError(moved.data(), exact.data()),
                Conditioning.ratio(magnitude, exact.data()));
    }
}
