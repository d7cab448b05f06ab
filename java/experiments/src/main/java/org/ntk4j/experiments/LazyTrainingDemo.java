package org.ntk4j.experiments;

import dev.ludovic.netlib.blas.BLAS;
import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkException;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.ProgressListener;
import org.ntk4j.cpu.BlasSelection;
import org.ntk4j.data.Dataset;
import org.ntk4j.data.Digits;
import org.ntk4j.model.UnsupportedLayerException;

/**
 * The five lazy-training experiments on the digits data with sizes for the machine ({@link DemoConfig}), as one
 * {@link Report}: the training sweep (weight movement, kernel drift, linearization), empirical → analytic NTK
 * convergence, the lazy-training score, the decay of the residual along the NTK's eigenvectors
 * ({@link EigenmodeDecay}), the weight change and kernel drift of a CNN against its channel count beside the MLP's
 * ({@link #convolutional}), and timings (with the achieved fraction of a GEMM ceiling measured in the
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
    /** The backend that runs the CNN where the demo's own does not. */
    private static final String CPU = "cpu";

    private LazyTrainingDemo() {
    }

    /**
     * Runs the five experiments of the demo with these sizes, on this backend.
     *
     * @param backend  the backend for training and kernels
     * @param cfg      the sizes
     * @param progress receives progress ({@link ProgressListener#NONE} for none)
     * @return every table and a summary
     * @throws InvalidInputException when an argument is missing
     */
    public static Report run(Ntk backend, DemoConfig cfg, ProgressListener progress) {
        if (backend == null || cfg == null) {
            throw new InvalidInputException("backend and configuration must be given");
        }
        ProgressListener listener = ProgressListener.require(progress);
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

        long t4 = System.nanoTime();
        Report cnn = convolutional(backend, split, cfg, sweep.table("training_fits"), listener);
        timing.add("CNN training sweep (weight change and kernel drift vs channels)", seconds(t4));
        timing.add("total", seconds(t0));

        all.addAll(sweep).addAll(conv).addAll(lazy).addAll(modes).addAll(cnn);
        if (cfg.measureGemm()) {
            all.add(throughputVsGemm(backend, sweep.table("training_throughput"), cfg.trainSize()));
        }
        all.add(timing);
        all.summary(String.format(Locale.ROOT, "Backend %s; total %.1f s.", backend.description(), seconds(t0)));
        return all;
    }

    /**
     * The training sweep of {@link DemoConfig#cnn()} on the first {@link DemoConfig#cnnTrainSize()} training digits
     * read as 8×8×1 images (the 64 features are the pixels row by row, which is NHWC for one channel): its tables
     * named {@code cnn_…} with {@code network.label} "CNN" and the x axis titled as channels, and
     * {@code cnn_vs_mlp_slopes}, the fitted slopes of the weight change and the kernel drift beside the MLP's. A
     * backend that does not run the CNN's layers (CUDA, for now) hands the sweep to the CPU backend, and the summary
     * says so; where that cannot run it either, the report has no tables and a summary line saying why.
     */
    static Report convolutional(Ntk backend, Dataset.Split split, DemoConfig cfg, Table mlpFits,
                                ProgressListener listener) {
        int[] rows = new int[Math.min(cfg.cnnTrainSize(), split.train().size())];
        Arrays.setAll(rows, i -> i);
        Dataset.Split data = new Dataset.Split(split.train().select(rows), split.test());
        Report sweep;
        String ranOn = "";
        try {
            sweep = LazyTrainingExperiments.trainingSweep(backend, data, cfg.cnn(), listener);
        } catch (UnsupportedLayerException e) {
            String refusal = "the " + backend.backendName() + " backend does not run the CNN (" + e.getMessage() + ")";
            if (backend.backendName().equals(CPU)) {
                return notRun(refusal);
            }
            try (Ntk cpu = Ntk.builder().backend(CPU)
                    .precision(backend.precision() == Precision.FP64 ? Precision.FP64 : Precision.FP32).open()) {
                sweep = LazyTrainingExperiments.trainingSweep(cpu, data, cfg.cnn(), listener);
                ranOn = " on " + cpu.description() + ": " + refusal;
            } catch (NtkException onCpu) {
                return notRun(refusal + ", nor does the cpu backend (" + onCpu.getMessage() + ")");
            }
        }
        Report r = new Report("CNN training sweep");
        for (Table t : sweep.tables()) {
            Table c = t.renamed("cnn_" + t.name()).meta("network.label", "CNN");
            if ("width".equals(t.meta().get("plot.x"))) {
                c.meta("plot.xlabel", "channels per conv layer");
            }
            r.add(c);
        }
        Table cnnFits = sweep.table("training_fits");
        Table both = new Table("cnn_vs_mlp_slopes", "quantity", "mlp_slope_vs_width", "mlp_r2", "cnn_slope_vs_channels",
                "cnn_r2").meta("title", "Log-log slopes: the MLP against its hidden width, the CNN against its channels")
                .meta("mlp", LazyTrainingExperiments.describe(cfg.sweep()))
                .meta("cnn", LazyTrainingExperiments.describe(cfg.cnn()) + ", " + data.train().size() + " digits");
        for (String q : new String[] {"change_total", "kernel_drift (final step)"}) {
            for (String variant : new String[] {q, q + " (widest 3)"}) {
                double cs = LazyTrainingExperiments.fitSlope(cnnFits, variant);
                if (!Double.isNaN(cs)) {
                    both.add(variant, LazyTrainingExperiments.fitSlope(mlpFits, variant), LazyTrainingExperiments.fitValue(mlpFits, variant, "r2"), cs,
                            LazyTrainingExperiments.fitValue(cnnFits, variant, "r2"));
                }
            }
        }
        r.add(both);
        if (!ranOn.isEmpty()) {
            r.summary("CNN sweep" + ranOn + ".");
        }
        r.summary(String.format(Locale.ROOT, "CNN (%s), %d digits as 8×8×1 images, channels %s, %d steps:",
                cfg.cnn().template().replace(SweepConfig.WIDTH, "C"), data.train().size(),
                Arrays.toString(cfg.cnn().widths()), cfg.cnn().steps()));
        for (int i = 0; i < both.rowCount(); i++) {
            r.summary(String.format(Locale.ROOT, "CNN %s vs channels: slope %.3f (r² %.3f); MLP vs width %.3f",
                    both.get(i, "quantity"), (Double) both.get(i, "cnn_slope_vs_channels"), (Double) both.get(i, "cnn_r2"),
                    (Double) both.get(i, "mlp_slope_vs_width")));
        }
        return r;
    }

    private static Report notRun(String why) {
        return new Report("CNN training sweep").summary("CNN sweep not run: " + why + ".");
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
