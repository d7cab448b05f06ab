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
            assertTrue(signatures.size() > 40, "parsed only " + signatures.size() + " entry points from the PTX");
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

    private static CudaBackend open(RecordingDriver d, Precision p) {
        CudaDevice dev = CudaDevice.openWith(d, d.deviceInfo(0), new byte[] {1});
        return new CudaBackend(dev, p);
    }

    private static List<Architecture> architectures() {
        return List.of(
                new Architecture(new int[] {5, 7, 3}, Activation.RELU, Parameterization.NTK, 1.3, 0.2, true),
                new Architecture(new int[] {3, 17, 9, 2}, Activation.TANH, Parameterization.STANDARD, 1.0, 0, false),
                new Architecture(new int[] {4, 1}, Activation.IDENTITY, Parameterization.NTK, 1.0, 0.5, true),
                new Architecture(new int[] {6, 33, 1}, Activation.GELU, Parameterization.NTK, 2.0, 0.1, true),
                new Architecture(new int[] {3, 600, 2}, Activation.ERF, Parameterization.NTK, 1.0, 0.3, true));
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
                                    Tensor t = b.ntk(p, x1, mode, impl);
                                    assertArrayEquals(mode.shape(11, 11, o), t.shape(), ctx);
                                    t = b.ntk(p, x1, x2, mode, impl);
                                    assertArrayEquals(mode.shape(11, 6, o), t.shape(), ctx);
                                }
                            }
                            Matrix f = b.forward(p, x1);
                            assertEquals(11, f.rows());
                            Matrix j = b.jacobian(p, x1);
                            assertEquals(arch.parameterCount(), j.cols());
                            LossGradient g = b.mseLossGradient(p, x1, y);
                            assertEquals(arch.parameterCount(), g.gradient().length);
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
        java.util.Set<String> expected = new java.util.TreeSet<>();
        for (String t : new String[] {"f32", "f64"}) {
            for (String base : new String[] {"ntk_gram_nt_", "ntk_gram_splitk_reduce_", "ntk_gram_mirror_",
                    "ntk_struct_layer_", "ntk_struct_splitk_reduce_", "ntk_forward_", "ntk_backward_delta_",
                    "ntk_weight_grad_", "ntk_bias_grad_", "ntk_delta_seed_identity_", "ntk_mse_residual_",
                    "ntk_jacobian_layer_", "ntk_transpose_", "ntk_jc_to_full_", "ntk_full_to_trace_", "ntk_full_to_diag_",
                    "ntk_fill_"}) {
                expected.add(base + t);
            }
        }
        expected.add("ntk_gram_nt_tf32");
        expected.add("ntk_sum_partials");
        expected.removeAll(launched);
        assertTrue(expected.isEmpty(), "paths never exercised: " + expected);
    }

    @Test
    void outOfMemoryFreesEverythingAndTheBackendStaysUsable() {
        RecordingDriver d = new RecordingDriver(1L << 20);
        Architecture arch = new Architecture(new int[] {8, 64, 4}, Activation.ERF, Parameterization.NTK, 1, 0.1, true);
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
            Tensor t = b.ntk(p, x, NtkMode.TRACE, Implementation.STRUCTURED);
            assertArrayEquals(new int[] {9, 9}, t.shape());
        }
        assertTrue(d.live.isEmpty());
    }
}
