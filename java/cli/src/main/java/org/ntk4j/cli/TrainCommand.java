package org.ntk4j.cli;

import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.knowm.xchart.XYChart;
import org.ntk4j.Backend;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ntk train}: full-batch gradient descent on MSE, recording loss and how far weights and kernel move. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the network by full-batch gradient descent on the MSE loss ½·mean((f(x) − y)²) and record,"
                + " per step, the loss and the relative weight change ‖θ_t − θ_0‖/‖θ_0‖; with --kernel-every, also the"
                + " relative change of the (trace) NTK on the training inputs, ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F.",
                "Writes DIR/train.csv and DIR/train.png."},
        footer = {"", "Example:",
                "  ntk train --x X.npy --y Y.npy --arch 64,1024,10 --steps 200 --lr 1.0 --kernel-every 20 --out run1"})
final class TrainCommand extends BaseCommand {
    @Option(names = "--x", required = true, paramLabel = "X.npy", description = "Training inputs (N, d).")
    Path xFile;

    @Option(names = "--y", required = true, paramLabel = "Y.npy", description = "Targets (N, O) (or (N,) for O = 1).")
    Path yFile;

    @Option(names = "--steps", defaultValue = "100", description = "Gradient steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--lr", defaultValue = "1.0", description = "Learning rate η (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--kernel-every", defaultValue = "0", paramLabel = "K",
            description = "Also measure the kernel change every K steps (0: never; default: ${DEFAULT-VALUE}).")
    int kernelEvery;

    @Option(names = "--kernel-points", defaultValue = "256", paramLabel = "M",
            description = "Training inputs used for the kernel change (the first M; default: ${DEFAULT-VALUE}).")
    int kernelPoints;

    @Option(names = "--out", defaultValue = "ntk-train", paramLabel = "DIR",
            description = "Output folder for train.csv and train.png (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--save-trained", paramLabel = "P.npz", description = "Save the trained parameters.")
    Path saveTrained;

    @Mixin
    ModelOptions model;

    @Mixin
    ComputeOptions compute;

    @Override
    protected int execute() throws Exception {
        if (steps < 1) {
            throw new UsageError("--steps must be at least 1, got " + steps);
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new UsageError("--lr must be positive, got " + lr);
        }
        if (kernelEvery < 0 || kernelPoints < 1) {
            throw new UsageError("--kernel-every must be ≥ 0 and --kernel-points ≥ 1");
        }
        if (compute.impl == ComputeOptions.Impl.ANALYTIC) {
            throw new UsageError("--impl analytic has no weights to train; use auto, structured, jacobian or reference");
        }
        long start = System.nanoTime();
        Parameters init = model.parameters();
        Matrix x = Inputs.examples(xFile, init.architecture().inputDim(), "X");
        Matrix y = Inputs.targets(yFile, x.rows(), init.architecture().outputDim());
        Files.createDirectories(outDir);
        Path csv = outDir.resolve("train.csv");
        Path png = outDir.resolve("train.png");

        Parameters params = init.copy();
        double norm0 = init.norm();
        Matrix xk = x.rowRange(0, Math.min(kernelPoints, x.rows()));
        double[] loss = new double[steps + 1];
        double[] weightChange = new double[steps + 1];
        double[] kernelChange = new double[steps + 1];
        java.util.Arrays.fill(kernelChange, Double.NaN);
        try (Backend backend = compute.openBackend()) {
            Tensor k0 = kernelEvery > 0 ? backend.ntk(init, xk, null, NtkMode.TRACE, compute.implementation()) : null;
            double k0Norm = k0 == null ? 0 : frobenius(k0.data(), null);
            for (int t = 0; t <= steps; t++) {
                LossGradient g = backend.mseLossGradient(params, x, y);
                loss[t] = g.loss();
                weightChange[t] = params.distance(init) / norm0;
                if (k0 != null && (t % kernelEvery == 0 || t == steps)) {
                    Tensor kt = t == 0 ? k0 : backend.ntk(params, xk, null, NtkMode.TRACE, compute.implementation());
                    kernelChange[t] = frobenius(kt.data(), k0.data()) / k0Norm;
                }
                if (!Double.isFinite(g.loss())) {
                    throw new UsageError("training diverged at step " + t + " (loss " + g.loss() + "); lower --lr");
                }
                if (t < steps) {
                    params.addScaled(-lr, g.gradient());
                }
            }
            writeCsv(csv, loss, weightChange, kernelChange);
            plot(png, loss, weightChange, kernelChange);
            if (saveTrained != null) {
                Inputs.requireWritable(saveTrained);
                ParametersIO.save(params, saveTrained);
            }
            info(String.format(Locale.ROOT, "trained %d steps on %d examples in %.2f s [%s]: loss %.4g → %.4g, weight change"
                            + " %.3g%s; wrote %s and %s", steps, x.rows(), (System.nanoTime() - start) / 1e9, backend.name(),
                    loss[0], loss[steps], weightChange[steps],
                    kernelEvery > 0 ? String.format(Locale.ROOT, ", kernel change %.3g", kernelChange[steps]) : "",
                    csv, png));
        }
        return 0;
    }

    private static double frobenius(double[] a, double[] minus) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double v = minus == null ? a[i] : a[i] - minus[i];
            s += v * v;
        }
        return Math.sqrt(s);
    }

    private static void writeCsv(Path csv, double[] loss, double[] dw, double[] dk) throws java.io.IOException {
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write("step,loss,weight_change,kernel_change\n");
            for (int t = 0; t < loss.length; t++) {
                w.write(t + "," + num(loss[t]) + "," + num(dw[t]) + "," + (Double.isNaN(dk[t]) ? "" : num(dk[t])) + "\n");
            }
        }
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.9g", v);
    }

    private void plot(Path png, double[] loss, double[] dw, double[] dk) throws java.io.IOException {
        int n = loss.length;
        double[] steps = new double[n];
        for (int t = 0; t < n; t++) {
            steps[t] = t;
        }
        XYChart left = Plots.chart("Training loss", "step", "MSE loss", false, true);
        Plots.line(left, "loss", steps, loss);
        XYChart right = Plots.chart("Relative change from initialisation", "step", "relative change", false, true);
        double[][] w = positive(steps, dw);
        if (w[0].length > 0) {
            Plots.line(right, "weights ‖θ_t − θ_0‖/‖θ_0‖", w[0], w[1]);
        }
        double[][] k = positive(steps, dk);
        if (k[0].length > 0) {
            Plots.points(right, "kernel ‖Θ_t − Θ_0‖/‖Θ_0‖", k[0], k[1]);
        }
        if (right.getSeriesMap().isEmpty()) {
            Plots.save(png, left);
        } else {
            Plots.save(png, left, right);
        }
    }

    private static double[][] positive(double[] x, double[] y) {
        int n = 0;
        for (double v : y) {
            n += v > 0 && Double.isFinite(v) ? 1 : 0;
        }
        double[][] r = new double[2][n];
        int k = 0;
        for (int i = 0; i < y.length; i++) {
            if (y[i] > 0 && Double.isFinite(y[i])) {
                r[0][k] = x[i];
                r[1][k++] = y[i];
            }
        }
        return r;
    }
}
