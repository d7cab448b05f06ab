package org.ntk4j.cpu;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.reference.ReferenceBackend;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.LayerSequences;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/**
 * Convolutional networks on the CPU backend against the reference: conv, avgpool, gap and flatten with dense layers
 * and activations, on odd shapes (H ≠ W, odd channels, stride 2, every padding, 1×1 and 5×5 kernels, pools that do
 * not divide the size), every mode, both implementations, fp32 and fp64, symmetric and cross, chunked, prepared.
 */
class CpuCnnTest {
    private static final ReferenceBackend REF = new ReferenceBackend();
    private static final CpuBackend FP64 = CpuBackend.open(Precision.FP64);
    private static final CpuBackend FP32 = CpuBackend.open(Precision.FP32);
    /** Tiny budget and parameter chunks: chunks of one or two examples, Jacobian columns cut inside a conv row. */
    private static final CpuBackend CHUNKED = CpuBackend.builder().precision(Precision.FP64).memoryBudget(20_000)
            .maxParameterChunk(7).build();
    private static final CpuBackend CHUNKED32 = CpuBackend.builder().precision(Precision.FP32).memoryBudget(20_000)
            .maxParameterChunk(7).build();
    private static final Implementation[] IMPLS = {Implementation.STRUCTURED, Implementation.JACOBIAN_CONTRACTION};

    @AfterAll
    static void close() {
        FP64.close();
        FP32.close();
        CHUNKED.close();
        CHUNKED32.close();
    }

    /** Every kind of layer and padding is drawn by {@link LayerSequences#randomCnn} (the reference tests check so). */
    @Test
    void randomCnnsMatchTheReferenceInEveryMode() {
        NtkMode[] modes = NtkMode.values();
        for (long seed = 1; seed <= 30; seed++) {
            Architecture arch = LayerSequences.randomCnn(seed, false);
            Matrix x1 = NtkCase.gaussianInputs(4, arch.inputDim(), seed + 1);
            Matrix x2 = NtkCase.gaussianInputs(3, arch.inputDim(), seed + 2);
            NtkMode mode = modes[(int) (seed % modes.length)];
            List<CpuBackend> backends = seed % 5 == 0 ? List.of(CHUNKED, CHUNKED32) : List.of(FP64, FP32);
            CpuBatteryTest.checkAgainstReference(new NtkCase(arch, seed, x1, seed % 2 == 0 ? x1 : x2, mode),
                    backends);
        }
    }

    /** One odd network in every mode, both implementations, both precisions, symmetric, cross and chunked. */
    @Test
    void oneOddNetworkInEveryModeAndPrecision() {
        Architecture arch = Architecture.parse("7x5x3:conv(5,5x5,same,stride=2,1.3,0.2),relu,"
                + "avgpool(3x3,circular,stride=2),conv(3,1x1,valid,1.1),erf,conv(4,2x3,circular,0.9,0.3),"
                + "avgpool(2x2,same,stride=1),flatten,dense(4,1.2,0.1),tanh,dense(3,1.0,0.2)", Parameterization.NTK);
        Matrix x1 = NtkCase.gaussianInputs(5, arch.inputDim(), 11);
        Matrix x2 = NtkCase.gaussianInputs(3, arch.inputDim(), 12);
        for (NtkMode mode : NtkMode.values()) {
            CpuBatteryTest.checkAgainstReference(new NtkCase(arch, 3, x1, x1, mode), List.of(FP64, FP32, CHUNKED));
            CpuBatteryTest.checkAgainstReference(new NtkCase(arch, 3, x1, x2, mode), List.of(FP64, FP32, CHUNKED32));
        }
    }

    /** No dense layer at all: a convolution read out by global average pooling. */
    @Test
    void aConvolutionReadOutByPoolingAlone() {
        Architecture arch = Architecture.parse("5x7x2:conv(3,3x3,same,stride=2,1.1,0.3),erf,gap", Parameterization.NTK);
        for (NtkMode mode : NtkMode.values()) {
            CpuBatteryTest.checkAgainstReference(new NtkCase(arch, 2, NtkCase.gaussianInputs(4, arch.inputDim(), 3),
                    null, mode), List.of(FP64, FP32, CHUNKED));
        }
    }

    /**
     * AUTO runs the structured form unless a convolution makes it dearer per pair: over a 12×10 image the patches'
     * Gram ((H'·W')² = 14,400 products per pair and channel) outweighs the Jacobian contraction's 8·(9 + 1) weights;
     * over a 2×2 output the structured form stays; an MLP always takes it.
     */
    @Test
    void autoPicksTheCheaperFormForConvolutions() {
        Architecture wide = Architecture.parse("12x10x1:conv(8,3x3,same,1.0,0.1),relu,gap,dense(2,1.0,0.1)",
                Parameterization.NTK);
        Architecture small = Architecture.parse("4x4x8:conv(16,3x3,valid,1.0,0.1),relu,flatten,dense(2,1.0,0.1)",
                Parameterization.NTK);
        Architecture mlp = Architecture.parse("5:dense(7,1.0,0.1),relu,dense(2,1.0,0.1)", Parameterization.NTK);
        String[] expected = {"ntk jacobian_contraction trace", "ntk structured trace", "ntk structured trace"};
        Architecture[] archs = {wide, small, mlp};
        for (int k = 0; k < archs.length; k++) {
            Parameters p = Parameters.init(archs[k], 1);
            Matrix x = NtkCase.gaussianInputs(3, archs[k].inputDim(), 2);
            Compare.assertClose(archs[k].spec(), FP64.kernel(p, x, NtkMode.TRACE, Implementation.AUTO),
                    REF.kernel(p, x, NtkMode.TRACE, Implementation.AUTO), Tolerances.FP64);
            org.junit.jupiter.api.Assertions.assertEquals(expected[k], FP64.lastProfile().operation(), archs[k].spec());
        }
    }

    /**
     * The Jacobian contraction with J materialised (it fits the budget: each example's J formed once, contracted as
     * one block, in column chunks of 7 on the narrow backends) and chunked (a budget J does not fit: blocks of
     * chunks), every mode, symmetric and cross, fp64 and fp32, against the reference.
     */
    @Test
    void jacobianContractionMaterialisedOrChunkedMatchesTheReference() {
        Architecture arch = Architecture.parse("7x6x2:conv(3,3x3,same,1.1,0.2),relu,conv(4,2x2,valid,stride=2,0.9,0.3),"
                + "tanh,flatten,dense(3,1.0,0.1)", Parameterization.NTK);
        Parameters p = Parameters.init(arch, 5);
        Matrix x1 = NtkCase.gaussianInputs(5, arch.inputDim(), 6);
        Matrix x2 = NtkCase.gaussianInputs(4, arch.inputDim(), 7);
        int columns = (int) arch.parameterCount();
        try (CpuBackend narrow64 = CpuBackend.builder().precision(Precision.FP64).maxParameterChunk(7).build();
             CpuBackend narrow32 = CpuBackend.builder().precision(Precision.FP32).maxParameterChunk(7).build()) {
            for (NtkMode mode : NtkMode.values()) {
                for (Matrix other : new Matrix[] {null, x2}) {
                    Tensor expected = other == null ? REF.kernel(p, x1, mode, Implementation.AUTO)
                            : REF.kernel(p, x1, other, mode, Implementation.AUTO);
                    for (CpuBackend cpu : List.of(FP64, FP32, narrow64, narrow32, CHUNKED, CHUNKED32)) {
                        String what = cpu.precision() + " " + mode + (other == null ? " symmetric" : " cross");
                        Tensor got = other == null ? cpu.kernel(p, x1, mode, Implementation.JACOBIAN_CONTRACTION)
                                : cpu.kernel(p, x1, other, mode, Implementation.JACOBIAN_CONTRACTION);
                        Compare.assertClose(what, got, expected,
                                cpu.precision() == Precision.FP64 ? Tolerances.FP64 : Tolerances.FP32);
                        CpuProfile prof = cpu.lastProfile();
                        boolean chunked = cpu == CHUNKED || cpu == CHUNKED32;
                        org.junit.jupiter.api.Assertions.assertEquals(!chunked, prof.blocks() == 1, what + ": " + prof);
                        if (cpu == narrow64 || cpu == narrow32) {
                            org.junit.jupiter.api.Assertions.assertEquals((columns + 6) / 7,
                                    prof.parameterChunks(), what + ": " + prof);
                        }
                    }
                }
            }
        }
    }

    @Test
    void symmetricEqualsCrossWithTheSameInputs() {
        Architecture arch = Architecture.parse("6x4x2:conv(3,3x3,same,1.2,0.4),gelu,gap,dense(2,1.0,0.3)",
                Parameterization.STANDARD);
        Parameters p = Parameters.init(arch, 4);
        Matrix x = NtkCase.gaussianInputs(5, arch.inputDim(), 5);
        for (CpuBackend cpu : List.of(FP64, FP32)) {
            double tol = cpu.precision() == Precision.FP64 ? Tolerances.FP64 : Tolerances.FP32;
            for (NtkMode mode : NtkMode.values()) {
                for (Implementation impl : IMPLS) {
                    Compare.assertClose(cpu.precision() + " " + mode + " " + impl, cpu.kernel(p, x, mode, impl),
                            cpu.kernel(p, x, x.copy(), mode, impl), tol);
                }
            }
        }
    }

    /** All-zero images (every patch zero: only biases reach the output) and relu units all dead below a layer. */
    @Test
    void zeroInputsAndDeadReluUnits() {
        Architecture arch = Architecture.parse("5x6x1:conv(3,3x3,same,1.0,0.7),relu,conv(2,2x2,valid,1.1,0.5),relu,"
                + "flatten,dense(2,1.0,0.2)", Parameterization.NTK);
        Parameters p = Parameters.init(arch, 6);
        // the second conv's biases far below zero: its relu passes nothing
        double[] dead = p.bias(1);
        java.util.Arrays.fill(dead, -1e3);
        Matrix zeros = Matrix.zeros(3, arch.inputDim());
        Matrix x = NtkCase.gaussianInputs(3, arch.inputDim(), 8);
        for (Parameters q : new Parameters[] {Parameters.init(arch, 6), p}) {
            for (Matrix in : new Matrix[] {zeros, x}) {
                for (NtkMode mode : NtkMode.values()) {
                    for (Implementation impl : IMPLS) {
                        Compare.assertClose("fp64 " + mode + " " + impl, FP64.kernel(q, in, mode, impl),
                                REF.kernel(q, in, mode, Implementation.AUTO), Tolerances.FP64);
                        Compare.assertClose("fp32 " + mode + " " + impl, FP32.kernel(q, in, mode, impl),
                                REF.kernel(q, in, mode, Implementation.AUTO), Tolerances.FP32);
                    }
                }
                Compare.assertClose("Jacobian", FP64.jacobian(q, in), REF.jacobian(q, in), Tolerances.FP64);
            }
        }
    }

    @Test
    void aPreparedCnnStepsAndKernelsAsTheReference() {
        Architecture arch = Architecture.parse("5x4x2:conv(3,3x3,circular,stride=2,1.3,0.2),tanh,"
                + "conv(2,3x1,same,0.8,0.1),avgpool(2x2,valid,stride=1),flatten,dense(3,1.0,0.4)",
                Parameterization.STANDARD);
        Parameters p = Parameters.init(arch, 9);
        Matrix x = NtkCase.gaussianInputs(6, arch.inputDim(), 10);
        Matrix x2 = NtkCase.gaussianInputs(3, arch.inputDim(), 11);
        Matrix y = NtkCase.gaussianInputs(6, 3, 12);
        for (CpuBackend cpu : List.of(FP64, FP32)) {
            double tol = cpu.precision() == Precision.FP64 ? Tolerances.FP64 : Tolerances.FP32;
            try (PreparedModel m = cpu.prepare(p.copy())) {
                Parameters cur = p.copy();
                for (int step = 0; step < 3; step++) {
                    LossGradient g = REF.mseLossGradient(cur, x, y);
                    double loss = m.step(x, y, 0.2);
                    Compare.assertClose(cpu.precision() + " loss at step " + step, new double[] {loss},
                            new double[] {g.loss()}, tol);
                    cur.addScaled(-0.2, g.gradient());
                    Compare.assertClose(cpu.precision() + " parameters after step " + step, m.parameters().toFlat(),
                            cur.toFlat(), tol);
                }
                Compare.assertClose(cpu.precision() + " prepared forward", m.forward(x2), REF.forward(cur, x2), tol);
                for (Implementation impl : IMPLS) {
                    for (NtkMode mode : NtkMode.values()) {
                        Compare.assertClose(cpu.precision() + " prepared " + mode + " " + impl,
                                m.kernel(x, x2, mode, impl), REF.kernel(cur, x, x2, mode, Implementation.AUTO), tol);
                    }
                }
            }
        }
    }
}
