package org.ntk4j.experiments;

import java.util.ArrayList;
import java.util.List;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.data.Dataset;
import org.ntk4j.dynamics.GradientDescent;
import org.ntk4j.dynamics.LazyScore;
import org.ntk4j.dynamics.LearningRate;
import org.ntk4j.dynamics.LearningRates;
import org.ntk4j.dynamics.LinearizedDynamics;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The lazy-training experiments, as library functions returning {@link Report}s of {@link Table}s (long layout,
 * one series per width, fitted log-log slopes in a {@code *_fits} table):
 * <ol>
 *   <li>weight movement vs width: loss and ‖θ_t − θ_0‖/‖θ_0‖ (total and per layer) per gradient-descent step;</li>
 *   <li>empirical → analytic: ‖Θ_emp − Θ_∞‖_F/‖Θ_∞‖_F at initialisation vs width, over seeds;</li>
 *   <li>kernel drift during training, ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F, vs width;</li>
 *   <li>trained vs linearized outputs on train and test points over time, vs width;</li>
 *   <li>the lazy-training score k(θ_0) vs width.</li>
 * </ol>
 * 1, 3 and 4 share their training runs ({@link #trainingSweep}).
 */
public final class LazyTrainingExperiments {
    private LazyTrainingExperiments() {
    }

    /**
     * Experiment 1 alone: training runs without kernel tracking or linearization.
     *
     * @param backend  the backend that trains and computes kernels
     * @param data     the training and test split
     * @param cfg      the sweep
     * @param progress receives progress ({@link ProgressListener#NONE} for none)
     * @return the tables
     */
    public static Report weightMovement(Ntk backend, Dataset.Split data, SweepConfig cfg, ProgressListener progress) {
        return trainingSweep(backend, data, cfg.withTracking(0, cfg.kernelChecks(), false), progress);
    }

    /**
     * Experiments 1, 3 and 4: for each width, full-batch gradient descent from the seeded initialisation on the
     * training split, recording the loss and weight change at every step, the kernel drift on the first
     * {@code kernelPoints} training inputs and the network's outputs at {@link SweepConfig#checkSteps()}, compared
     * with the linearized model's outputs (discrete steps with the same η, {@link LinearizedDynamics.Flow#GRADIENT_DESCENT},
     * so the two differ only by the network's nonlinearity in θ — and, when N·O is above the full-kernel limit,
     * by the trace-mode Θ ⊗ I_O approximation).
     *
     * <p>Tables: {@code weight_movement} (per step), {@code weight_movement_final}, {@code kernel_drift},
     * {@code linearization} (gaps are RMS differences divided by the RMS of the initial training residual
     * f_0 − y), {@code ntk_spectrum} and {@code ntk_conditioning} (of the kernel the linearization uses),
     * {@code training_throughput}, {@code training_fits}.
     *
     * @param backend  the backend that trains and computes kernels
     * @param data     the training and test split
     * @param cfg      the sweep
     * @param progress receives progress ({@link ProgressListener#NONE} for none)
     * @return the tables
     */
    public static Report trainingSweep(Ntk backend, Dataset.Split data, SweepConfig cfg, ProgressListener progress) {
        if (backend == null || data == null || cfg == null) {
            throw new InvalidInputException("backend, data and configuration must be given");
        }
        ProgressListener listener = ProgressListener.require(progress);
        Matrix x = data.train().x();
        Matrix y = data.train().y();
        Matrix xt = data.test().size() > 0 ? data.test().x() : null;
        Matrix yt = xt == null ? null : data.test().y();
        int d = x.cols();
        int o = y.cols();
        int n = x.rows() * o;
        int layers = cfg.architecture(cfg.widths()[0], d, o).layers(); // layers with parameters, at every width
        int[] checks = cfg.checkSteps();
        Matrix kx = cfg.kernelPoints() > 0 ? x.rowRange(0, Math.min(cfg.kernelPoints(), x.rows())) : null;
        boolean linearize = cfg.linearize() && xt != null;
        NtkMode linMode = (long) n <= cfg.linearizeFullLimit() ? NtkMode.FULL : NtkMode.TRACE;

        String[] stepCols = new String[4 + layers];
        stepCols[0] = "width";
        stepCols[1] = "step";
        stepCols[2] = "loss";
        stepCols[3] = "change_total";
        for (int l = 0; l < layers; l++) {
            stepCols[4 + l] = "change_layer" + l;
        }
        Table steps = new Table("weight_movement", stepCols)
                .meta("title", "Loss and relative weight change ‖θ_t − θ_0‖/‖θ_0‖ per step")
                .meta("plot.x", "step").meta("plot.y", "change_total").meta("plot.series", "width")
                .meta("plot.logy", "true");
        String[] finalCols = new String[9 + layers];
        System.arraycopy(new String[] {"width", "parameters", "learning_rate", "loss_initial", "loss_final",
                "loss_reduction", "change_total", "f0_rms", "target_rms"}, 0, finalCols, 0, 9);
        for (int l = 0; l < layers; l++) {
            finalCols[9 + l] = "change_layer" + l;
        }
        Table finals = new Table("weight_movement_final", finalCols)
                .meta("title", "Final relative weight change vs width")
                .meta("plot.x", "width").meta("plot.y", "change_total").meta("plot.logx", "true").meta("plot.logy", "true");
        Table drift = new Table("kernel_drift", "width", "step", "drift")
                .meta("title", "Kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F (trace mode, first training points)")
                .meta("plot.x", "step").meta("plot.y", "drift").meta("plot.series", "width").meta("plot.logy", "true");
        Table lin = new Table("linearization", "width", "step", "train_gap", "test_gap", "train_loss_network",
                "train_loss_linear", "test_loss_network", "test_loss_linear")
                .meta("title", "Trained network vs its linearization at θ_0")
                .meta("gap", "RMS(f_network − f_linear) / RMS(f_0 − y) on the training set")
                .meta("kernel", linMode == NtkMode.FULL ? "full (N·O)×(N·O) empirical NTK at θ_0"
                        : "trace-mode empirical NTK at θ_0, used as Θ ⊗ I_O (N·O above the full-kernel limit)")
                .meta("plot.x", "step").meta("plot.y", "test_gap").meta("plot.series", "width").meta("plot.logy", "true");
        Table spectrum = new Table("ntk_spectrum", "width", "index", "eigenvalue")
                .meta("title", "Eigenvalues of the empirical NTK Gram at θ_0 on the training inputs (descending)")
                .meta("plot.x", "index").meta("plot.y", "eigenvalue").meta("plot.series", "width")
                .meta("plot.logy", "true");
        Table conditioning = new Table("ntk_conditioning", "width", "lambda_max", "lambda_min", "condition_number",
                "learning_rate", "lr_times_lambda_max_over_n")
                .meta("title", "NTK Gram conditioning and the step size (stable while η·λ_max/n < 2)");
        Table throughput = new Table("training_throughput", "width", "parameters", "flops_per_step",
                "median_step_seconds", "gflops", "train_seconds", "kernel_seconds")
                .meta("title", "Gradient-step throughput (nominal 6·N·Σ n_l n_{l+1} flops per step)");
        steps.meta("data", data.train().name() + ", N = " + x.rows() + ", O = " + o)
                .meta("network", describe(cfg));

        for (int width : cfg.widths()) {
            Architecture arch = cfg.architecture(width, d, o);
            Parameters p0 = Parameters.init(arch, cfg.seed());
            LinearizedDynamics linear = null;
            double lr;
            double kernelSeconds;
            double trainSeconds;
            GradientDescent.Run run;
            Matrix f0;
            // one model per width: the kernels at θ_0, the outputs and every training step use the prepared weights
            try (PreparedModel model = backend.prepare(p0)) {
                long tk = System.nanoTime();
                if (linearize) {
                    Tensor k = model.kernel(x, linMode);
                    Tensor kts = model.kernel(xt, x, linMode);
                    linear = LinearizedDynamics.builder(k, model.forward(x), y).test(kts, model.forward(xt))
                            .learningRate(cfg.learningRate()).flow(LinearizedDynamics.Flow.GRADIENT_DESCENT).build();
                    lr = linear.learningRate();
                    double[] ev = linear.eigenvalues();
                    for (int i = 0; i < ev.length; i++) {
                        spectrum.add(width, i, ev[ev.length - 1 - i]);
                    }
                    conditioning.add(width, ev[ev.length - 1], ev[0], linear.conditionNumber(), lr,
                            lr * ev[ev.length - 1] / n);
                } else {
                    lr = cfg.learningRate().resolve(() -> LearningRates.largestEigenvalue(model, x), n);
                }
                kernelSeconds = (System.nanoTime() - tk) / 1e9;
                f0 = linear != null ? null : model.forward(x);
                GradientDescent.Options opt = GradientDescent.Options.of(cfg.steps()).withLearningRate(LearningRate.fixed(lr))
                        .withTask("width " + width);
                if (linearize) {
                    opt = opt.withOutputs(checks, xt);
                }
                if (kx != null) {
                    opt = opt.withKernel(checks, kx, NtkMode.TRACE);
                }
                long t0 = System.nanoTime();
                run = GradientDescent.train(model, x, y, opt, listener);
                trainSeconds = (System.nanoTime() - t0) / 1e9;
            }

            for (int t = 0; t <= cfg.steps(); t++) {
                Object[] row = new Object[4 + layers];
                row[0] = width;
                row[1] = t;
                row[2] = run.loss()[t];
                row[3] = run.weightChange()[t];
                for (int l = 0; l < layers; l++) {
                    row[4 + l] = run.layerChange()[l][t];
                }
                steps.add(row);
            }
            if (f0 == null) {
                f0 = run.trainOutputs()[0];
            }
            Object[] fr = new Object[9 + layers];
            fr[0] = width;
            fr[1] = arch.parameterCount();
            fr[2] = lr;
            fr[3] = run.loss()[0];
            fr[4] = run.loss()[cfg.steps()];
            fr[5] = run.lossReduction();
            fr[6] = run.weightChange()[cfg.steps()];
            fr[7] = rms(f0.data(), null);
            fr[8] = rms(y.data(), null);
            for (int l = 0; l < layers; l++) {
                fr[9 + l] = run.layerChange()[l][cfg.steps()];
            }
            finals.add(fr);
            for (int i = 0; i < run.kernelSteps().length; i++) {
                drift.add(width, run.kernelSteps()[i], run.kernelDrift()[i]);
            }
            if (linear != null) {
                double scale = rms(run.trainOutputs()[0].data(), y.data());
                for (int i = 0; i < run.outputSteps().length; i++) {
                    int t = run.outputSteps()[i];
                    Matrix ftr = linear.predictTrain(t);
                    Matrix fte = linear.predictTest(t);
                    lin.add(width, t,
                            rms(run.trainOutputs()[i].data(), ftr.data()) / scale,
                            rms(run.testOutputs()[i].data(), fte.data()) / scale,
                            GradientDescent.halfMeanSquaredError(run.trainOutputs()[i], y),
                            GradientDescent.halfMeanSquaredError(ftr, y),
                            GradientDescent.halfMeanSquaredError(run.testOutputs()[i], yt),
                            GradientDescent.halfMeanSquaredError(fte, yt));
                }
            }
            throughput.add(width, arch.parameterCount(), run.flopsPerStep(), run.medianStepSeconds(), run.gflops(),
                    trainSeconds, kernelSeconds);
        }

        Table fits = fitsTable("training_fits");
        double[] w = finals.numbers("width");
        fitAllAndWidest(fits, "change_total", w, finals.numbers("change_total"));
        for (int l = 0; l < layers; l++) {
            fitAllAndWidest(fits, "change_layer" + l, w, finals.numbers("change_layer" + l));
        }
        if (kx != null && cfg.steps() > 0) {
            Table last = lastStep(drift, cfg.steps());
            fitAllAndWidest(fits, "kernel_drift (final step)", last.numbers("width"), last.numbers("drift"));
        }
        if (lin.rowCount() > 0 && cfg.steps() > 0) {
            Table last = lastStep(lin, cfg.steps());
            fitAllAndWidest(fits, "linearization train_gap (final step)", last.numbers("width"), last.numbers("train_gap"));
            fitAllAndWidest(fits, "linearization test_gap (final step)", last.numbers("width"), last.numbers("test_gap"));
        }

        Report r = new Report("training sweep");
        r.add(steps).add(finals);
        if (kx != null) {
            r.add(drift);
        }
        if (lin.rowCount() > 0) {
            r.add(lin).add(spectrum).add(conditioning);
        }
        r.add(throughput).add(fits);
        r.summary(describe(cfg) + "; " + data.train().name() + " N = " + x.rows() + ", O = " + o + ", " + cfg.steps()
                + " steps.");
        for (int i = 0; i < fits.rowCount(); i++) {
            r.summary(String.format(java.util.Locale.ROOT, "%s vs width: slope %.3f (r² %.3f)", fits.get(i, "quantity"),
                    (Double) fits.get(i, "slope"), (Double) fits.get(i, "r2")));
        }
        return r;
    }

    /**
     * Experiment 2: for each width and seed, the empirical NTK at initialisation on x against the analytic limit,
     * ‖Θ_emp − Θ_∞‖_F/‖Θ_∞‖_F in the given mode (TRACE compares the output-averaged kernel; FULL also counts the
     * cross-output blocks, which vanish in the limit). Tables {@code ntk_convergence} (per seed),
     * {@code ntk_convergence_summary} (mean, sample std) and {@code ntk_convergence_fits}.
     *
     * @param backend  the backend that computes the empirical kernels
     * @param x        the inputs, (N, d)
     * @param outputs  O
     * @param cfg      the sweep (its network settings and widths)
     * @param seeds    initialisations per width, ≥ 1
     * @param mode     TRACE or FULL
     * @param progress receives progress ({@link ProgressListener#NONE} for none)
     * @return the tables
     */
    public static Report kernelConvergence(Ntk backend, Matrix x, int outputs, SweepConfig cfg, int seeds,
                                           NtkMode mode, ProgressListener progress) {
        if (seeds < 1) {
            throw new InvalidInputException("at least one seed is needed, got " + seeds);
        }
        ProgressListener listener = ProgressListener.require(progress);
        Table per = new Table("ntk_convergence", "width", "seed", "relative_error")
                .meta("title", "Empirical vs infinite-width NTK at initialisation")
                .meta("mode", mode.name().toLowerCase(java.util.Locale.ROOT))
                .meta("inputs", x.rows() + " × " + x.cols()).meta("network", describe(cfg));
        Table sum = new Table("ntk_convergence_summary", "width", "seeds", "mean_relative_error", "std_relative_error")
                .meta("title", "‖Θ_emp − Θ_∞‖_F/‖Θ_∞‖_F, mean over seeds")
                .meta("plot.x", "width").meta("plot.y", "mean_relative_error").meta("plot.logx", "true")
                .meta("plot.logy", "true");
        int done = 0;
        int total = cfg.widths().length * seeds;
        for (int width : cfg.widths()) {
            Architecture arch = cfg.architecture(width, x.cols(), outputs);
            Tensor inf = AnalyticKernel.of(arch).ntk(x, mode);
            double[] e = new double[seeds];
            for (int s = 0; s < seeds; s++) {
                Tensor emp = backend.kernel(Parameters.init(arch, cfg.seed() + s), x, mode, Implementation.AUTO);
                e[s] = emp.relativeDistance(inf);
                per.add(width, cfg.seed() + s, e[s]);
                listener.report("ntk convergence", ++done, total, "width " + width);
            }
            double mean = 0;
            for (double v : e) {
                mean += v / seeds;
            }
            double var = 0;
            for (double v : e) {
                var += (v - mean) * (v - mean);
            }
            sum.add(width, seeds, mean, seeds > 1 ? Math.sqrt(var / (seeds - 1)) : 0.0);
        }
        Table fits = fitsTable("ntk_convergence_fits");
        fitAllAndWidest(fits, "mean_relative_error", sum.numbers("width"), sum.numbers("mean_relative_error"));
        Report r = new Report("empirical to analytic NTK").add(per).add(sum).add(fits);
        r.summary(String.format(java.util.Locale.ROOT, "‖Θ_emp − Θ_∞‖/‖Θ_∞‖ vs width: slope %.3f (r² %.3f); expected −0.5",
                (Double) fits.get(0, "slope"), (Double) fits.get(0, "r2")));
        return r;
    }

    /**
     * Experiment 5: the lazy-training score k(θ_0) ({@link LazyScore}) per width and seed on the given data (keep
     * N·O moderate: the full NTK Gram is formed). Tables {@code lazy_score} (per seed), {@code lazy_score_summary}
     * and {@code lazy_score_fits}.
     *
     * @param backend  the backend for the forward pass and the kernel
     * @param data     the inputs and targets
     * @param cfg      the sweep (its network settings and widths)
     * @param seeds    initialisations per width, ≥ 1
     * @param options  the Hessian-norm estimator's effort
     * @param progress receives progress ({@link ProgressListener#NONE} for none)
     * @return the tables
     */
    public static Report lazyScore(Ntk backend, Dataset data, SweepConfig cfg, int seeds, LazyScore.Options options,
                                   ProgressListener progress) {
        if (seeds < 1) {
            throw new InvalidInputException("at least one seed is needed, got " + seeds);
        }
        ProgressListener listener = ProgressListener.require(progress);
        Table per = new Table("lazy_score", "width", "seed", "residual_norm", "gradient_norm_sq", "hessian_norm", "score",
                "hessian_products", "seconds")
                .meta("title", "Lazy-training score k(θ_0) = ‖f − y‖·‖∇²f‖/‖∇f‖²")
                .meta("estimator", "‖∇f‖² = λ_max of the full NTK Gram; ‖∇²f‖ by alternating Lanczos with exact "
                        + "Hessian-vector products (a lower bound)")
                .meta("data", data.name() + ", N = " + data.size()).meta("network", describe(cfg));
        Table sum = new Table("lazy_score_summary", "width", "mean_score", "mean_hessian_norm", "mean_gradient_norm_sq",
                "mean_residual_norm")
                .meta("title", "Lazy-training score vs width (mean over seeds)")
                .meta("plot.x", "width").meta("plot.y", "mean_score").meta("plot.logx", "true").meta("plot.logy", "true");
        int done = 0;
        int total = cfg.widths().length * seeds;
        for (int width : cfg.widths()) {
            Architecture arch = cfg.architecture(width, data.x().cols(), data.y().cols());
            double[] acc = new double[4];
            for (int s = 0; s < seeds; s++) {
                long t0 = System.nanoTime();
                LazyScore.Result res = LazyScore.estimate(backend, Parameters.init(arch, cfg.seed() + s), data.x(),
                        data.y(), options);
                double sec = (System.nanoTime() - t0) / 1e9;
                per.add(width, cfg.seed() + s, res.residualNorm(), res.gradientNormSq(), res.hessianNorm(), res.score(),
                        res.hessianProducts(), sec);
                acc[0] += res.score() / seeds;
                acc[1] += res.hessianNorm() / seeds;
                acc[2] += res.gradientNormSq() / seeds;
                acc[3] += res.residualNorm() / seeds;
                listener.report("lazy score", ++done, total, "width " + width);
            }
            sum.add(width, acc[0], acc[1], acc[2], acc[3]);
        }
        Table fits = fitsTable("lazy_score_fits");
        double[] w = sum.numbers("width");
        fitAllAndWidest(fits, "mean_score", w, sum.numbers("mean_score"));
        fitAllAndWidest(fits, "mean_hessian_norm", w, sum.numbers("mean_hessian_norm"));
        fitAllAndWidest(fits, "mean_gradient_norm_sq", w, sum.numbers("mean_gradient_norm_sq"));
        Report r = new Report("lazy-training score").add(per).add(sum).add(fits);
        r.summary(String.format(java.util.Locale.ROOT, "k(θ_0) vs width: slope %.3f (r² %.3f); ‖∇²f‖ slope %.3f",
                fitSlope(fits, "mean_score"), (Double) fits.get(0, "r2"), fitSlope(fits, "mean_hessian_norm")));
        return r;
    }

    /**
     * The slope of a named fit (NaN if absent).
     *
     * @param fits     a fits table (columns quantity, slope, …)
     * @param quantity the fitted quantity
     * @return its slope
     */
    public static double fitSlope(Table fits, String quantity) {
        return fitValue(fits, quantity, "slope");
    }

    /** A column (slope, r2, …) of a named fit, NaN if absent. */
    static double fitValue(Table fits, String quantity, String column) {
        for (int i = 0; i < fits.rowCount(); i++) {
            if (fits.get(i, "quantity").equals(quantity)) {
                return ((Number) fits.get(i, column)).doubleValue();
            }
        }
        return Double.NaN;
    }

    static String describe(SweepConfig cfg) {
        if (cfg.template() != null) {
            return "network " + cfg.template() + ", " + cfg.parameterization().id() + " parameterization";
        }
        return cfg.hiddenLayers() + " hidden " + cfg.activation().id() + " layers, " + cfg.parameterization().id()
                + " parameterization, σ_w = " + String.format(java.util.Locale.ROOT, "%.4g", cfg.sigmaW())
                + (Double.isNaN(cfg.sigmaB()) ? ", no bias" : ", σ_b = " + cfg.sigmaB());
    }

    static Table fitsTable(String name) {
        return new Table(name, "quantity", "slope", "intercept", "r2", "points", "width_min", "width_max")
                .meta("title", "Log-log fits y ≈ e^intercept · width^slope");
    }

    /** The fit over all widths and, with at least 4 widths, over the widest 3 (the asymptotic slope). */
    static void fitAllAndWidest(Table fits, String quantity, double[] x, double[] y) {
        addFit(fits, quantity, x, y);
        if (x.length >= 4) {
            addFit(fits, quantity + " (widest 3)", x, y, x[x.length - 3], Double.POSITIVE_INFINITY);
        }
    }

    static void addFit(Table fits, String quantity, double[] x, double[] y) {
        addFit(fits, quantity, x, y, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    static void addFit(Table fits, String quantity, double[] x, double[] y, double from, double to) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (x[i] >= from && x[i] <= to && y[i] > 0 && Double.isFinite(y[i])) {
                pts.add(new double[] {x[i], y[i]});
            }
        }
        if (pts.size() < 2) {
            return;
        }
        double[] xs = pts.stream().mapToDouble(p -> p[0]).toArray();
        double[] ys = pts.stream().mapToDouble(p -> p[1]).toArray();
        LogLogFit f = LogLogFit.of(xs, ys);
        fits.add(quantity, f.slope(), f.intercept(), f.r2(), f.points(), f.xMin(), f.xMax());
    }

    private static Table lastStep(Table t, int step) {
        return t.where("step", step);
    }

    /** √(mean((a − b)²)), or √(mean(a²)) when b is null. */
    static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double v = b == null ? a[i] : a[i] - b[i];
            s += v * v;
        }
        return Math.sqrt(s / a.length);
    }
}
