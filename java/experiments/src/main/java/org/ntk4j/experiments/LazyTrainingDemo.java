package org.ntk4j.experiments;

import dev.ludovic.netlib.blas.BLAS;
import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.ProgressListener;
import org.ntk4j.cpu.BlasSelection;
import org.ntk4j.data.Dataset;
import org.ntk4j.data.Digits;

/**
 * The five lazy-training experiments on the digits data with sizes for the machine ({@link DemoConfig}), as one
 * {@link Report}: the training sweep (weight movement, kernel drift, linearization), empirical → analytic NTK
 * convergence, the lazy-training score, the decay of the residual along the NTK's eigenvectors
 * ({@link EigenmodeDecay}), and timings (with the achieved fraction of a GEMM ceiling measured in the
 * same process when asked).
 *
 * <pre>{@code
 * try (Ntk b = Ntk.open()) {
 *     Report r = LazyTrainingDemo.run(b, DemoConfig.forBackend(b), ProgressListener.NONE);
 *     r.writeTo(Path.of("ntk-demo"));
 * }
 * }</pre>
 */
public final class LazyTrainingDemo {
    private LazyTrainingDemo() {
    }

    /**
     * Runs the five experiments of the demo with these sizes, on this backend.
     *
     * @param backend  the backend for training and kernels
     * @param cfg      the sizes
     * @param progress receives progress, or null
     * @return every table and a summary
     * @throws InvalidInputException when an argument is missing
     */
    public static Report run(Ntk backend, DemoConfig cfg, ProgressListener progress) {
        if (backend == null || cfg == null) {
            throw new InvalidInputException("backend and configuration must be given");
        }
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        Dataset digits = Digits.load();
        Dataset.Split split = digits.split(cfg.trainSize(), cfg.testSize(), cfg.splitSeed());
        Report all = new Report("lazy-training demo");
        Table timing = new Table("demo_timings", "stage", "seconds").meta("title", "Wall time per stage")
                .meta("backend", backend.description());

        long t0 = System.nanoTime();
        Report sweep = LazyTrainingExperiments.trainingSweep(backend, split, cfg.sweep(), listener);
        timing.add("training sweep (experiments 1, 3, 4)", seconds(t0));

        long t1 = System.nanoTime();
        Matrix cx = split.train().x().rowRange(0, Math.min(cfg.convergencePoints(), split.train().size()));
        Report conv = LazyTrainingExperiments.kernelConvergence(backend, cx, Digits.CLASSES, cfg.sweep(),
                cfg.convergenceSeeds(), NtkMode.TRACE, listener);
        timing.add("empirical → analytic NTK (experiment 2)", seconds(t1));

        long t2 = System.nanoTime();
        int lp = Math.min(cfg.lazyPoints(), split.train().size());
        int[] rows = new int[lp];
        Arrays.setAll(rows, i -> i);
        int[] lazyWidths = Arrays.stream(cfg.sweep().widths()).filter(w -> w <= cfg.lazyMaxWidth()).toArray();
        Report lazy = LazyTrainingExperiments.lazyScore(backend, split.train().select(rows),
                cfg.sweep().withWidths(lazyWidths), cfg.lazySeeds(), cfg.lazyOptions(), listener);
        timing.add("lazy-training score (experiment 5)", seconds(t2));

        long t3 = System.nanoTime();
        Report modes = EigenmodeDecay.run(backend, split.train(), cfg.sweep(), cfg.eigenmodes(), listener);
        timing.add("eigenmode decay (the decoupled gradient flow)", seconds(t3));
        timing.add("total", seconds(t0));

        all.addAll(sweep).addAll(conv).addAll(lazy).addAll(modes);
        if (cfg.measureGemm()) {
            all.add(throughputVsGemm(backend, sweep.table("training_throughput"), cfg.trainSize()));
        }
        all.add(timing);
        all.summary(String.format(Locale.ROOT, "Backend %s; total %.1f s.", backend.description(), seconds(t0)));
        return all;
    }

    /**
     * Each width's gradient-step GFLOP/s against a GEMM of the widest hidden layer's shape (m = N, n = k = width) in
     * the backend's precision, timed here through BLAS (best of 3 after a warm-up): the step is made of GEMMs of
     * that shape, so the ratio says how much of the machine the step reaches.
     */
    static Table throughputVsGemm(Ntk backend, Table throughput, int n) {
        double[] widths = throughput.numbers("width");
        int w = (int) widths[widths.length - 1];
        double ceiling = gemmGflops(backend.precision() == Precision.FP64, n, w, w);
        Table t = new Table("throughput_vs_gemm", "width", "step_gflops", "gemm_gflops", "fraction")
                .meta("title", "Gradient-step throughput as a fraction of a same-shaped GEMM")
                .meta("gemm", (backend.precision() == Precision.FP64 ? "dgemm" : "sgemm") + " m=" + n + " n=k=" + w
                        + ", BLAS in-process, best of 3");
        double[] g = throughput.numbers("gflops");
        for (int i = 0; i < widths.length; i++) {
            t.add((long) widths[i], g[i], ceiling, g[i] / ceiling);
        }
        return t;
    }

    /**
     * Best-of-3 GFLOP/s of C(m×n) = A(m×k)·B(k×n) through the process's BLAS ({@link BlasSelection}) with all cores
     * given to it.
     *
     * @param fp64 dgemm rather than sgemm
     * @param m    rows of A and C
     * @param n    columns of B and C
     * @param k    the inner dimension
     * @return the best rate of three runs, in GFLOP/s
     */
    public static double gemmGflops(boolean fp64, int m, int n, int k) {
        BlasSelection sel = BlasSelection.current();
        return sel.withAllThreads(() -> timeGemm(sel.blas(), fp64, m, n, k));
    }

    private static double timeGemm(BLAS blas, boolean fp64, int m, int n, int k) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        double best = Double.POSITIVE_INFINITY;
        if (fp64) {
            double[] a = new double[m * k];
            double[] b = new double[k * n];
            double[] c = new double[m * n];
            Arrays.setAll(a, i -> rng.nextDouble());
            Arrays.setAll(b, i -> rng.nextDouble());
            for (int rep = 0; rep < 4; rep++) {
                long t = System.nanoTime();
                blas.dgemm("N", "N", n, m, k, 1.0, b, n, a, k, 0.0, c, n);
                if (rep > 0) {
                    best = Math.min(best, (System.nanoTime() - t) / 1e9);
                }
            }
        } else {
            float[] a = new float[m * k];
            float[] b = new float[k * n];
            float[] c = new float[m * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rng.nextDouble();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rng.nextDouble();
            }
            for (int rep = 0; rep < 4; rep++) {
                long t = System.nanoTime();
                blas.sgemm("N", "N", n, m, k, 1.0f, b, n, a, k, 0.0f, c, n);
                if (rep > 0) {
                    best = Math.min(best, (System.nanoTime() - t) / 1e9);
                }
            }
        }
        return 2.0 * m * n * k / best / 1e9;
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
