package org.ntk4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.Blas;
import org.ntk4j.cpu.CpuBackend;
import org.ntk4j.cpu.CpuProfile;
import org.ntk4j.io.Npy;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The Java half of the PyTorch comparison: writes the model ({@code weights.npz}) and inputs ({@code x.npy}) for
 * the peer script, times ntk4j's structured and Jacobian-contraction NTK (fp32) and the sgemm ceiling in the same
 * JVM, saves the kernels ({@code kernel.npy}, {@code kernel_jc.npy}) and prints one JSON line.
 *
 * <pre>java -cp benchmarks.jar org.ntk4j.bench.PeerCompare out=DIR [config=peer|small] [mode=trace|full|diagonal]
 *      [repeats=9] [jcRepeats=3] [threads=N] [blas=auto|native|java]</pre>
 * Each implementation is warmed up (at least 1 s and 3 calls); then {@code repeats} rounds each time one sgemm 2048³,
 * two structured calls and (in the first {@code jcRepeats} rounds) one Jacobian contraction, interleaved so that a
 * change of load on a shared machine affects all of them alike. Best and median times are reported.
 */
public final class PeerCompare {
    private PeerCompare() {
    }

    public static void main(String[] args) throws IOException {
        java.util.Map<String, String> opt = new java.util.HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq < 0) {
                System.err.println("arguments are key=value: out=DIR config=peer mode=trace repeats=9 jcRepeats=3 threads=N");
                System.exit(2);
            }
            opt.put(a.substring(0, eq), a.substring(eq + 1));
        }
        Path out = Path.of(opt.getOrDefault("out", "bench/target/peer-cpu"));
        String config = opt.getOrDefault("config", "peer");
        NtkMode mode = NtkMode.parse(opt.getOrDefault("mode", "trace"));
        int repeats = Integer.parseInt(opt.getOrDefault("repeats", "9"));
        int jcRepeats = Integer.parseInt(opt.getOrDefault("jcRepeats", "3"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        Blas blas = Blas.parse(opt.getOrDefault("blas", "auto"));
        Files.createDirectories(out);
        Architecture arch = BenchModels.architecture(config);
        Parameters params = BenchModels.parameters(arch);
        Matrix x = BenchModels.inputs(BenchModels.examples(config), arch.inputDim(), 1);
        ParametersIO.save(params, out.resolve("weights.npz"));
        Npy.write(out.resolve("x.npy"), x.asTensor());

        try (CpuBackend fp32 = CpuBackend.builder().precision(Precision.FP32).threads(threads).blas(blas).build();
             CpuBackend fp64 = CpuBackend.builder().precision(Precision.FP64).threads(threads).build()) {
            Timed structured = new Timed(fp32, params, x, mode, Implementation.STRUCTURED);
            Timed jc = new Timed(fp32, params, x, mode, Implementation.JACOBIAN_CONTRACTION);
            structured.warmUp();
            jc.warmUp();
            SgemmCeiling sgemm = SgemmCeiling.prepared(2048);
            // interleaved rounds, so that a change of load on a shared machine hits all three alike
            double[] sgemmRates = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                sgemmRates[r] = sgemm.rate();
                structured.run();
                structured.run();
                if (r < jcRepeats) {
                    jc.run();
                }
            }
            Arrays.sort(sgemmRates);
            Tensor exact = fp64.kernel(params, x, mode, Implementation.STRUCTURED);
            Npy.write(out.resolve("kernel.npy"), structured.result);
            Npy.write(out.resolve("kernel_jc.npy"), jc.result);
            String json = String.format(Locale.ROOT, "{\"backend\": \"%s\", \"config\": \"%s\", \"mode\": \"%s\", "
                            + "\"N\": %d, \"P\": %d, \"structured_median_ms\": %.3f, \"structured_best_ms\": %.3f, "
                            + "\"structured_blas_gflops\": %.1f, \"jc_median_ms\": %.3f, \"jc_best_ms\": %.3f, "
                            + "\"jc_blas_gflops\": %.1f, \"jc_gram_gflops\": %.1f, \"sgemm2048_best_gflops\": %.1f, "
                            + "\"sgemm2048_median_gflops\": %.1f, \"structured_vs_jc_rel\": %.3e, "
                            + "\"structured_fp32_vs_fp64_rel\": %.3e, \"jc_fp32_vs_fp64_rel\": %.3e, "
                            + "\"structured_profile\": \"%s\", \"jc_profile\": \"%s\"}",
                    fp32.description(), config, mode.name().toLowerCase(Locale.ROOT), x.rows(), arch.parameterCount(),
                    structured.median(), structured.best(), structured.bestProfile.blasGflops(), jc.median(), jc.best(),
                    jc.bestProfile.blasGflops(), gramGflops(jc.bestProfile, x.rows(), arch, mode),
                    sgemmRates[repeats - 1], sgemmRates[repeats / 2], BenchModels.relativeError(structured.result, jc.result),
                    BenchModels.relativeError(structured.result, exact), BenchModels.relativeError(jc.result, exact), structured.bestProfile, jc.bestProfile);
            Files.writeString(out.resolve("ntk4j.json"), json + "\n");
            System.out.println(json);
        }
    }

    /** Useful Gram flops of the contraction (N(N+1)·O·P in TRACE, (NO)(NO+1)·P in FULL) over its Gram time. */
    private static double gramGflops(CpuProfile p, int n, Architecture arch, NtkMode mode) {
        long pc = arch.parameterCount();
        int o = arch.outputDim();
        double flops = switch (mode) {
            case FULL -> (double) n * o * (n * o + 1) * pc;
            default -> (double) n * (n + 1) * o * pc;
        };
        return flops / p.gramNanos();
    }

    /** Repeated timings of one implementation; keeps the profile of the fastest call. */
    private static final class Timed {
        private final CpuBackend backend;
        private final Parameters params;
        private final Matrix x;
        private final NtkMode mode;
        private final Implementation impl;
        private final java.util.List<Double> millis = new java.util.ArrayList<>();
        Tensor result;
        CpuProfile bestProfile;

        Timed(CpuBackend backend, Parameters params, Matrix x, NtkMode mode, Implementation impl) {
            this.backend = backend;
            this.params = params;
            this.x = x;
            this.mode = mode;
            this.impl = impl;
        }

        /** At least 3 calls and 1 s. */
        void warmUp() {
            long start = System.nanoTime();
            for (int w = 0; w < 3 || System.nanoTime() - start < 1_000_000_000L; w++) {
                result = backend.kernel(params, x, mode, impl);
            }
        }

        void run() {
            long t = System.nanoTime();
            result = backend.kernel(params, x, mode, impl);
            double ms = (System.nanoTime() - t) / 1e6;
            if (millis.isEmpty() || ms < best()) {
                bestProfile = backend.lastProfile();
            }
            millis.add(ms);
        }

        double best() {
            return millis.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        }

        double median() {
            double[] m = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return m[m.length / 2];
        }
    }
}
