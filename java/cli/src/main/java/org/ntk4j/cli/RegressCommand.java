package org.ntk4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ntk4j.KernelKind;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.linalg.ConjugateGradient;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.linalg.Preconditioner;
import org.ntk4j.linalg.Preconditioners;
import org.ntk4j.linalg.SingularSystemException;
import org.ntk4j.linalg.SymmetricOperator;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ntk regress}: kernel regression by preconditioned conjugate gradients, in one process or on Spark. */
@Command(name = "regress", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Kernel regression (the wide network trained to t = ∞) by preconditioned conjugate gradients.",
        description = {"Solves (Θ(X, X) + λ·I)·α = Y − f₀(X) and writes the predictions f₀(XT) + Θ(XT, X)·α, shape"
                + " (N_test, O), as .npy: f₀ is the network's output at initialisation (zero with --impl analytic),"
                + " as in ntk predict, which gives the same predictions at --t inf with the same --ridge."
                + " In trace mode one N×N system serves all O columns of Y; in full mode the system is (N·O)×(N·O).",
                "The solver never factors Θ: each iteration is one product with it. With --spark the products are Spark"
                        + " jobs over the kernel's tiles (cached on the executors, or recomputed each time with"
                        + " --recompute-tiles), so Θ need not fit anywhere; without, Θ is computed in memory.",
                "λ → 0 gives neural-tangents' gradient_descent_mse at t = ∞."},
        footer = {"", "Examples:",
                "  ntk regress --x X.npy --y Y.npy --x-test XT.npy --arch 64,1,10 --impl analytic --ridge 1e-3 --out P.npy",
                "  ntk regress --x X.npy --y Y.npy --x-test XT.npy --arch 64,2048,10 --ridge 1e-2 --spark local[*] --out P.npy"})
final class RegressCommand extends BaseCommand {
    @Mixin
    TrainTestFiles files;

    @Option(names = "--mode", defaultValue = "trace", paramLabel = "trace|full", converter = Converters.ModeConverter.class,
            description = "trace: Θ_trace ⊗ I_O; full: the (N·O)×(N·O) kernel (default: ${DEFAULT-VALUE}).")
    NtkMode mode;

    @Option(names = "--ridge", defaultValue = "0", paramLabel = "λ",
            description = "Added to Θ's diagonal (absolute, ≥ 0; default: ${DEFAULT-VALUE}).")
    double ridge;

    @Option(names = "--tol", defaultValue = "1e-6", paramLabel = "T",
            description = "Stop when every column's residual ‖r‖/‖y‖ ≤ T (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--max-iter", defaultValue = "1000", paramLabel = "M", description = "Iteration limit (default: ${DEFAULT-VALUE}).")
    int maxIterations;

    @Option(names = "--precond", defaultValue = "nystrom", paramLabel = "none|block-jacobi|nystrom",
            description = "Preconditioner: nystrom (landmark columns of Θ; removes the large eigenvalues), block-jacobi"
                    + " (the diagonal tiles) or none (default: ${DEFAULT-VALUE}).")
    String precond;

    @Option(names = "--rank", defaultValue = "500", paramLabel = "M",
            description = "Landmark examples of the Nyström preconditioner (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--recompute-tiles", description = "With --spark: recompute the tiles in every product instead of"
            + " caching them on the executors (for kernels larger than the cluster's memory).")
    boolean recompute;

    @Mixin
    ModelOptions model;

    @Mixin
    ComputeOptions compute;

    @Mixin
    SparkOptions spark;

    @Override
    protected int execute() throws Exception {
        long start = System.nanoTime();
        if (spark.tiles != null) {
            throw new UsageError("--tiles applies to 'ntk kernel'; regress keeps its tiles on the executors");
        }
        if (spark.tile != null && spark.tile < 1) {
            throw new UsageError("--tile must be at least 1, got " + spark.tile);
        }
        if (spark.enabled()) {
            spark.validate(); // --tile alone sizes the block-Jacobi blocks in process
            model.requireStoredLayout();
        }
        if (recompute && !spark.enabled()) {
            throw new UsageError("--recompute-tiles applies only with --spark");
        }
        if (!(ridge >= 0) || !Double.isFinite(ridge)) {
            throw new UsageError("--ridge must be ≥ 0 and finite, got " + ridge);
        }
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new UsageError("--tol must be in (0, 1), got " + tolerance);
        }
        if (maxIterations < 1 || rank < 1) {
            throw new UsageError(maxIterations < 1 ? "--max-iter must be at least 1" : "--rank must be at least 1");
        }
        if (mode == NtkMode.DIAGONAL) {
            throw new UsageError("--mode must be trace or full");
        }
        Preconditioning pre = switch (precond.trim().toLowerCase(Locale.ROOT)) {
            case "none" -> Preconditioning.NONE;
            case "block-jacobi", "jacobi", "bj" -> Preconditioning.BLOCK_JACOBI;
            case "nystrom", "nyström" -> Preconditioning.NYSTROM;
            default -> throw new UsageError("--precond must be none, block-jacobi or nystrom, got '" + precond + "'");
        };
        if (compute.impl == ComputeOptions.Impl.ANALYTIC && mode == NtkMode.FULL) {
            throw new UsageError("the infinite-width kernel is Θ ⊗ I_O: use --mode trace with --impl analytic");
        }
        Inputs.requireDistinct(Inputs.Role.in("--x", files.xFile), Inputs.Role.in("--y", files.yFile),
                Inputs.Role.in("--x-test", files.xTestFile), Inputs.Role.in("--y-test", files.yTestFile),
                Inputs.Role.in("--weights", model.weights), Inputs.Role.out("--out", files.outFile),
                Inputs.Role.out("--save-weights", model.saveWeights));
        Inputs.requireNpy("--out", files.outFile);
        Inputs.requireWritable(files.outFile);
        claim(files.outFile, model.saveWeights);
        Parameters params = model.parameters();
        int o = params.architecture().outputDim();
        Matrix x = model.examples(files.xFile, "X");
        Matrix y = Inputs.targets(files.yFile, x.rows(), o);
        Matrix xt = model.examples(files.xTestFile, "X-test");
        Matrix yt = files.yTestFile == null ? null : Inputs.targets(files.yTestFile, xt.rows(), o);
        boolean fp32 = compute.precision != org.ntk4j.Precision.FP64;
        Overflow.requireRepresentable(fp32, files.xFile.toString(), x);
        Overflow.requireRepresentable(fp32, files.xTestFile.toString(), xt);
        Overflow.Advice advice = Overflow.advice(fp32, Overflow.largest(x, xt), params.architecture());

        // The same model as ntk predict --t inf: the kernel fits the residual y − f₀, and f₀ is added back.
        Matrix[] init = compute.initialOutputs(params, x, xt);
        Matrix residual = PredictCommand.minus(y, init[0]);
        Solved s;
        try (Progress.Bars bars = new Progress.Bars(quiet ? null : err(), "it")) {
            s = spark.enabled()
                    ? SparkRun.regress(spark.master, SparkRun.spec(compute, params, KernelKind.NTK, mode), files.xFile,
                            files.xTestFile, residual, new SparkJobs.Regression(ridge, tolerance, maxIterations,
                                    pre, rank, !recompute, spark.tile), bars)
                    : inProcess(params, x, residual, xt, pre, bars, advice);
            ConjugateGradient.Result r = s.solve();
            bars.finish((r.converged() ? "converged in " : "not converged after ") + iterations(r.iterations()));
        } catch (SingularSystemException e) {
            throw Singular.explain(e, x, o, params, compute.impl == ComputeOptions.Impl.ANALYTIC, "--ridge", ridge);
        }
        Matrix pred = PredictCommand.plus(init[1], s.predictions());
        Overflow.checkRows(pred, "the predictions", advice);
        Npy.write(files.outFile, pred.asTensor().toPrecision(compute.float32Output() ? Precision.FP32 : Precision.FP64));
        ConjugateGradient.Result r = s.solve();
        if (!r.converged()) {
            info(String.format(Locale.ROOT, "warning: not converged after %d iterations (residual %.3e > --tol %.1e);"
                    + " raise --max-iter or --ridge", r.iterations(), r.finalResidual(), tolerance));
        }
        String score = yt == null ? "" : "; " + PredictCommand.testScore(pred, yt);
        info(String.format(Locale.ROOT, "wrote %s: (%d, %d) predictions; PCG (%s) %s, residual %.2e, in %.2f s"
                        + " [%s]%s", files.outFile, pred.rows(), pred.cols(), pre.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                iterations(r.iterations()), r.finalResidual(), (System.nanoTime() - start) / 1e9, s.where(), score));
        return 0;
    }

    private static String iterations(int n) {
        return n + (n == 1 ? " iteration" : " iterations");
    }

    /** The predictions, the solver's record, and where it ran. */
    record Solved(Matrix predictions, ConjugateGradient.Result solve, String where) {
    }

    /** Θ in memory, the same solver and preconditioners as on Spark. */
    private Solved inProcess(Parameters params, Matrix x, Matrix y, Matrix xt, Preconditioning pre, Progress.Bars bars,
                             Overflow.Advice advice) {
        int o = y.cols();
        int per = mode == NtkMode.FULL ? o : 1;
        Tensor k;
        Tensor kt;
        String who;
        try (KernelSource source = compute.kernelSource(params, KernelKind.NTK)) {
            who = source.description();
            k = source.compute(x, mode);
            kt = source.compute(xt, x, mode);
        }
        int perPair = mode.valuesPerPair(o);
        Overflow.checkKernel(k, 0, 0, x.rows(), perPair, advice);
        Overflow.checkKernel(kt, 0, 0, x.rows(), perPair, advice);
        Matrix theta = mode == NtkMode.FULL ? KernelLayout.fullToMatrix(k) : k.asMatrix();
        Matrix thetaTest = mode == NtkMode.FULL ? KernelLayout.fullToMatrix(kt) : kt.asMatrix();
        int n = theta.rows();
        Preconditioner m = switch (pre) {
            case NONE -> Preconditioner.IDENTITY;
            // in long: a --tile near 2³¹ times the outputs per example would wrap to a negative block size
            case BLOCK_JACOBI -> Preconditioners.blockJacobi(diagonalBlocks(theta,
                    (int) Math.min((long) (spark.tile == null ? 1024 : spark.tile) * per, n)), ridge);
            case NYSTROM -> {
                int[] ex = Preconditioners.landmarks(x.rows(), Math.min(rank, x.rows()), Preconditioners.LANDMARK_SEED);
                int[] s = new int[ex.length * per];
                Matrix cols = Matrix.zeros(n, s.length);
                for (int a = 0; a < ex.length; a++) {
                    for (int c = 0; c < per; c++) {
                        s[a * per + c] = ex[a] * per + c;
                    }
                }
                for (int i = 0; i < n; i++) {
                    for (int c = 0; c < s.length; c++) {
                        cols.set(i, c, theta.get(i, s[c]));
                    }
                }
                yield Preconditioners.nystrom(cols, s, ridge);
            }
        };
        Matrix b = new Matrix(n, o / per, y.data());
        ConjugateGradient.Result r = ConjugateGradient.solve(SymmetricOperator.dense(theta, ridge), b, m, tolerance,
                maxIterations, bars);
        Matrix pred = LinearAlgebra.multiply(thetaTest, false, r.solution(), false);
        return new Solved(new Matrix(xt.rows(), o, pred.data()), r, "in-process, " + who);
    }

    private static List<Matrix> diagonalBlocks(Matrix a, int size) {
        List<Matrix> blocks = new ArrayList<>();
        int n = a.rows();
        for (int i0 = 0; i0 < n; i0 += size) {
            int t = Math.min(size, n - i0);
            Matrix b = Matrix.zeros(t, t);
            for (int i = 0; i < t; i++) {
                System.arraycopy(a.data(), (i0 + i) * n + i0, b.data(), i * t, t);
            }
            blocks.add(b);
        }
        return blocks;
    }
}
