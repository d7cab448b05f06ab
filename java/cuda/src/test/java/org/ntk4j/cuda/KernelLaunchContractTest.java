package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.NtkCase;

/**
 * Runs every backend path on a {@link RecordingDriver} (no GPU needed) and checks each recorded launch against the
 * kernels' binary signatures, read from the PTX that the build emits: the entry point exists, the argument count and
 * every argument's type match, grids respect the limits, every device address passed lies in a live allocation, and
 * nothing leaks. Values are not checked here (the recording driver computes nothing); the GPU tests do that.
 */
class KernelLaunchContractTest {
    private static final long GIB = 1L << 30;
    private static Map<String, List<String>> signatures;

    @BeforeAll
    static void readPtx() throws IOException {
        try (InputStream in = KernelLaunchContractTest.class.getResourceAsStream("/org/ntk4j/cuda/ntk4j_kernels.ptx")) {
            Assumptions.assumeTrue(in != null, "built without CUDA kernels (no nvcc): no PTX to check launches against");
            String ptx = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            signatures = new HashMap<>();
            Matcher m = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)", Pattern.DOTALL).matcher(ptx);
            Pattern param = Pattern.compile("\\.param \\.(\\w+) ");
            while (m.find()) {
                List<String> types = new ArrayList<>();
                Matcher p = param.matcher(m.group(2));
                while (p.find()) {
                    types.add(p.group(1));
                }
                signatures.put(m.group(1), types);
            }
            assertTrue(signatures.size() > 30, "parsed only " + signatures.size() + " entry points from the PTX");
        }
    }

    private static void checkLaunches(RecordingDriver d, String context) {
        for (RecordingDriver.Launch l : d.launches) {
            List<String> sig = signatures.get(l.name());
            if (sig == null) {
                fail(context + ": launch of " + l.name() + ", which the kernels do not define");
            }
            assertEquals(sig.size(), l.args().length, context + ": " + l.name() + " argument count");
            for (int i = 0; i < sig.size(); i++) {
                Object a = l.args()[i];
                Class<?> want = switch (sig.get(i)) {
                    case "u32", "s32", "b32" -> Integer.class;
                    case "u64", "s64", "b64" -> Long.class;
                    case "f32" -> Float.class;
                    case "f64" -> Double.class;
                    default -> throw new AssertionError("PTX parameter type " + sig.get(i));
                };
                assertEquals(want, a.getClass(), context + ": " + l.name() + " argument " + i);
            }
            assertTrue(l.gx() >= 1 && l.gy() >= 1 && l.gy() <= 65535 && l.gz() >= 1 && l.gz() <= 65535,
                    context + ": " + l.name() + " grid");
            int threads = l.bx() * l.by() * l.bz();
            assertTrue(threads == 256, context + ": " + l.name() + " block of " + threads + " threads");
        }
    }

    /**
     * Entry points the Java host never launches: the random fill and the NaN count serve the native harness, and the
     * f32→f64 conversion runs only under {@code gram=cublas}, which needs a real (or emulated) cuBLAS.
     */
    private static final Set<String> NOT_FROM_JAVA = Set.of("ntk_fill_random_f32", "ntk_fill_random_f64",
            "ntk_count_nonfinite_f32", "ntk_count_nonfinite_f64", "ntk_convert_f64_to_f32", "ntk_convert_f32_to_f64");

    /**
     * The convolution and pooling kernels (cuda/conv.cu), checked by the native harness: the Java host has no device
     * classes for the image layers yet and refuses them, so no path here launches these.
     */
    private static final Set<String> IMAGE_LAYERS_NOT_WIRED = Set.of("ntk_im2col_f32", "ntk_im2col_f64",
            "ntk_col2im_f32", "ntk_col2im_f64", "ntk_avgpool_forward_f32", "ntk_avgpool_forward_f64",
            "ntk_avgpool_backward_f32", "ntk_avgpool_backward_f64", "ntk_flatten_forward_f32", "ntk_flatten_forward_f64",
            "ntk_flatten_backward_f32", "ntk_flatten_backward_f64",
            "ntk_conv_jacobian_layer_f32", "ntk_conv_jacobian_layer_f64");

    static CudaBackend open(RecordingDriver d, Precision p) {
        CudaDevice dev = CudaDevice.openWith(d, d.deviceInfo(0), new byte[] {1});
        return new CudaBackend(dev, p);
    }

    private static List<Architecture> architectures() {
        return List.of(
                Architecture.widths(5, 7, 3).activation(Activation.RELU).parameterization(Parameterization.NTK)
                        .sigmaW(1.3).sigmaB(0.2).build(),
                Architecture.widths(3, 17, 9, 2).activation(Activation.TANH).parameterization(Parameterization.STANDARD)
                        .sigmaW(1.0).noBias().build(),
                Architecture.widths(4, 1).activation(Activation.IDENTITY).parameterization(Parameterization.NTK)
                        .sigmaW(1.0).sigmaB(0.5).build(),
                Architecture.widths(6, 33, 1).activation(Activation.GELU).parameterization(Parameterization.NTK)
                        .sigmaW(2.0).sigmaB(0.1).build(),
                Architecture.widths(3, 600, 2).activation(Activation.ERF).parameterization(Parameterization.NTK)
                        .sigmaW(1.0).sigmaB(0.3).build());
    }

    @Test
    void everyPathLaunchesDefinedKernelsWithMatchingArguments() {
        int tiled = 0;
        java.util.Set<String> launched = new java.util.TreeSet<>();
        for (Precision prec : Precision.values()) {
            for (Architecture arch : architectures()) {
                Parameters p = Parameters.init(arch, 7);
                Matrix x1 = NtkCase.gaussianInputs(11, arch.inputDim(), 1);
                Matrix x2 = NtkCase.gaussianInputs(6, arch.inputDim(), 2);
                Matrix y = NtkCase.gaussianInputs(11, arch.outputDim(), 3);
                for (long budget : new long[] {-1, 60_000, 12_000}) {
                    RecordingDriver d = new RecordingDriver(GIB);
                    String ctx = prec + " " + arch + " budget " + budget;
                    try (CudaBackend b = open(d, prec)) {
                        b.setMemoryBudget(budget);
                        b.setPoisonOutputs(true);
                        int o = arch.outputDim();
                        try {
                            for (NtkMode mode : NtkMode.values()) {
                                for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                                        Implementation.JACOBIAN_CONTRACTION}) {
                                    Tensor t = b.kernel(p, x1, mode, impl);
                                    assertArrayEquals(mode.shape(11, 11, o), t.shape(), ctx);
                                    t = b.kernel(p, x1, x2, mode, impl);
                                    assertArrayEquals(mode.shape(11, 6, o), t.shape(), ctx);
                                }
                            }
                            Matrix f = b.forward(p, x1);
                            assertEquals(11, f.rows());
                            Matrix j = b.jacobian(p, x1);
                            assertEquals(arch.parameterCount(), j.cols());
                            LossGradient g = b.mseLossGradient(p, x1, y);
                            assertEquals(arch.parameterCount(), g.gradient().length);
                            for (int how = 0; how < 2; how++) {
                                try (PreparedModel pm = how == 0 ? b.prepare(p) : b.prepare(arch, 3)) {
                                    pm.step(x1, y, 0.1);
                                    assertEquals(arch.layers(), pm.layerDistancesFromStart().length);
                                    assertArrayEquals(NtkMode.TRACE.shape(11, 6, o),
                                            pm.kernel(x1, x2, NtkMode.TRACE).shape());
                                    assertEquals(11, pm.forward(x1).rows());
                                    assertEquals(arch.parameterCount(), pm.mseLossGradient(x1, y).gradient().length);
                                    assertEquals(arch.parameterCount(), pm.parameters().size());
                                }
                            }
                            if (budget > 0) {
                                tiled++;
                            }
                        } catch (NtkException e) {
                            assertTrue(budget > 0 && e.getMessage().contains("budget"), ctx + ": " + e.getMessage());
                        }
                        checkLaunches(d, ctx);
                        d.launches.forEach(l -> launched.add(l.name()));
                    }
                    assertTrue(d.live.isEmpty(), ctx + ": device allocations leaked: " + d.live);
                    assertEquals(0, d.liveHost, ctx + ": pinned allocations leaked");
                }
            }
        }
        assertTrue(tiled > 0, "no run under a small memory budget succeeded, so tiling went untested");
        // Every entry point of the kernels is launched by some path here, except the few the Java host never uses.
        java.util.Set<String> expected = new java.util.TreeSet<>(signatures.keySet());
        expected.removeAll(NOT_FROM_JAVA);
        expected.removeAll(IMAGE_LAYERS_NOT_WIRED);
        expected.removeAll(launched);
        assertTrue(expected.isEmpty(), "entry points never launched by any path: " + expected);
    }

    /**
     * The Jacobian contraction's Gram launches get J with a leading dimension that is a multiple of 4 (here 32)
     * elements whatever P and the chunk width, so every row is 16-byte aligned and the kernel takes the 16-byte
     * cp.async path; an odd chunk width once made it fall back to 4-byte copies.
     */
    @Test
    void jacobianChunksHaveAlignedLeadingDimensions() {
        Architecture arch = Architecture.widths(4, 7, 3)
                .activation(Activation.TANH).parameterization(Parameterization.NTK).sigmaW(1).sigmaB(0.2).build();
        assertEquals(1, arch.parameterCount() % 2, "P must be odd for this test: " + arch.parameterCount());
        Parameters p = Parameters.init(arch, 1);
        Matrix x = NtkCase.gaussianInputs(7, 4, 2);
        int grams = 0;
        for (Precision prec : Precision.values()) {
            for (long budget : new long[] {-1, 40_000, 15_000}) {
                RecordingDriver d = new RecordingDriver(GIB);
                try (CudaBackend b = open(d, prec)) {
                    b.setMemoryBudget(budget);
                    b.kernel(p, x, NtkMode.FULL, Implementation.JACOBIAN_CONTRACTION);
                    b.kernel(p, x, NtkCase.gaussianInputs(4, 4, 3), NtkMode.TRACE, Implementation.JACOBIAN_CONTRACTION);
                }
                for (RecordingDriver.Launch l : d.launches) {
                    if (l.name().startsWith("ntk_gram_nt_")) {
                        grams++;
                        long lda = (Long) l.args()[4];
                        long ldb = (Long) l.args()[7];
                        assertEquals(0, lda % 4, prec + " budget " + budget + ": lda " + lda);
                        assertEquals(0, ldb % 4, prec + " budget " + budget + ": ldb " + ldb);
                        assertTrue((Long) l.args()[2] <= lda, "K within the leading dimension");
                    }
                }
            }
        }
        assertTrue(grams > 6, "too few Gram launches to mean anything: " + grams);
    }

    /**
     * Tiles respect the grid limits, not only the memory: with O = 4096 outputs, 2100 examples give 8.6 million δ rows,
     * 67,200 row blocks of 128 in one launch (over the 65,535 limit) if the tile were sized by memory alone.
     */
    @Test
    void tilesAreCappedByTheGridLimits() {
        Architecture arch = Architecture.widths(1, 1, 4096)
                .activation(Activation.RELU).parameterization(Parameterization.NTK).sigmaW(1).noBias().build();
        Parameters p = Parameters.init(arch, 1);
        Matrix x = NtkCase.gaussianInputs(2100, 1, 5);
        RecordingDriver d = new RecordingDriver(1L << 50);
        try (CudaBackend b = open(d, Precision.FP32)) {
            Tensor t = b.kernel(p, x, NtkMode.TRACE, Implementation.STRUCTURED);
            assertArrayEquals(new int[] {2100, 2100}, t.shape());
        }
        checkLaunches(d, "O = 4096, N = 2100");
        assertTrue(d.launches.stream().anyMatch(l -> l.name().startsWith("ntk_backward_delta_")), "no deltas launched");
    }

    /** The split-K heuristic counts only the tiles an upper-triangle launch runs, T(T+1)/2. */
    @Test
    void splitKCountsTheTilesAnUpperTriangleLaunchRuns() {
        long k = 1L << 20;
        // 8 x 8 = 64 tiles; upper: 36 run, so about 2·132/36 = 8 splits (5 if all 64 were counted).
        assertEquals(5, KernelLaunches.chooseSplits(132, 1024, 1024, 1, k, 128, 128, Long.MAX_VALUE, false));
        assertEquals(8, KernelLaunches.chooseSplits(132, 1024, 1024, 1, k, 128, 128, Long.MAX_VALUE, true));
        // 12 x 12 = 144 tiles fill 132 SMs, but the 78 of the upper triangle do not.
        assertEquals(1, KernelLaunches.chooseSplits(132, 1536, 1536, 1, k, 128, 128, Long.MAX_VALUE, false));
        assertEquals(4, KernelLaunches.chooseSplits(132, 1536, 1536, 1, k, 128, 128, Long.MAX_VALUE, true));
    }

    /** cuBLAS takes 32-bit sizes: its Jacobian chunks stay below 2^31 columns, and aligned, whatever P and the memory. */
    @Test
    void cublasChunksFitItsIntegerSizes() {
        long p = 3L << 31;
        long pc = CudaMemoryPlanner.jcChunk(p, 1, Long.MAX_VALUE / 4, true);
        assertTrue(pc <= Integer.MAX_VALUE && KernelLaunches.jacobianLd(pc) <= Integer.MAX_VALUE, "chunk " + pc);
        assertEquals(0, pc % KernelLaunches.J_LD_ALIGN);
        assertEquals(p, CudaMemoryPlanner.jcChunk(p, 1, Long.MAX_VALUE / 4, false), "the own kernel takes 64-bit sizes");
        assertEquals(96, CudaMemoryPlanner.jcChunk(1000, 10, 1000, false), "a partial chunk is a multiple of 32 columns");
        assertEquals(37, CudaMemoryPlanner.jcChunk(37, 10, 1000, true), "a whole small P is one chunk");
    }

    @Test
    void outOfMemoryFreesEverythingAndTheBackendStaysUsable() {
        RecordingDriver d = new RecordingDriver(1L << 20);
        Architecture arch = Architecture.widths(8, 64, 4)
                .activation(Activation.ERF).parameterization(Parameterization.NTK).sigmaW(1).sigmaB(0.1).build();
        Parameters p = Parameters.init(arch, 1);
        Matrix x = NtkCase.gaussianInputs(9, 8, 4);
        try (CudaBackend b = open(d, Precision.FP32)) {
            long before = d.live.size();
            try {
                b.device().allocate(1L << 40, 4);
                fail("an impossible allocation succeeded");
            } catch (CudaOutOfMemoryException e) {
                assertTrue(e.getMessage().contains("CUDA_ERROR_OUT_OF_MEMORY"), e.getMessage());
            }
            assertEquals(before, d.live.size());
            Tensor t = b.kernel(p, x, NtkMode.TRACE, Implementation.STRUCTURED);
            assertArrayEquals(new int[] {9, 9}, t.shape());
        }
        assertTrue(d.live.isEmpty());
    }
}
