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
import org.ntk4j.cpu.CpuBackend;
import org.ntk4j.cpu.CpuProfile;
import org.ntk4j.io.Npy;
import org.ntk4j.io.NpyArray;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The Java half of the PyTorch comparison: writes the model ({@code weights.npz}) and inputs ({@code x.npy}) for
 * the peer script, times ntk4j's structured and Jacobian-contraction NTK (fp32) and the sgemm ceiling in the same
 * JVM, saves the kernels ({@code kernel.npy}, {@code kernel_jc.npy}) and prints one JSON line.
 *
 * <pre>java -cp benchmarks.jar org.ntk4j.bench.PeerCompare OUT_DIR [config=peer] [mode=trace] [repeats=7] [jcRepeats=3]</pre>
 */
public final class PeerCompare {
    private PeerCompare() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: PeerCompare OUT_DIR [peer|small] [trace|full|diagonal] [repeats] [jcRepeats]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        String config = args.length > 1 ? args[1] : "peer";
        NtkMode mode = NtkMode.parse(args.length > 2 ? args[2] : "trace");
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 7;
        int jcRepeats = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        Files.createDirectories(out);
        Architecture arch = BenchModels.architecture(config);
        Parameters params = BenchModels.parameters(arch);
        Matrix x = BenchModels.inputs(BenchModels.examples(config), arch.inputDim(), 1);
        ParametersIO.save(params, out.resolve("weights.npz"));
        Npy.write(out.resolve("x.npy"), NpyArray.of(x, false));

        try (CpuBackend fp32 = CpuBackend.open(Precision.FP32); CpuBackend fp64 = CpuBackend.open(Precision.FP64)) {
            Run structured = time(fp32, params, x, mode, Implementation.STRUCTURED, repeats);
            Run jc = time(fp32, params, x, mode, Implementation.JACOBIAN_CONTRACTION, jcRepeats);
            Tensor exact = fp64.ntk(params, x, null, mode, Implementation.STRUCTURED);
            double[] sgemm = SgemmCeiling.measure(2048, 10);
            Npy.write(out.resolve("kernel.npy"), NpyArray.of(structured.result, false));
            Npy.write(out.resolve("kernel_jc.npy"), NpyArray.of(jc.result, false));
            String json = String.format(Locale.ROOT, "{\"backend\": \"%s\", \"config\": \"%s\", \"mode\": \"%s\", "
                            + "\"N\": %d, \"P\": %d, \"structured_median_ms\": %.3f, \"structured_best_ms\": %.3f, "
                            + "\"structured_blas_gflops\": %.1f, \"jc_median_ms\": %.3f, \"jc_best_ms\": %.3f, "
                            + "\"jc_blas_gflops\": %.1f, \"jc_gram_gflops\": %.1f, \"sgemm2048_best_gflops\": %.1f, "
                            + "\"sgemm2048_median_gflops\": %.1f, \"structured_vs_jc_rel\": %.3e, "
                            + "\"structured_fp32_vs_fp64_rel\": %.3e, \"jc_fp32_vs_fp64_rel\": %.3e, "
                            + "\"structured_profile\": \"%s\", \"jc_profile\": \"%s\"}",
                    fp32.name(), config, mode.name().toLowerCase(Locale.ROOT), x.rows(), arch.parameterCount(),
                    structured.median(), structured.best(), structured.profile.blasGflops(), jc.median(), jc.best(),
                    jc.profile.blasGflops(), gramGflops(jc.profile, x.rows(), arch, mode), sgemm[0], sgemm[1],
                    rel(structured.result, jc.result), rel(structured.result, exact), rel(jc.result, exact),
                    structured.profile, jc.profile);
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

    private record Run(Tensor result, double[] millis, CpuProfile profile) {
        double median() {
            return millis[millis.length / 2];
        }

        double best() {
            return millis[0];
        }
    }

    private static Run time(CpuBackend b, Parameters p, Matrix x, NtkMode mode, Implementation impl, int repeats) {
        Tensor result = b.ntk(p, x, null, mode, impl); // warm-up
        double[] ms = new double[repeats];
        CpuProfile best = null;
        double bestMs = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long t = System.nanoTime();
            result = b.ntk(p, x, null, mode, impl);
            ms[i] = (System.nanoTime() - t) / 1e6;
            if (ms[i] < bestMs) {
                bestMs = ms[i];
                best = b.lastProfile();
            }
        }
        Arrays.sort(ms);
        return new Run(result, ms, best);
    }

    private static double rel(Tensor a, Tensor b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.size(); i++) {
            double d = a.data()[i] - b.data()[i];
            num += d * d;
            den += b.data()[i] * b.data()[i];
        }
        return Math.sqrt(num / den);
    }
}
