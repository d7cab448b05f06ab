package org.ntk4j.dynamics;

import java.util.Arrays;
import java.util.Optional;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Validation;

/**
 * Full-batch gradient descent on L = ½·mean((f − y)²) (the loss and gradient of {@link Ntk#mseLossGradient}),
 * θ_{t+1} = θ_t − η·∇L(θ_t), on any backend, through a {@link PreparedModel}: the parameters stay in the backend
 * (in its precision, on its device) and each iteration is one in-place {@link PreparedModel#step}. Records per step
 * the loss and the relative weight change
 * ‖θ_t − θ_0‖/‖θ_0‖ in total and per layer (W^l and b^l together), and at chosen steps the network's outputs and
 * the kernel drift ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F.
 */
public final class GradientDescent {
    private GradientDescent() {
    }

    /**
     * What to run and record: {@link #of} the number of steps, then the learning rate, the outputs and the kernel to
     * record and the name for progress reports, each by its own {@code with…} (which returns new options). Unset:
     * the automatic learning rate, no outputs, no kernel tracking, the name "train".
     */
    public static final class Options {
        private final int steps;
        private final LearningRate learningRate;
        private final int[] outputSteps;
        private final int[] kernelSteps;
        private final Matrix kernelInputs;
        private final NtkMode kernelMode;
        private final Matrix testInputs;
        private final String task;

        private Options(int steps, LearningRate learningRate, int[] outputSteps, int[] kernelSteps, Matrix kernelInputs,
                        NtkMode kernelMode, Matrix testInputs, String task) {
            this.steps = steps;
            this.learningRate = learningRate;
            this.outputSteps = checkSteps(outputSteps, steps, "output");
            this.kernelSteps = checkSteps(kernelSteps, steps, "kernel");
            this.kernelInputs = kernelInputs;
            this.kernelMode = kernelMode;
            this.testInputs = testInputs;
            this.task = task;
        }

        /**
         * Just train: no outputs, no kernels, the automatic learning rate.
         *
         * @param steps number of gradient steps (≥ 0)
         * @return the options
         * @throws InvalidInputException when steps is negative
         */
        public static Options of(int steps) {
            if (steps < 0) {
                throw new InvalidInputException("steps must be non-negative, got " + steps);
            }
            return new Options(steps, LearningRate.automatic(), new int[0], new int[0], null, NtkMode.TRACE, null, "train");
        }

        /**
         * These options with another learning rate.
         *
         * @param lr η, fixed or automatic (from λ_max of the NTK at θ_0)
         * @return new options
         * @throws InvalidInputException when lr is missing
         */
        public Options withLearningRate(LearningRate lr) {
            if (lr == null) {
                throw new InvalidInputException("a learning rate must be given (LearningRate.automatic() for the default)");
            }
            return new Options(steps, lr, outputSteps, kernelSteps, kernelInputs, kernelMode, testInputs, task);
        }

        /**
         * These options recording f(x_train) at some steps.
         *
         * @param atSteps steps in [0, steps] (copied, sorted, without repeats)
         * @return new options
         * @throws InvalidInputException when a step is outside [0, steps]
         */
        public Options withOutputs(int[] atSteps) {
            return new Options(steps, learningRate, atSteps, kernelSteps, kernelInputs, kernelMode, null, task);
        }

        /**
         * These options recording f(x_train) and f(x_test) at some steps.
         *
         * @param atSteps steps in [0, steps] (copied, sorted, without repeats)
         * @param test    held-out inputs whose outputs are recorded too; kept by reference
         * @return new options
         * @throws InvalidInputException when a step is outside [0, steps] or the inputs are missing
         */
        public Options withOutputs(int[] atSteps, Matrix test) {
            if (test == null) {
                throw new InvalidInputException("test inputs must be given (withOutputs(atSteps) records none)");
            }
            return new Options(steps, learningRate, atSteps, kernelSteps, kernelInputs, kernelMode, test, task);
        }

        /**
         * These options tracking the kernel at some steps.
         *
         * @param atSteps steps in [0, steps] (copied; step 0 always is computed)
         * @param inputs  the kernel's inputs; kept by reference
         * @param mode    the kernel's layout (TRACE is O× cheaper than FULL)
         * @return new options
         * @throws InvalidInputException when a step is outside [0, steps], or the inputs or the mode are missing
         */
        public Options withKernel(int[] atSteps, Matrix inputs, NtkMode mode) {
            if (inputs == null || mode == null) {
                throw new InvalidInputException("the kernel's inputs and mode must be given");
            }
            return new Options(steps, learningRate, outputSteps, atSteps, inputs, mode, testInputs, task);
        }

        /**
         * These options under another name for progress reports.
         *
         * @param name the name
         * @return new options
         * @throws InvalidInputException when the name is missing
         */
        public Options withTask(String name) {
            if (name == null) {
                throw new InvalidInputException("a task name must be given");
            }
            return new Options(steps, learningRate, outputSteps, kernelSteps, kernelInputs, kernelMode, testInputs, name);
        }

        /**
         * The number of gradient steps.
         *
         * @return steps, ≥ 0
         */
        public int steps() {
            return steps;
        }

        /**
         * The learning rate η, fixed or automatic.
         *
         * @return the rate
         */
        public LearningRate learningRate() {
            return learningRate;
        }

        /**
         * The steps at which f(x_train) (and f(x_test)) are recorded.
         *
         * @return a copy, sorted, without repeats
         */
        public int[] outputSteps() {
            return outputSteps.clone();
        }

        /**
         * The steps at which the NTK on {@link #kernelInputs()} is computed (step 0 always is).
         *
         * @return a copy, sorted, without repeats
         */
        public int[] kernelSteps() {
            return kernelSteps.clone();
        }

        /**
         * The inputs of the tracked kernel.
         *
         * @return the inputs, or empty without kernel tracking
         */
        public Optional<Matrix> kernelInputs() {
            return Optional.ofNullable(kernelInputs);
        }

        /**
         * The layout of the tracked kernel.
         *
         * @return the mode (TRACE unless {@link #withKernel} said otherwise)
         */
        public NtkMode kernelMode() {
            return kernelMode;
        }

        /**
         * The held-out inputs whose outputs are recorded at {@link #outputSteps()}.
         *
         * @return the inputs, or empty without test inputs
         */
        public Optional<Matrix> testInputs() {
            return Optional.ofNullable(testInputs);
        }

        /**
         * The name shown in progress reports.
         *
         * @return the name
         */
        public String task() {
            return task;
        }

        private static int[] checkSteps(int[] s, int steps, String what) {
            if (s == null) {
                return new int[0];
            }
            int[] sorted = Arrays.stream(s).distinct().sorted().toArray();
            for (int v : sorted) {
                if (v < 0 || v > steps) {
                    throw new InvalidInputException(what + " step " + v + " is outside 0.." + steps);
                }
            }
            return sorted;
        }
    }

    /**
     * The record of one run. Arrays indexed by step have {@code steps + 1} entries (entry t is at θ_t; the last
     * loss comes from a final forward pass).
     *
     * @param layerChange    [l][t] = ‖(W^l, b^l)_t − (W^l, b^l)_0‖ / ‖(W^l, b^l)_0‖
     * @param kernelSteps    the steps where the kernel was computed (starting with 0)
     * @param kernelDrift    ‖Θ_t − Θ_0‖_F/‖Θ_0‖_F at those steps
     * @param initialKernel  Θ_0 on the kernel inputs (null without kernel tracking)
     * @param trainOutputs   f(x_train) at {@code outputSteps}
     * @param testOutputs    f(x_test) at {@code outputSteps} (null entries without test inputs)
     * @param gradientSeconds wall time of every gradient call, for throughput
     * @param flopsPerStep   nominal 6·N·Σ_l n_l·n_{l+1} (forward 2, backward 4 multiply-add units per weight)
     *
     * @param architecture   the network trained
     * @param learningRate   η used
     * @param steps          gradient steps taken
     * @param loss           the loss at θ_0 … θ_steps
     * @param weightChange   ‖θ_t − θ_0‖/‖θ_0‖ for t = 0 … steps
     * @param outputSteps    the steps where outputs were recorded
     * @param finalParameters θ_steps
     */
    public record Run(Architecture architecture, double learningRate, int steps, double[] loss, double[] weightChange,
                      double[][] layerChange, int[] kernelSteps, double[] kernelDrift, Tensor initialKernel,
                      int[] outputSteps, Matrix[] trainOutputs, Matrix[] testOutputs, Parameters finalParameters,
                      double[] gradientSeconds, double flopsPerStep) {

        /**
         * Median seconds of one gradient call (NaN for 0 steps).
         *
         * @return the median, in seconds
         */
        public double medianStepSeconds() {
            if (gradientSeconds.length == 0) {
                return Double.NaN;
            }
            double[] s = gradientSeconds.clone();
            Arrays.sort(s);
            return s[s.length / 2];
        }

        /**
         * Nominal GFLOP/s of the gradient calls at the median step time.
         *
         * @return the rate in GFLOP/s
         */
        public double gflops() {
            return flopsPerStep / medianStepSeconds() / 1e9;
        }

        /**
         * loss[0] / loss[steps].
         *
         * @return the factor by which the loss fell
         */
        public double lossReduction() {
            return loss[0] / loss[steps];
        }
    }

    /**
     * Trains a copy of {@code initial} (which is not modified) on a model prepared for it on this backend (one
     * {@code prepare}, then one {@link PreparedModel#step} per iteration; see {@link #train(PreparedModel, Matrix,
     * Matrix, Options, ProgressListener)}).
     *
     * @param ntk      the backend that computes gradients and kernels
     * @param initial  θ_0; copied
     * @param x        the training inputs, (N, d)
     * @param y        the targets, (N, O)
     * @param options  what to run and record
     * @param progress receives one update per step ({@link ProgressListener#NONE} for none)
     * @return the record of the run
     * @throws DivergedException when the loss stops being finite
     * @throws InvalidInputException when an argument is invalid
     */
    public static Run train(Ntk ntk, Parameters initial, Matrix x, Matrix y, Options options,
                            ProgressListener progress) {
        if (ntk == null || options == null) {
            throw new InvalidInputException("an Ntk and options must be given");
        }
        ProgressListener.require(progress);
        Validation.requireParameters(initial);
        try (PreparedModel model = ntk.prepare(initial)) {
            return train(model, x, y, options, progress);
        }
    }

    /**
     * Trains a prepared model in place from the parameters it was prepared with (it must not have been stepped
     * yet: the weight changes are its {@link PreparedModel#layerDistancesFromStart}). Per step one
     * {@link PreparedModel#step} (the loss comes back with it) and L distances; at the chosen steps its kernel and
     * outputs. Only the parameters at the start and at the end cross to the host (for the norms and
     * {@link Run#finalParameters()}): on a GPU nothing of size P moves per step.
     *
     * @param model    the network, prepared and not yet stepped; trained in place
     * @param x        the training inputs, (N, d)
     * @param y        the targets, (N, O)
     * @param options  what to run and record
     * @param progress receives one update per step ({@link ProgressListener#NONE} for none)
     * @return the record of the run
     */
    public static Run train(PreparedModel model, Matrix x, Matrix y, Options options, ProgressListener progress) {
        if (model == null || options == null) {
            throw new InvalidInputException("a prepared model and options must be given");
        }
        ProgressListener listener = ProgressListener.require(progress);
        Architecture arch = model.architecture();
        Validation.requireInputs(arch, x, "x");
        Validation.requireTargets(arch, x, y);
        Matrix test = options.testInputs().orElse(null);
        Matrix kernelInputs = options.kernelInputs().orElse(null);
        if (test != null) {
            Validation.requireInputs(arch, test, "test inputs");
        }
        if (kernelInputs != null) {
            Validation.requireInputs(arch, kernelInputs, "kernel inputs");
        }
        for (double d : model.layerDistancesFromStart()) {
            if (d != 0) {
                throw new InvalidInputException("the prepared model has already been stepped: weight changes are "
                        + "measured from prepare, so train a freshly prepared model");
            }
        }
        int steps = options.steps();
        int layers = arch.layers();
        double lr = options.learningRate().resolve(() -> LearningRates.largestEigenvalue(model, x),
                x.rows() * arch.outputDim());

        Parameters initial = model.parameters();
        double[] layerNorm0 = new double[layers];
        double norm0sq = 0;
        for (int l = 0; l < layers; l++) {
            layerNorm0[l] = initial.layerNorm(l);
            norm0sq += layerNorm0[l] * layerNorm0[l];
        }
        double norm0 = Math.sqrt(norm0sq);

        double[] loss = new double[steps + 1];
        double[] change = new double[steps + 1];
        double[][] layerChange = new double[layers][steps + 1];
        double[] seconds = new double[steps];

        boolean trackKernel = kernelInputs != null;
        int[] kSteps = trackKernel ? withZero(options.kernelSteps()) : new int[0];
        double[] drift = new double[kSteps.length];
        Tensor k0 = null;
        int nextKernel = 0;
        int[] oSteps = options.outputSteps();
        Matrix[] trainOut = new Matrix[oSteps.length];
        Matrix[] testOut = new Matrix[oSteps.length];
        int nextOutput = 0;

        for (int t = 0; t <= steps; t++) {
            if (nextKernel < kSteps.length && kSteps[nextKernel] == t) {
                Tensor k = model.kernel(kernelInputs, options.kernelMode(), Implementation.AUTO);
                if (k0 == null) {
                    k0 = k;
                }
                drift[nextKernel++] = k.relativeDistance(k0);
            }
            if (nextOutput < oSteps.length && oSteps[nextOutput] == t) {
                trainOut[nextOutput] = model.forward(x);
                testOut[nextOutput] = test == null ? null : model.forward(test);
                nextOutput++;
            }
            if (t == steps) {
                loss[t] = halfMeanSquaredError(model.forward(x), y);
                break;
            }
            long t0 = System.nanoTime();
            double l0 = model.step(x, y, lr);
            seconds[t] = (System.nanoTime() - t0) / 1e9;
            loss[t] = l0;
            if (!Double.isFinite(l0)) {
                throw new DivergedException(t, l0, lr);
            }
            double[] dist = model.layerDistancesFromStart();
            double sq = 0;
            for (int l = 0; l < layers; l++) {
                layerChange[l][t + 1] = layerNorm0[l] > 0 ? dist[l] / layerNorm0[l] : dist[l];
                sq += dist[l] * dist[l];
            }
            change[t + 1] = norm0 > 0 ? Math.sqrt(sq) / norm0 : Math.sqrt(sq);
            listener.report(options.task(), t + 1, steps, String.format("loss %.4g", l0));
        }
        if (!Double.isFinite(loss[steps])) {
            throw new DivergedException(steps, loss[steps], lr);
        }
        double flops = 6.0 * x.rows() * arch.forwardMultiplyAdds();
        return new Run(arch, lr, steps, loss, change, layerChange, kSteps, drift, k0, oSteps, trainOut, testOut,
                model.parameters(), seconds, flops);
    }

    /**
     * The training loss, ½·mean((f − y)²) over all entries: half the mean squared error, as the gradient-descent
     * loss is defined (its gradient has no factor 2).
     *
     * @param f outputs
     * @param y targets of the same shape
     * @return ½·mean((f − y)²)
     */
    public static double halfMeanSquaredError(Matrix f, Matrix y) {
        double s = 0;
        double[] a = f.data();
        double[] b = y.data();
        for (int i = 0; i < a.length; i++) {
            double r = a[i] - b[i];
            s += r * r;
        }
        return 0.5 * s / a.length;
    }

    private static int[] withZero(int[] s) {
        if (s.length > 0 && s[0] == 0) {
            return s;
        }
        int[] out = new int[s.length + 1];
        System.arraycopy(s, 0, out, 1, s.length);
        return out;
    }
}
