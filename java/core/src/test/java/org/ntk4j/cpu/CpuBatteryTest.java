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
import org.ntk4j.testing.Bars;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.LayerSequences;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.NtkCases;
import org.ntk4j.testing.Tolerances;

/**
 * Every CPU variant — fp32 and fp64, system and pure-Java BLAS, Vector API and plain kernels, structured and
 * Jacobian contraction — against the fp64 reference on the generated battery: the kernel in the case's mode
 * (symmetric or cross), the forward pass, the Jacobian and the MSE loss and gradient. fp64 must be within
 * {@link Tolerances#FP64}; fp32 within {@link Tolerances#fp32}, which is {@link Tolerances#FP32} unless the case is so
 * ill-conditioned (cancelling sums) that fp32 itself cannot be that close — the rule every backend is held to
 * ({@link Bars}).
 */
class CpuBatteryTest {
    private static final ReferenceBackend REF = new ReferenceBackend();
    /** Variants run on every case: both precisions on both BLAS, Vector API loops. */
    private static final List<CpuBackend> MAIN = new ArrayList<>();
    /** The plain-loop kernels, on fewer cases. */
    private static final List<CpuBackend> SCALAR = new ArrayList<>();

    static {
        for (Precision p : new Precision[] {Precision.FP32, Precision.FP64}) {
            if (CpuBackend.nativeBlasAvailable()) {
                MAIN.add(CpuBackend.builder().precision(p).blas(org.ntk4j.Blas.NATIVE).build());
            }
            MAIN.add(CpuBackend.builder().precision(p).blas(org.ntk4j.Blas.JAVA).build());
        }
        SCALAR.add(CpuBackend.builder().precision(Precision.FP32).vectorApi(false).build());
        SCALAR.add(CpuBackend.builder().precision(Precision.FP64).blas(org.ntk4j.Blas.JAVA).vectorApi(false).build());
    }

    @AfterContainer
    static void closeAll() {
        MAIN.forEach(CpuBackend::close);
        SCALAR.forEach(CpuBackend::close);
        System.out.println("[ntk4j] CPU battery: " + Tolerances.fp32Report());
    }

    @Provide
    Arbitrary<NtkCase> cases() {
        return NtkCases.all();
    }

    @Property(tries = 200)
    void everyVariantMatchesTheReference(@ForAll("cases") NtkCase c) {
        checkAgainstReference(c, MAIN);
    }

    @Provide
    Arbitrary<NtkCase> sequences() {
        return NtkCases.layerSequences(LayerSequences.Form.GENERAL);
    }

    /**
     * Sequences that are not MLPs: per-layer σ_w/σ_b and bias, mixed activations, dense after dense, several
     * activations in a row, activations after the last dense layer.
     */
    @Property(tries = 80)
    void layerSequencesMatchTheReference(@ForAll("sequences") NtkCase c) {
        checkAgainstReference(c, MAIN);
    }

    @Property(tries = 40)
    void plainLoopKernelsMatchTheReference(@ForAll("cases") NtkCase c) {
        checkAgainstReference(c, SCALAR);
    }

    static void checkAgainstReference(NtkCase c, List<CpuBackend> backends) {
        var p = c.params();
        Matrix y = NtkCase.gaussianInputs(c.x1().rows(), c.arch().outputDim(), c.seed() + 7);
        Tensor expected = REF.kernel(p, c.x1(), c.x2(), c.mode(), Implementation.AUTO);
        Matrix f = REF.forward(p, c.x1());
        Matrix j = REF.jacobian(p, c.x1());
        LossGradient g = REF.mseLossGradient(p, c.x1(), y);
        Bars bars = Bars.of(c, y);
        for (CpuBackend b : backends) {
            Precision prec = b.precision();
            double floor = Tolerances.underflowFloor(prec);
            for (Implementation impl : new Implementation[] {Implementation.STRUCTURED, Implementation.JACOBIAN_CONTRACTION}) {
                Compare.assertClose(b.name() + " " + prec + " " + impl + " vs reference, " + c, b.kernel(p, c.x1(), c.x2(), c.mode(), impl),
                        expected, bars.ntk(prec, c.mode(), impl), floor);
            }
            Compare.assertClose(b.name() + " forward vs reference, " + c, b.forward(p, c.x1()), f, bars.forward(prec), floor);
            Compare.assertClose(b.name() + " Jacobian vs reference, " + c, b.jacobian(p, c.x1()), j, bars.jacobian(prec), floor);
            LossGradient lg = b.mseLossGradient(p, c.x1(), y);
            Compare.assertClose(b.name() + " MSE gradient vs reference, " + c, lg.gradient(), g.gradient(),
                    bars.gradient(prec), floor);
            Compare.assertClose(b.name() + " MSE loss vs reference, " + c, new double[] {lg.loss()},
                    new double[] {g.loss()}, bars.loss(prec), floor);
        }
    }
}
