package org.ntk4j.cli;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Locale;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.dynamics.GradientDescent;
import org.ntk4j.dynamics.LearningRate;
import org.ntk4j.dynamics.LearningRates;
import org.ntk4j.dynamics.LinearizedDynamics;
import org.ntk4j.dynamics.PriorCovariance;
import org.ntk4j.internal.io.OutputFile;
import org.ntk4j.io.Npy;
import org.ntk4j.linalg.SingularSystemException;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ntk predict}: the linearised network's (or the infinite-width kernel's) predictions after training time t. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Predictions of the linearised network at time t (or t = ∞).",
        description = {"Predict test outputs of the network linearised at its initialisation and trained on MSE for time"
                + " t (closed form, no training run): f_test(t) = f_test,0 + Θ_test,train Θ⁻¹ (e^{−ηΘt/n} − I)(f_0 − y)."
                + " At --t inf this is kernel regression, f_test,0 + Θ_test,train (Θ + ridge·I)⁻¹ (y − f_0).",
                "With --impl analytic the kernel is the infinite-width NTK and f_0 = 0: the mean prediction of the"
                        + " infinite ensemble of such networks; --kind nngp trains with the infinite-width NNGP instead"
                        + " (only the read-out trained; at t = inf the GP posterior mean). --cov writes the ensemble's"
                        + " predictive covariance (N_test, N_test) of each output over initialisations (neural-tangents'"
                        + " compute_cov): K_tt + Θ_tx M K M Θ_xt − (Θ_tx M K_xt + K_tx M Θ_xt), M = Θ⁻¹(I − e^{−ηΘt/n}),"
                        + " K the NNGP (for --kind nngp, at t = inf, the GP posterior K_tt − K_tx K⁻¹ K_xt).",
                "Writes the predictions (N_test, O) as .npy; with --y-test it also prints the test RMSE and, for several"
                        + " outputs, the accuracy (as ntk regress does)."},
        footer = {"", "Examples:",
                "  ntk predict --x train.npy --y y.npy --x-test test.npy --arch 64,2048,10 --t inf --out pred.npy",
                "  ntk predict --x train.npy --y y.npy --x-test test.npy --arch 64,1,10 --impl analytic --t 500 --lr 1"
                        + " --y-test ytest.npy --out pred.npy",
                "  ntk predict --x train.npy --y y.npy --x-test test.npy --arch 64,1,10 --impl analytic --kind nngp"
                        + " --out mean.npy --cov cov.npy"})
final class PredictCommand extends BaseCommand {
    @Mixin
    TrainTestFiles files;

    @Option(names = "--t", defaultValue = "inf", paramLabel = "T|inf",
            description = "Training time: gradient steps (--flow gd) or time in units of η (--flow continuous);"
                    + " inf = trained to convergence (default: ${DEFAULT-VALUE}).")
    String time;

    @Option(names = "--lr", defaultValue = "auto", paramLabel = "η|auto",
            description = "Learning rate η; auto = n/λ_max(Θ), as 'ntk train' picks it (default: ${DEFAULT-VALUE}).")
    String lr;

    @Option(names = "--flow", defaultValue = "gd", paramLabel = "gd|continuous",
            description = "gd: t discrete steps, (1 − ηλ/n)^t, matching 'ntk train --steps t'; continuous: gradient"
                    + " flow e^{−ηλt/n} (neural-tangents' gradient_descent_mse) (default: ${DEFAULT-VALUE}).")
    String flow;

    @Option(names = "--mode", defaultValue = "trace", paramLabel = "trace|full", converter = Converters.ModeConverter.class,
            description = "trace: Θ_trace ⊗ I_O (each output alone); full: the (N·O)×(N·O) kernel, exact for the"
                    + " linearised finite network but O³ times the cost (default: ${DEFAULT-VALUE}).")
    NtkMode mode;

    @Option(names = "--kind", defaultValue = "ntk", paramLabel = "ntk|nngp", converter = Converters.KindConverter.class,
            description = "The kernel trained with: ntk, or nngp (with --impl analytic) (default: ${DEFAULT-VALUE}).")
    KernelKind kind;

    @Option(names = "--cov", paramLabel = "COV.npy",
            description = "Also write the predictive covariance of the infinite ensemble over initialisations,"
                    + " (N_test, N_test) for each output (needs --impl analytic).")
    Path covFile;

    @Option(names = "--ridge", defaultValue = "0", paramLabel = "λ",
            description = "Added to Θ's diagonal at t = inf (absolute, ≥ 0; default: ${DEFAULT-VALUE}).")
    double ridge;

    @Mixin
    ModelOptions model;

    @Mixin
    ComputeOptions compute;

    @Override
    protected int execute() throws Exception {
        long start = System.nanoTime();
        Inputs.requireDistinct(Inputs.Role.in("--x", files.xFile), Inputs.Role.in("--y", files.yFile),
                Inputs.Role.in("--x-test", files.xTestFile), Inputs.Role.in("--y-test", files.yTestFile),
                Inputs.Role.in("--weights", model.weights), Inputs.Role.out("--out", files.outFile),
                Inputs.Role.out("--cov", covFile),
                Inputs.Role.out("--save-weights", model.saveWeights));
        double t = parseTime(time);
        LearningRate eta = TrainCommand.parseLearningRate(lr);
        LinearizedDynamics.Flow f = switch (flow.trim().toLowerCase(Locale.ROOT)) {
            case "gd", "steps" -> LinearizedDynamics.Flow.GRADIENT_DESCENT;
            case "continuous", "flow", "gf" -> LinearizedDynamics.Flow.GRADIENT_FLOW;
            default -> throw new UsageError("--flow must be gd or continuous, got '" + flow + "'");
        };
        if (mode == NtkMode.DIAGONAL) {
            throw new UsageError("--mode must be trace or full (the diagonal kernel is no kernel to train with)");
        }
        NtkMode mode = this.mode;
        if (!(ridge >= 0) || !Double.isFinite(ridge)) {
            throw new UsageError("--ridge must be ≥ 0, got " + ridge);
        }
        if (ridge > 0 && t != Double.POSITIVE_INFINITY) {
            throw new UsageError("--ridge applies only at --t inf");
        }
        boolean analytic = compute.impl == ComputeOptions.Impl.ANALYTIC;
        if (!analytic && (kind == KernelKind.NNGP || covFile != null)) {
            throw new UsageError((covFile != null ? "--cov" : "--kind nngp") + " needs --impl analytic: the"
                    + " covariance over initialisations (and a kernel to train the read-out with) is the infinite-width"
                    + " network's; one network's own NNGP f(x)·f(x') has rank O");
        }
        if (analytic) {
            mode = NtkMode.TRACE; // the infinite-width kernel is Θ ⊗ I_O: full adds nothing
        }
        Inputs.requireNpy("--out", files.outFile);
        Inputs.requireWritable(files.outFile);
        if (covFile != null) {
            Inputs.requireNpy("--cov", covFile);
            Inputs.requireWritable(covFile);
        }
        Parameters params = model.parameters();
        int o = params.architecture().outputDim();
        Matrix x = model.examples(files.xFile, "X");
        Matrix y = Inputs.targets(files.yFile, x.rows(), o);
        Matrix xt = model.examples(files.xTestFile, "X-test");
        Matrix yt = files.yTestFile == null ? null : Inputs.targets(files.yTestFile, xt.rows(), o);
        boolean fp32 = compute.precision != Precision.FP64;
        Overflow.requireRepresentable(fp32, files.xFile.toString(), x);
        Overflow.requireRepresentable(fp32, files.xTestFile.toString(), xt);
        long kernelValues = (long) x.rows() * x.rows() * (mode == NtkMode.FULL ? (long) o * o : 1);
        if (kernelValues > Integer.MAX_VALUE - 8) {
            throw new UsageError("the training kernel would have " + kernelValues + " values, more than one Java array"
                    + " holds, and prediction needs it whole: use fewer training examples"
                    + (mode == NtkMode.FULL ? " or --mode trace" : ""));
        }
        Overflow.Advice advice = Overflow.advice(compute.precision != Precision.FP64, Overflow.largest(x, y, xt),
                params.architecture());
        Prediction p;
        // Claimed before the work, so a second run writing the same file is refused now.
        try (OutputFile out = OutputFile.open(files.outFile);
             OutputFile cov = covFile == null ? null : OutputFile.open(covFile)) {
            p = predict(params, x, y, xt, t, eta, f, mode, cov != null, advice);
            Overflow.checkRows(p.values(), "the predictions", advice);
            write(out, p.values());
            if (cov != null) {
                write(cov, p.covariance());
            }
        }
        Matrix pred = p.values();
        String score = yt == null ? "" : "; " + testScore(pred, yt);
        info(String.format(Locale.ROOT, "wrote %s: (%d, %d) predictions at t = %s%s in %.2f s [%s]%s", files.outFile,
                pred.rows(), pred.cols(), t == Double.POSITIVE_INFINITY ? "∞" : time.trim(),
                t == Double.POSITIVE_INFINITY ? "" : String.format(Locale.ROOT, " (η = %.4g)", p.eta()),
                (System.nanoTime() - start) / 1e9, p.who(), score));
        if (covFile != null) {
            info(String.format(Locale.ROOT, "wrote %s: (%d, %d) predictive covariance", covFile, pred.rows(),
                    pred.rows()));
        }
        return 0;
    }

    private void write(OutputFile out, Matrix m) throws java.io.IOException {
        try (OutputStream s = new BufferedOutputStream(out.stream(), 1 << 16)) {
            Npy.write(s, m.asTensor().toPrecision(compute.float32Output() ? Precision.FP32 : Precision.FP64));
        }
        out.commit();
    }

    /** Predictions, their covariance (or null), the learning rate used and where the kernel was computed. */
    private record Prediction(Matrix values, Matrix covariance, double eta, String who) {
    }

    private Prediction predict(Parameters params, Matrix x, Matrix y, Matrix xt, double t, LearningRate eta,
                               LinearizedDynamics.Flow f, NtkMode mode, boolean withCovariance,
                               Overflow.Advice advice) {
        int o = params.architecture().outputDim();
        Tensor k;
        Tensor kt;
        String who;
        PriorCovariance prior = null;
        try (KernelSource source = compute.kernelSource(params, kind)) {
            who = source.description();
            k = source.compute(x, mode);
            kt = source.compute(xt, x, mode);
        }
        if (withCovariance) { // trace mode: the analytic kernels are K ⊗ I_O
            try (KernelSource nngp = compute.kernelSource(params, KernelKind.NNGP)) {
                prior = new PriorCovariance(kind == KernelKind.NNGP ? k.asMatrix() : nngp.compute(x, mode).asMatrix(),
                        kind == KernelKind.NNGP ? kt.asMatrix() : nngp.compute(xt, x, mode).asMatrix(),
                        nngp.compute(xt, mode).asMatrix());
            }
        }
        Overflow.checkKernel(k, 0, 0, x.rows(), mode.valuesPerPair(o), advice);
        Overflow.checkKernel(kt, 0, 0, x.rows(), mode.valuesPerPair(o), advice);
        Matrix[] init = compute.initialOutputs(params, x, xt);
        Matrix f0 = init[0];
        Matrix f0t = init[1];
        Matrix pred;
        Matrix cov = null;
        if (t == Double.POSITIVE_INFINITY) {
            Matrix residual = minus(y, f0);
            try {
                pred = plus(f0t, LinearizedDynamics.kernelRegression(k, kt, residual, ridge));
                if (prior != null) {
                    cov = LinearizedDynamics.kernelRegressionCovariance(k.asMatrix(), kt.asMatrix(), prior, ridge);
                }
            } catch (SingularSystemException e) {
                throw Singular.explain(e, x, o, params, compute.impl == ComputeOptions.Impl.ANALYTIC, "--ridge", ridge);
            }
        } else {
            LinearizedDynamics lin = LinearizedDynamics.builder(k, f0, y).test(kt, f0t).learningRate(eta).flow(f)
                    .build();
            pred = lin.predictTest(t);
            if (lin.diverges() && !allFinite(pred)) {
                double[] ev = lin.eigenvalues();
                throw new UsageError(String.format(Locale.ROOT, "gradient descent diverges: η = %.4g is above the"
                        + " stability limit 2·N·O/λ_max = %.4g, and by step %s the predictions overflow; lower --lr"
                        + " (or --lr auto)", lin.learningRate(), LearningRates.fromEigenvalue(ev[ev.length - 1], x.rows() * o, 1.0),
                        time.trim()));
            }
            cov = prior == null ? null : lin.predictTestCovariance(t, prior);
            return new Prediction(pred, cov, lin.learningRate(), who);
        }
        return new Prediction(pred, cov, Double.NaN, who); // η plays no part at t = ∞ and is not reported
    }

    static double parseTime(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        if (v.equals("inf") || v.equals("infinity") || v.equals("∞")) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            double t = Converters.parseNumber(v);
            if (t >= 0 && Double.isFinite(t)) {
                return t;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageError("--t must be a non-negative number or inf, got '" + s + "'");
    }

    /**
     * What {@code ntk predict} and {@code ntk regress} both report on test targets: the root mean squared error
     * over all N_test·O entries, and with several outputs the accuracy (one-hot targets).
     */
    static String testScore(Matrix pred, Matrix target) {
        String score = String.format(Locale.ROOT, "test RMSE %.4g", rootMeanSquaredError(pred, target));
        if (pred.cols() > 1) {
            score += String.format(Locale.ROOT, ", accuracy %.1f%%", 100 * accuracy(pred, target));
        }
        return score;
    }

    static double rootMeanSquaredError(Matrix pred, Matrix target) {
        return Math.sqrt(2 * GradientDescent.halfMeanSquaredError(pred, target));
    }

    private static boolean allFinite(Matrix m) {
        for (double v : m.data()) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** Fraction of rows whose largest prediction is where the target's largest value is (one-hot targets). */
    static double accuracy(Matrix pred, Matrix target) {
        int hits = 0;
        for (int i = 0; i < pred.rows(); i++) {
            hits += argmax(pred, i) == argmax(target, i) ? 1 : 0;
        }
        return (double) hits / pred.rows();
    }

    private static int argmax(Matrix m, int row) {
        int best = 0;
        for (int j = 1; j < m.cols(); j++) {
            if (m.get(row, j) > m.get(row, best)) {
                best = j;
            }
        }
        return best;
    }

    static Matrix minus(Matrix a, Matrix b) {
        double[] r = a.data().clone();
        for (int i = 0; i < r.length; i++) {
            r[i] -= b.data()[i];
        }
        return new Matrix(a.rows(), a.cols(), r);
    }

    static Matrix plus(Matrix a, Matrix b) {
        double[] r = a.data().clone();
        for (int i = 0; i < r.length; i++) {
            r[i] += b.data()[i];
        }
        return new Matrix(a.rows(), a.cols(), r);
    }
}
