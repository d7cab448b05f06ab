package org.ntk4j.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.Matrix;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.analytic.DualActivation;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;

/**
 * Wall and process-CPU time of the infinite-width kernel Θ(X, X) of {@link AnalyticBenchmarks}' architecture, per
 * entry and layer (time / (N²/2 · 3)): a warm-up call, then the median and best of {@code reps} calls. CPU time (all
 * threads) is what a shared machine inflates least. It uses only {@code AnalyticKernel.of}, {@code compute} and
 * {@code DualActivation.graded}, so the same source also runs against older builds of the library for a
 * before/after comparison.
 *
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.ntk4j.bench.InfiniteWidthTiming tanh 2000 3
 *   … InfiniteWidthTiming tanh 48 1 graded      # the graded quadrature, the accurate reference
 * </pre>
 */
public final class InfiniteWidthTiming {
    private InfiniteWidthTiming() {
    }

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: InfiniteWidthTiming ACTIVATION N REPS [graded]");
            System.exit(2);
        }
        Activation act = Activation.parse(args[0]);
        int n = Integer.parseInt(args[1]);
        int reps = Integer.parseInt(args[2]);
        boolean graded = args.length > 3 && args[3].equals("graded");
        Architecture arch = Architecture.builder(64).hidden(512, 512, 512).output(10).activation(act).build();
        AnalyticKernel k = graded
                ? AnalyticKernel.of(arch, DualActivation.graded(act, DualActivation.DEFAULT_ORDER))
                : AnalyticKernel.of(arch);
        Matrix x = BenchModels.inputs(n, arch.inputDim(), 1);
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        k.compute(x);
        double[] wall = new double[reps];
        double[] cpu = new double[reps];
        for (int r = 0; r < reps; r++) {
            long c0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            k.compute(x);
            wall[r] = (System.nanoTime() - t0) * 1e-9;
            cpu[r] = (os.getProcessCpuTime() - c0) * 1e-9;
        }
        Arrays.sort(wall);
        Arrays.sort(cpu);
        double perEntry = 1e6 / (n * (double) n / 2 * 3);
        System.out.printf(Locale.ROOT, "%s%s N=%d: wall median %.4f s (best %.4f); µs per entry and layer: wall median %.4f"
                + " (best %.4f), CPU median %.4f (best %.4f)%n", act.id(), graded ? " (graded)" : "", n, wall[reps / 2],
                wall[0], wall[reps / 2] * perEntry, wall[0] * perEntry, cpu[reps / 2] * perEntry, cpu[0] * perEntry);
    }
}
