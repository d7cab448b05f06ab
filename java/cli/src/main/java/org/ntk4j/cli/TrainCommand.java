package org.ntk4j.cli;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.dynamics.DivergedException;
import org.ntk4j.dynamics.GradientDescent;
import org.ntk4j.dynamics.LearningRate;
import org.ntk4j.dynamics.NonFiniteKernelException;
import org.ntk4j.internal.io.OutputFile;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ntk train}: full-batch gradient descent on MSE, recording loss and how far weights and kernel move. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Gradient-descent training: loss, weight and kernel change (CSV, PNG).",
        description = {"Train the network by full-batch gradient descent on the MSE loss ½·mean((f(x) − y)²) and record,"
                + " per step, the loss and the relative weight change ‖θ_t − θ_0‖/‖θ_0‖ (in total and per layer); with"
                + " --kernel-every, also the relative change of the trace NTK on the training inputs,"
                + " ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F.",
                "Writes DIR/train.csv and DIR/train.png."},
        footer = {"", "Example:",
                "  ntk train --x X.npy --y Y.npy --arch 64,1024,10 --steps 200 --kernel-every 20 --out-dir run1"})
final class TrainCommand extends BaseCommand {
    @Option(names = "--x", required = true, paramLabel = "X.npy", description = "Training inputs (N, d).")
    Path xFile;

    @Option(names = "--y", required = true, paramLabel = "Y.npy", description = "Targets (N, O) (or (N,) for O = 1).")
    Path yFile;

    @Option(names = "--steps", defaultValue = "100", description = "Gradient steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--lr", defaultValue = "auto", paramLabel = "η|auto",
            description = "Learning rate; auto = n/λ_max(Θ_0), half the stability limit (default: ${DEFAULT-VALUE}).")
    String lr;

    @Option(names = "--kernel-every", defaultValue = "0", paramLabel = "K",
            description = "Also measure the kernel change every K steps (0: never; default: ${DEFAULT-VALUE}).")
    int kernelEvery;

    @Option(names = "--kernel-points", defaultValue = "256", paramLabel = "M",
            description = "Training inputs used for the kernel change (the first M; default: ${DEFAULT-VALUE}).")
    int kernelPoints;

    @Option(names = "--out-dir", converter = Converters.FolderConverter.class, defaultValue = "ntk-train", paramLabel = "DIR",
            description = "Output folder for train.csv and train.png (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--save-trained", paramLabel = "P.npz", description = "Save the trained parameters.")
    Path saveTrained;

    @Mixin
    ModelOptions model;

    @Mixin
    DeviceOptions compute;

    @Override
    protected int execute() throws Exception {
        Inputs.requireDistinct(Inputs.Role.in("--x", xFile), Inputs.Role.in("--y", yFile),
                Inputs.Role.in("--weights", model.weights), Inputs.Role.out("--out-dir", outDir.resolve("train.csv")),
                Inputs.Role.out("--out-dir", outDir.resolve("train.png")), Inputs.Role.out("--save-trained", saveTrained),
                Inputs.Role.out("--save-weights", model.saveWeights));
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new UsageError("--out-dir " + outDir + " exists and is not a folder");
        }
        if (steps < 1) {
            throw new UsageError("--steps must be at least 1, got " + steps);
        }
        LearningRate eta = parseLearningRate(lr);
        if (kernelEvery < 0 || kernelPoints < 1) {
            throw new UsageError("--kernel-every must be ≥ 0 and --kernel-points ≥ 1");
        }
        if (saveTrained != null) {
            Inputs.requireWritable(saveTrained);
        }
        long start = System.nanoTime();
        Path csv = outDir.resolve("train.csv");
        Path png = outDir.resolve("train.png");
        Parameters init = model.parameters();
        Matrix x = model.examples(xFile, "X");
        Matrix y = Inputs.targets(yFile, x.rows(), init.architecture().outputDim());
        Overflow.requireRepresentable(compute.precision != org.ntk4j.Precision.FP64, xFile.toString(), x);
        Files.createDirectories(outDir);
        claim(csv, png, saveTrained);

        GradientDescent.Options options = GradientDescent.Options.of(steps).withLearningRate(eta).withTask("train");
        if (kernelEvery > 0) {
            int[] at = java.util.stream.IntStream.rangeClosed(0, steps)
                    .filter(t -> t % kernelEvery == 0 || t == steps).toArray();
            options = options.withKernel(at, x.rowRange(0, Math.min(kernelPoints, x.rows())), NtkMode.TRACE);
        }
        GradientDescent.Run run;
        String backendName;
        try (Ntk backend = compute.openBackend(); Progress.Bars bars = new Progress.Bars(quiet ? null : err(), "steps")) {
            backendName = backend.description();
            run = GradientDescent.train(backend, init, x, y, options, bars);
        } catch (NonFiniteKernelException e) {
            throw new UsageError("the kernel at initialisation (for --lr auto) overflowed; " + Overflow.advice(
                    compute.precision != org.ntk4j.Precision.FP64, Overflow.largest(x, y), init.architecture()));
        } catch (DivergedException e) {
            if (e.step() == 0) {
                throw new UsageError("the loss at initialisation is not finite: the network's outputs overflow; "
                        + Overflow.advice(compute.precision != org.ntk4j.Precision.FP64, Overflow.largest(x, y),
                        init.architecture()));
            }
            throw new UsageError(e.getMessage().replace("use a smaller learning rate", "lower --lr"));
        }
        writeCsv(csv, run);
        plot(png, run);
        if (saveTrained != null) {
            ParametersIO.save(run.finalParameters(), saveTrained);
        }
        double[] drift = run.kernelDrift();
        info(String.format(Locale.ROOT, "trained %d steps on %d examples in %.2f s [%s], η = %.4g: loss %.4g → %.4g, weight"
                        + " change %.3g%s; wrote %s and %s", steps, x.rows(), (System.nanoTime() - start) / 1e9,
                backendName, run.learningRate(), run.loss()[0], run.loss()[steps], run.weightChange()[steps],
                drift.length > 1 ? String.format(Locale.ROOT, ", kernel change %.3g", drift[drift.length - 1]) : "",
                csv, png));
        return 0;
    }

    static LearningRate parseLearningRate(String s) {
        if (s.trim().equalsIgnoreCase("auto")) {
            return LearningRate.automatic();
        }
        try {
            double v = Converters.parseNumber(s);
            if (v > 0 && Double.isFinite(v)) {
                return LearningRate.fixed(v);
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new UsageError("--lr must be a positive number or auto, got '" + s + "'");
    }

    private static void writeCsv(Path csv, GradientDescent.Run run) throws java.io.IOException {
        double[] drift = new double[run.steps() + 1];
        Arrays.fill(drift, Double.NaN);
        for (int i = 0; i < run.kernelSteps().length; i++) {
            drift[run.kernelSteps()[i]] = run.kernelDrift()[i];
        }
        int layers = run.layerChange().length;
        try (OutputFile out = OutputFile.open(csv);
             BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out.stream(), StandardCharsets.UTF_8), 1 << 16)) {
            StringBuilder head = new StringBuilder("step,loss,weight_change,kernel_change");
            for (int l = 0; l < layers; l++) {
                head.append(",layer").append(l).append("_change");
            }
            w.write(head.append('\n').toString());
            for (int t = 0; t <= run.steps(); t++) {
                StringBuilder row = new StringBuilder().append(t).append(',').append(num(run.loss()[t])).append(',')
                        .append(num(run.weightChange()[t])).append(',').append(Double.isNaN(drift[t]) ? "" : num(drift[t]));
                for (int l = 0; l < layers; l++) {
                    row.append(',').append(num(run.layerChange()[l][t]));
                }
                w.write(row.append('\n').toString());
            }
            w.flush();
            out.commit();
        }
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.9g", v);
    }

    private static void plot(Path png, GradientDescent.Run run) throws java.io.IOException {
        int n = run.steps() + 1;
        double[] steps = new double[n];
        for (int t = 0; t < n; t++) {
            steps[t] = t;
        }
        Plots.Figure left = Plots.chart("Training loss", "step", "MSE loss", false, true);
        left.line("loss", steps, run.loss());
        Plots.Figure right = Plots.chart("Relative change from initialisation", "step", "relative change", false, true);
        // Step 0 is exactly 0 (no change); a log axis starts at step 1.
        double[] from1 = Arrays.copyOfRange(steps, 1, n);
        right.line("weights ‖θ_t − θ_0‖/‖θ_0‖", from1, Arrays.copyOfRange(run.weightChange(), 1, n));
        int[] ks = run.kernelSteps();
        if (ks.length > 1) {
            double[] kx = new double[ks.length - 1];
            double[] ky = new double[ks.length - 1];
            for (int i = 1; i < ks.length; i++) {
                kx[i - 1] = ks[i];
                ky[i - 1] = run.kernelDrift()[i];
            }
            right.points("kernel ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F", kx, ky);
        }
        Plots.save(png, left, right);
    }
}
