package org.ntk4j.experiments;

import java.util.Arrays;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.data.Dataset;
import org.ntk4j.dynamics.GradientDescent;
import org.ntk4j.dynamics.LearningRate;
import org.ntk4j.dynamics.LearningRates;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The decoupled gradient flow, measured on the trained network: the training residual r_t = f_t − y of the actual
 * network, projected at every recorded step onto the eigenvectors v_k of its empirical NTK at initialisation, against
 * the linearized prediction that each component decays on its own at a rate set by its eigenvalue.
 *
 * <p>Conventions (those of {@link org.ntk4j.dynamics.LinearizedDynamics}): Θ_0 is the <b>full</b> (N·O)×(N·O)
 * kernel with row n·O + a, the order of the flattened (N, O) residual. The trace kernel used as Θ ⊗ I_O would be
 * cheaper, but its cross-output error is O(width^−½) — as large as the nonlinear effect measured here; with the full
 * kernel every difference between measurement and prediction comes from the network. The loss is L = ½·mean over
 * all n = N·O entries, so the linearized flow is dr/dt = −(η/n)·Θ_0·r, and one gradient-descent step of size η maps
 * r to (I − η·Θ_0/n)·r. The prediction used is the exact discrete one,
 *
 * <pre>
 *   c_k(t) = ⟨v_k, r_t⟩ = (1 − η·λ_k/n)^t · c_k(0),   decay rate per step ρ_k = −ln(1 − η·λ_k/n),
 * </pre>
 *
 * not the flow's e^{−ηλ_k t/n} (rate ηλ_k/n): at the demo's step size η = n/(2λ_max) the two rates differ by 39%
 * for the top mode and by 1% at λ_k = λ_max/25 (relatively ≈ ηλ_k/(2n)), so the discrete form is needed for the
 * fast modes. Both rates are tabulated.
 *
 * <p>Fitted rate of mode k: least squares of ln|c_k(t)| against t (free intercept) over the recorded steps of a
 * window 0 … t_k: the longest prefix where the predicted magnitude is still above {@code depth}·|c_k(0)| and the
 * measured |c_k(t)| above the rounding floor of the backend's precision (100·u·RMS(f_t) for unit roundoff u: a
 * component of n outputs each rounded by ~u·|f| carries an error of ~u·RMS(f)). At least three points are needed.
 * The window follows the prediction, not the measurement, so every mode is fitted over the same predicted decay
 * (1 → depth) and the measurement cannot choose its own window. A mode is <i>resolved</i> when its prediction falls
 * below depth within the run (ρ_k·T ≥ ln(1/depth)). The relative deviation |ρ̂_k − ρ_k|/ρ_k is summarised per width
 * by its median over the resolved modes (each mode counts once; a λ-weighted mean would be dominated by the top
 * cluster of O near-degenerate modes, whose individual eigenvectors rotate into each other).
 */
public final class EigenmodeDecay {
    private EigenmodeDecay() {
    }

    /**
     * Sizes and windows.
     *
     * @param widths     hidden widths, ascending (the rest of the network comes from the sweep's settings)
     * @param points     the first {@code points} training inputs are trained on (N; n = N·O modes)
     * @param steps      gradient-descent steps T per width
     * @param lrFraction η = lrFraction·2n/λ_max(Θ_0); below ½, so that every factor 1 − ηλ_k/n is positive and
     *                   ln|c_k| falls on a straight line under the prediction
     * @param depth      a mode's fit window ends where its predicted magnitude falls below depth·|c_k(0)|
     * @param shownModes how many modes per width the magnitude plot shows (spread over the resolved spectrum)
     */
    public record Options(int[] widths, int points, int steps, double lrFraction, double depth, int shownModes) {
        /**
         * Checks the sizes.
         *
         * @throws InvalidInputException when a width is not positive or not ascending, fewer than 1 point, 2 steps or
         *                               1 shown mode are asked for, or lrFraction or depth is outside its range
         */
        public Options {
            if (widths == null || widths.length == 0) {
                throw new InvalidInputException("the eigenmode experiment needs at least one width");
            }
            widths = widths.clone();
            for (int i = 0; i < widths.length; i++) {
                if (widths[i] < 1 || (i > 0 && widths[i] <= widths[i - 1])) {
                    throw new InvalidInputException("widths must be positive and ascending, got " + Arrays.toString(widths));
                }
            }
            if (points < 1 || steps < 2 || shownModes < 1) {
                throw new InvalidInputException("the eigenmode experiment needs at least 1 point, 2 steps and 1 shown "
                        + "mode, got " + points + ", " + steps + ", " + shownModes);
            }
            if (!(lrFraction > 0 && lrFraction < 0.5)) {
                throw new InvalidInputException("learning-rate fraction must be in (0, ½) so that every mode decays "
                        + "monotonically, got " + lrFraction);
            }
            if (!(depth > 0 && depth < 1)) {
                throw new InvalidInputException("window depth must be in (0, 1), got " + depth);
            }
        }

        /**
         * The hidden widths.
         *
         * @return a copy of the widths, ascending
         */
        @Override
        public int[] widths() {
            return widths.clone();
        }

        /**
         * The steps whose outputs are recorded: every step while the fastest mode's window lasts (twice its
         * predicted length, at least 8 steps), then every ⌈T/50⌉-th step — enough points for the slow modes'
         * straight lines, without a forward pass at every step.
         *
         * @return the recorded steps, ascending, from 0 to {@code steps}
         */
        public int[] recordedSteps() {
            double fastest = -Math.log1p(-2 * lrFraction);
            int dense = (int) Math.min(steps, Math.max(8, Math.ceil(2 * Math.log(1 / depth) / fastest)));
            int stride = Math.max(1, (steps + 49) / 50);
            TreeSet<Integer> s = new TreeSet<>();
            for (int t = 0; t <= dense; t++) {
                s.add(t);
            }
            for (int t = dense; t <= steps; t += stride) {
                s.add(t);
            }
            s.add(steps);
            return s.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /**
     * One network's run projected onto Θ_0's eigenvectors. Modes are ranked by descending eigenvalue (mode 0 has
     * λ_max); arrays over modes have n entries, arrays over time one entry per recorded step.
     *
     * @param architecture  the network trained
     * @param learningRate  η, lrFraction·2n/λ_max(Θ_0)
     * @param steps         the number of gradient-descent steps T
     * @param eigenvalues   λ_k, descending
     * @param recordedSteps the steps t at which the residual was recorded (0 first, T last)
     * @param components    [i][k] = ⟨v_k, f_t − y⟩ at t = recordedSteps[i] (signs follow LAPACK's eigenvectors)
     * @param predictedRate ρ_k = −ln(1 − ηλ_k/n) per step (the discrete prediction)
     * @param flowRate      ηλ_k/n (gradient flow's rate, per step of η-time)
     * @param measuredRate  the fitted rate ρ̂_k (NaN when the window has fewer than 3 points)
     * @param windowEnd     the last step t_k of the fit window (−1 when there is none)
     * @param depth         the window depth the fits used
     * @param kernelDrift   ‖Θ_T − Θ_0‖_F/‖Θ_0‖_F of the full kernel on the training inputs
     */
    public record Modes(Architecture architecture, double learningRate, int steps, double[] eigenvalues,
                        int[] recordedSteps, double[][] components, double[] predictedRate, double[] flowRate,
                        double[] measuredRate, int[] windowEnd, double depth, double kernelDrift) {

        /**
         * The number of modes.
         *
         * @return n = N·O
         */
        public int size() {
            return eigenvalues.length;
        }

        /**
         * Whether the prediction falls below depth·|c_k(0)| within the run and a rate was fitted.
         *
         * @param k the mode (0 for λ_max)
         * @return true when mode k's rate is measured over the whole window depth
         */
        public boolean resolved(int k) {
            return predictedRate[k] * steps >= -Math.log(depth) && !Double.isNaN(measuredRate[k]);
        }

        /**
         * The relative deviation of the fitted rate from the predicted one.
         *
         * @param k the mode
         * @return |ρ̂_k − ρ_k|/ρ_k
         */
        public double relativeDeviation(int k) {
            return Math.abs(measuredRate[k] - predictedRate[k]) / predictedRate[k];
        }

        /**
         * The predicted magnitude relative to the initial one.
         *
         * @param k the mode
         * @param t the step
         * @return (1 − ηλ_k/n)^t
         */
        public double predictedDecay(int k, int t) {
            return Math.exp(-predictedRate[k] * t);
        }

        /**
         * The resolved modes ({@link #resolved}).
         *
         * @return their indices, by descending eigenvalue
         */
        public int[] resolvedModes() {
            return IntStream.range(0, size()).filter(this::resolved).toArray();
        }

        /**
         * A quantile of the relative deviation over the resolved modes, each mode counted once.
         *
         * @param q the quantile, 0…1 (0.5: the median), interpolated linearly between modes
         * @return the quantile, or NaN when no mode is resolved
         */
        public double deviationQuantile(double q) {
            double[] d = Arrays.stream(resolvedModes()).mapToDouble(this::relativeDeviation).sorted().toArray();
            if (d.length == 0) {
                return Double.NaN;
            }
            double pos = q * (d.length - 1);
            int lo = (int) Math.floor(pos);
            int hi = Math.min(d.length - 1, lo + 1);
            return d[lo] + (pos - lo) * (d[hi] - d[lo]);
        }

        /**
         * Up to {@code count} resolved modes spread over the resolved spectrum, for display: among the resolved
         * modes whose initial component |c_k(0)| is at least the median over them, the fastest, the slowest and
         * between them those nearest to log-spaced eigenvalues. A mode that starts near zero has almost nothing of
         * its own to lose; its curve shows what the other modes feed into it, not its decay (those modes still count
         * in the deviation table).
         *
         * @param count how many modes at most
         * @return the chosen modes, by descending eigenvalue
         */
        public int[] spreadModes(int count) {
            int[] all = resolvedModes();
            double[] c0 = Arrays.stream(all).mapToDouble(k -> Math.abs(components[0][k])).sorted().toArray();
            double median = c0.length == 0 ? 0 : c0[(c0.length - 1) / 2];
            int[] res = Arrays.stream(all).filter(k -> Math.abs(components[0][k]) >= median).toArray();
            if (res.length <= count) {
                return res;
            }
            double top = Math.log(eigenvalues[res[0]]);
            double bottom = Math.log(eigenvalues[res[res.length - 1]]);
            TreeSet<Integer> chosen = new TreeSet<>();
            for (int i = 0; i < count; i++) {
                double target = count == 1 ? top : top + (bottom - top) * i / (count - 1);
                int best = -1;
                for (int k : res) {
                    if (!chosen.contains(k) && (best < 0 || Math.abs(Math.log(eigenvalues[k]) - target)
                            < Math.abs(Math.log(eigenvalues[best]) - target))) {
                        best = k;
                    }
                }
                chosen.add(best);
            }
            return chosen.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /**
     * Trains {@code p0} by full-batch gradient descent on (x, y) at η = lrFraction·2n/λ_max(Θ_0), records the outputs
     * at {@code recordedSteps} (which must start at 0 and end at the last step) and projects each residual onto the
     * eigenvectors of the full empirical NTK at p0.
     *
     * @param backend       computes the kernels, the gradients and the outputs
     * @param p0            the initial parameters (not modified)
     * @param x             training inputs (N, d)
     * @param y             training targets (N, O)
     * @param recordedSteps ascending steps from 0; the last one is the number of steps trained
     * @param lrFraction    η = lrFraction·2n/λ_max(Θ_0), in (0, ½) for a monotone prediction
     * @param depth         the fit window ends where the predicted magnitude falls below depth·|c_k(0)|
     * @param task          the name progress reports carry
     * @param progress      receives one update per step ({@link ProgressListener#NONE} for none)
     * @return the components, the predicted, flow and fitted rates of every mode, and the kernel's drift
     * @throws InvalidInputException when an argument is missing or the recorded steps do not start at 0 and ascend
     */
    public static Modes measure(Ntk backend, Parameters p0, Matrix x, Matrix y, int[] recordedSteps, double lrFraction,
                                double depth, String task, ProgressListener progress) {
        if (backend == null || p0 == null || x == null || y == null || recordedSteps == null) {
            throw new InvalidInputException("backend, parameters, inputs, targets and recorded steps must be given");
        }
        int records = recordedSteps.length;
        if (records < 2 || recordedSteps[0] != 0) {
            throw new InvalidInputException("recorded steps must start at 0 and hold at least two steps, got "
                    + Arrays.toString(recordedSteps));
        }
        for (int i = 1; i < records; i++) {
            if (recordedSteps[i] <= recordedSteps[i - 1]) {
                throw new InvalidInputException("recorded steps must ascend, got " + Arrays.toString(recordedSteps));
            }
        }
        int steps = recordedSteps[records - 1];
        int n = y.rows() * y.cols();
        Tensor theta0 = backend.kernel(p0, x, NtkMode.FULL, Implementation.AUTO);
        LinearAlgebra.Eigen eigen = LinearAlgebra.symmetricEigen(KernelLayout.fullToMatrix(theta0));
        double lr = LearningRates.fromEigenvalue(eigen.max(), n, lrFraction);

        GradientDescent.Options opt = GradientDescent.Options.of(steps).withLearningRate(LearningRate.fixed(lr))
                .withOutputs(recordedSteps).withTask(task);
        GradientDescent.Run run = GradientDescent.train(backend, p0, x, y, opt, progress);

        // The residuals as rows, times V (LAPACK's eigenvectors are the rows of eigen.vectors()): C = R·V.
        double[] r = new double[records * n];
        double[] fRms = new double[records];
        for (int i = 0; i < records; i++) {
            double[] f = run.trainOutputs()[i].data();
            double s = 0;
            for (int j = 0; j < n; j++) {
                r[i * n + j] = f[j] - y.data()[j];
                s += f[j] * f[j];
            }
            fRms[i] = Math.sqrt(s / n);
        }
        Matrix c = LinearAlgebra.multiply(new Matrix(records, n, r), false, eigen.vectors(), true);

        double[] ascending = eigen.values();
        double[] lambda = new double[n];
        double[][] comp = new double[records][n];
        for (int k = 0; k < n; k++) {
            int j = n - 1 - k; // descending rank k is LAPACK's ascending index n − 1 − k
            lambda[k] = ascending[j];
            for (int i = 0; i < records; i++) {
                comp[i][k] = c.get(i, j);
            }
        }
        double floor = 100 * unitRoundoff(backend.precision());
        double[] rho = new double[n];
        double[] flow = new double[n];
        double[] fitted = new double[n];
        int[] end = new int[n];
        double[] ts = new double[records];
        double[] logs = new double[records];
        for (int k = 0; k < n; k++) {
            double a = lr * lambda[k] / n;
            flow[k] = a;
            rho[k] = a > 0 ? -Math.log1p(-a) : 0;
            int m = 0;
            for (int i = 0; i < records; i++) {
                int t = recordedSteps[i];
                double measured = Math.abs(comp[i][k]);
                if (Math.exp(-rho[k] * t) < depth || !(measured > floor * fRms[i])) {
                    break;
                }
                ts[m] = t;
                logs[m++] = Math.log(measured);
            }
            end[k] = m == 0 ? -1 : (int) ts[m - 1];
            fitted[k] = m >= 3 ? -slope(ts, logs, m) : Double.NaN;
        }
        double drift = backend.kernel(run.finalParameters(), x, NtkMode.FULL, Implementation.AUTO)
                .relativeDistance(theta0);
        return new Modes(p0.architecture(), lr, steps, lambda, recordedSteps.clone(), comp, rho, flow, fitted, end,
                depth, drift);
    }

    /**
     * The experiment over widths on the first {@code opt.points()} rows of {@code train}, with the network settings
     * (depth, activation, parameterization, σ's, seed) of {@code network}. Tables:
     * <ul>
     *   <li>{@code eigenmode_decay}: |c_k(t)|/|c_k(0)| measured and predicted at the recorded steps, for
     *       {@code shownModes} modes per width spread over the resolved spectrum;</li>
     *   <li>{@code eigenmode_rates}: predicted, flow and fitted rate and their relative deviation, every resolved
     *       mode of every width;</li>
     *   <li>{@code eigenmode_rate_deviation}: per width, the median and 90th percentile of the relative deviation
     *       over the resolved modes, the top mode's, and the full kernel's drift;</li>
     *   <li>{@code eigenmode_fits}: those against width on log-log axes.</li>
     * </ul>
     *
     * @param backend  computes the kernels, the gradients and the outputs
     * @param train    the training data; its first {@code opt.points()} rows are used
     * @param network  the network's settings apart from its widths (and the initialisation seed)
     * @param opt      widths, sizes and windows
     * @param progress receives one update per step of every width ({@link ProgressListener#NONE} for none)
     * @return the four tables and a summary
     * @throws InvalidInputException when an argument is missing
     */
    public static Report run(Ntk backend, Dataset train, SweepConfig network, Options opt, ProgressListener progress) {
        if (backend == null || train == null || network == null || opt == null) {
            throw new InvalidInputException("backend, data, network settings and options must be given");
        }
        ProgressListener.require(progress);
        int points = Math.min(opt.points(), train.size());
        Matrix x = train.x().rowRange(0, points);
        Matrix y = train.y().rowRange(0, points);
        int o = y.cols();
        int n = points * o;
        int[] recorded = opt.recordedSteps();
        String setting = String.format(Locale.ROOT, "%s, N = %d, O = %d (n = %d modes); %s; %d steps at "
                        + "η = %.3g·2n/λ_max; fit window: predicted decay 1 → %.3g", train.name(), points, o, n,
                LazyTrainingExperiments.describe(network), opt.steps(), opt.lrFraction(), opt.depth());

        Table decay = new Table("eigenmode_decay", "width", "mode", "eigenvalue", "step", "measured", "predicted")
                .meta("title", "Training residual along the eigenvectors of Θ_0: measured vs linearized")
                .meta("measured", "|⟨v_k, f_t − y⟩| / |⟨v_k, f_0 − y⟩| of the trained network, v_k the k-th "
                        + "eigenvector of the full empirical NTK Θ_0 (descending eigenvalue)")
                .meta("modes", opt.shownModes() + " per width, spread over the resolved spectrum, among the modes whose "
                        + "initial component is at least the median (a mode starting near zero shows what the others "
                        + "feed into it, not its own decay)")
                .meta("predicted", "(1 − η·λ_k/n)^t, the linearized network under the same gradient-descent steps")
                .meta("setting", setting)
                .meta("plot.title", "network (markers) vs linearized (1 − ηλ_k/n)^t (lines)")
                .meta("plot.xlabel", "gradient-descent step t")
                .meta("plot.ylabel", "|⟨v_k, f_t − y⟩| / |⟨v_k, f_0 − y⟩|");
        Table rates = new Table("eigenmode_rates", "width", "mode", "eigenvalue", "rate_predicted", "rate_flow",
                "rate_measured", "relative_deviation", "window_end", "initial_component")
                .meta("title", "Decay rate per step of every resolved mode: fitted vs predicted")
                .meta("rate_predicted", "−ln(1 − η·λ_k/n): exact for the linearized network under discrete steps")
                .meta("rate_flow", "η·λ_k/n: gradient flow's rate (the two agree for η·λ_k/n ≪ 1)")
                .meta("rate_measured", "least squares of ln|⟨v_k, f_t − y⟩| against t over steps 0 … window_end")
                .meta("setting", setting)
                .meta("plot.title", "decay rate vs eigenvalue")
                .meta("plot.xlabel", "eigenvalue λ_k of Θ_0")
                .meta("plot.ylabel", "decay rate per step");
        Table dev = new Table("eigenmode_rate_deviation", "width", "parameters", "learning_rate",
                "lr_times_lambda_max_over_n", "modes_resolved", "median_relative_deviation", "p90_relative_deviation",
                "top_mode_relative_deviation", "kernel_drift")
                .meta("title", "Relative deviation |ρ̂_k − ρ_k|/ρ_k of the fitted decay rates vs width")
                .meta("aggregate", "median and 90th percentile over the resolved modes (prediction below "
                        + opt.depth() + " of the initial component within the run), each mode counted once")
                .meta("kernel_drift", "‖Θ_T − Θ_0‖_F/‖Θ_0‖_F of the full kernel on the same inputs")
                .meta("setting", setting)
                .meta("plot.x", "width").meta("plot.y", "median_relative_deviation,kernel_drift")
                .meta("plot.ylabel", "relative size")
                .meta("plot.logx", "true").meta("plot.logy", "true")
                .meta("plot.title", "Eigenmode decay rates: deviation from the linearized prediction vs width");

        for (int width : opt.widths()) {
            Architecture arch = network.architecture(width, x.cols(), o);
            Parameters p0 = Parameters.init(arch, network.seed());
            Modes m = measure(backend, p0, x, y, recorded, opt.lrFraction(), opt.depth(), "eigenmodes, width " + width,
                    progress);
            for (int k : m.spreadModes(opt.shownModes())) {
                double c0 = Math.abs(m.components()[0][k]);
                for (int i = 0; i < recorded.length; i++) {
                    int t = recorded[i];
                    decay.add(width, k, m.eigenvalues()[k], t, Math.abs(m.components()[i][k]) / c0,
                            m.predictedDecay(k, t));
                }
            }
            for (int k : m.resolvedModes()) {
                rates.add(width, k, m.eigenvalues()[k], m.predictedRate()[k], m.flowRate()[k], m.measuredRate()[k],
                        m.relativeDeviation(k), m.windowEnd()[k], m.components()[0][k]);
            }
            int top = m.resolved(0) ? 0 : -1;
            dev.add(width, arch.parameterCount(), m.learningRate(), m.learningRate() * m.eigenvalues()[0] / n,
                    m.resolvedModes().length, m.deviationQuantile(0.5), m.deviationQuantile(0.9),
                    top < 0 ? Double.NaN : m.relativeDeviation(0), m.kernelDrift());
        }

        Table fits = LazyTrainingExperiments.fitsTable("eigenmode_fits");
        double[] w = dev.numbers("width");
        LazyTrainingExperiments.fitAllAndWidest(fits, "eigenmode rate deviation (median)", w,
                dev.numbers("median_relative_deviation"));
        LazyTrainingExperiments.fitAllAndWidest(fits, "eigenmode rate deviation (90th pct)", w,
                dev.numbers("p90_relative_deviation"));
        LazyTrainingExperiments.fitAllAndWidest(fits, "eigenmode kernel drift (full Θ)", w, dev.numbers("kernel_drift"));

        Report r = new Report("eigenmode decay").add(decay).add(rates).add(dev).add(fits);
        r.summary("Eigenmode decay: " + setting + ".");
        double[] med = dev.numbers("median_relative_deviation");
        StringBuilder sb = new StringBuilder("Median relative deviation of the fitted decay rates:");
        for (int i = 0; i < w.length; i++) {
            sb.append(String.format(Locale.ROOT, " %.3g (width %d)%s", med[i], (long) w[i], i + 1 < w.length ? "," : ""));
        }
        double slope = LazyTrainingExperiments.fitSlope(fits, "eigenmode rate deviation (median)");
        if (!Double.isNaN(slope)) {
            sb.append(String.format(Locale.ROOT, "; slope vs width %.3f", slope));
        }
        r.summary(sb.append('.').toString());
        return r;
    }

    /** Least-squares slope of y against x over the first m points. */
    static double slope(double[] x, double[] y, int m) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < m; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= m;
        my /= m;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < m; i++) {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
        }
        return sxy / sxx;
    }

    /** The unit roundoff of the precision the backend computes outputs in. */
    static double unitRoundoff(Precision p) {
        return switch (p) {
            case FP64 -> 0x1p-53;
            case FP32 -> 0x1p-24;
            case TF32 -> 0x1p-11;
        };
    }
}
