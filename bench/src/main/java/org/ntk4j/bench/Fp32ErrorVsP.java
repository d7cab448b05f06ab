package org.ntk4j.bench;

import java.util.Locale;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.cpu.CpuBackend;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * How the fp32 error of the CPU backend depends on P: d = 64, two hidden layers of width w, O = 10, N = 8, relative
 * Frobenius error against the fp64 backend (itself checked against the reference in the tests), for the structured
 * path, the chunked Jacobian contraction (default chunk) and a Jacobian contraction with one chunk per layer (no fp64
 * accumulation between chunks; up to w = 1024, where that chunk still fits memory).
 *
 * <pre>java -Xmx10g --add-modules jdk.incubator.vector -cp benchmarks.jar org.ntk4j.bench.Fp32ErrorVsP [maxWidth=4096]</pre>
 */
public final class Fp32ErrorVsP {
    private Fp32ErrorVsP() {
    }

    public static void main(String[] args) {
        int maxWidth = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        Matrix x = BenchModels.inputs(8, 64, 1);
        long budget = 3L << 30;
        try (CpuBackend f64 = CpuBackend.builder().precision(Precision.FP64).memoryBudget(budget).build();
             CpuBackend f32 = CpuBackend.builder().precision(Precision.FP32).memoryBudget(budget).build();
             CpuBackend f32whole = CpuBackend.builder().precision(Precision.FP32).memoryBudget(budget)
                     .maxParameterChunk(Integer.MAX_VALUE).build()) {
            System.out.println("| w | P | mode | fp32 structured | fp32 JC, chunk 8192 | fp32 JC, one chunk per layer |");
            System.out.println("|---|---|---|---|---|---|");
            for (int w = 64; w <= maxWidth; w *= 4) {
                Architecture arch = Architecture.builder(64).hidden(w, w).output(10).sigmaB(0.1).build();
                Parameters p = Parameters.init(arch, 42);
                for (NtkMode m : new NtkMode[] {NtkMode.TRACE, NtkMode.FULL}) {
                    Tensor exact = f64.kernel(p, x, m, Implementation.STRUCTURED);
                    double s = BenchModels.relativeError(f32.kernel(p, x, m, Implementation.STRUCTURED), exact);
                    double jc = BenchModels.relativeError(f32.kernel(p, x, m, Implementation.JACOBIAN_CONTRACTION), exact);
                    String whole = w <= 1024
                            ? String.format(Locale.ROOT, "%.1e", BenchModels.relativeError(f32whole.kernel(p, x, m,
                            Implementation.JACOBIAN_CONTRACTION), exact)) : "—";
                    System.out.printf(Locale.ROOT, "| %d | %d | %s | %.1e | %.1e | %s |%n", w, arch.parameterCount(),
                            m.name().toLowerCase(Locale.ROOT), s, jc, whole);
                }
            }
        }
    }
}
