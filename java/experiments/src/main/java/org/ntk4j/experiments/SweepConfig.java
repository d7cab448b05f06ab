package org.ntk4j.experiments;

import java.util.Arrays;
import org.ntk4j.InvalidInputException;
import org.ntk4j.dynamics.LearningRate;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;

/**
 * The settings of a width sweep: one network per width, all else equal. The network is the MLP of
 * {@code hiddenLayers}, {@code activation}, σ_w and σ_b (every hidden layer that wide) unless a {@code template} is
 * given: an {@link Architecture#parse} spec in which {@value #WIDTH} stands for the swept width, e.g. the channel
 * count of a CNN's convolutions ({@link #DIGITS_CNN}); the MLP settings are then not used.
 *
 * @param widths          hidden widths, ascending
 * @param hiddenLayers    number of hidden layers (≥ 1)
 * @param activation      hidden nonlinearity
 * @param parameterization ntk or standard
 * @param sigmaW          σ_w
 * @param sigmaB          σ_b (with bias), or NaN for no bias parameters
 * @param steps           gradient-descent steps per width
 * @param learningRate    η fixed, or automatic: per width, a fraction of 2n/λ_max of that network's empirical NTK at
 *                        θ_0 on the training inputs (the kernel the linearization uses; else per {@link
 *                        org.ntk4j.dynamics.LearningRates#largestEigenvalue}), so both the network and its
 *                        linearization are stable — a rate from the infinite-width kernel is not, at narrow widths
 * @param kernelPoints    training points on which the kernel drift is tracked (0: none)
 * @param kernelChecks    how many steps (log-spaced, plus 0 and the last) get a drift kernel / output snapshot
 * @param linearize       whether to compare against the linearized model (needs the train and test-train NTKs)
 * @param linearizeFullLimit largest N·O for which the linearization uses the full (N·O)² kernel; above it the
 *                        trace kernel Θ ⊗ I_O (cheaper, but its O(width^−½) error mixes into the measured gap)
 * @param seed            initialisation seed (the same for every width)
 * @param template        the network as an {@link Architecture#parse} spec with {@value #WIDTH} for the width, or
 *                        null for the MLP of the settings above
 */
public record SweepConfig(int[] widths, int hiddenLayers, Activation activation, Parameterization parameterization,
                          double sigmaW, double sigmaB, int steps, LearningRate learningRate,
                          int kernelPoints, int kernelChecks, boolean linearize, int linearizeFullLimit, long seed,
                          String template) {

    /** What a {@link #template} writes where the swept width goes. */
    public static final String WIDTH = "{width}";

    /**
     * The CNN of the digits as 8×8×1 images: two same-padded 3×3 relu convolutions of {@value #WIDTH} channels,
     * global average pooling and a dense readout to the 10 classes, each layer with σ_w = √2 and σ_b = 0.1 as in
     * {@link #defaults}.
     */
    public static final String DIGITS_CNN = "8x8x1:conv({width},3x3,same,1.4142135623730951,0.1),relu,"
            + "conv({width},3x3,same,1.4142135623730951,0.1),relu,gap,dense(10,1.4142135623730951,0.1)";

    /**
     * Checks the settings and copies {@code widths}.
     *
     * @throws InvalidInputException naming the first invalid setting
     */
    public SweepConfig {
        if (widths == null || widths.length == 0) {
            throw new InvalidInputException("a sweep needs at least one width");
        }
        widths = widths.clone();
        for (int i = 0; i < widths.length; i++) {
            if (widths[i] < 1 || (i > 0 && widths[i] <= widths[i - 1])) {
                throw new InvalidInputException("widths must be positive and ascending, got " + Arrays.toString(widths));
            }
        }
        if (hiddenLayers < 1 || steps < 0 || kernelPoints < 0 || kernelChecks < 0) {
            throw new InvalidInputException("hidden layers ≥ 1, steps ≥ 0, kernel points ≥ 0 and checks ≥ 0 are needed");
        }
        if (learningRate == null) {
            throw new InvalidInputException("the learning rate must be given");
        }
        if (template != null) {
            if (!template.contains(WIDTH)) {
                throw new InvalidInputException("the network template '" + template + "' has no " + WIDTH
                        + " where the swept width goes");
            }
            Architecture.parse(template.replace(WIDTH, "1"), parameterization); // a bad token fails here, named
        }
    }

    /**
     * The hidden widths.
     *
     * @return a copy
     */
    @Override
    public int[] widths() {
        return widths.clone();
    }

    /**
     * Two relu hidden layers, ntk parameterization, σ_w = √2, σ_b = 0.1; 300 steps at half the stability limit;
     * kernel drift on 64 points at 12 steps; the linearization uses the full kernel up to N·O = 4096 (an
     * eigendecomposition of 4096² takes ~7 s on 2 cores; the trace kernel's O(width^−½) cross-output error would
     * otherwise blur the comparison: on 256 digits at width 2048 it doubles the measured gap).
     *
     * @param widths the hidden widths, ascending
     * @return the configuration
     */
    public static SweepConfig defaults(int... widths) {
        return new SweepConfig(widths, 2, Activation.RELU, Parameterization.NTK, Math.sqrt(2), 0.1, 300,
                LearningRate.automatic(0.5), 64, 12, true, 4096, 0, null);
    }

    /**
     * This sweep with another number of steps.
     *
     * @param s gradient-descent steps per width
     * @return a new configuration
     */
    public SweepConfig withSteps(int s) {
        return new SweepConfig(widths, hiddenLayers, activation, parameterization, sigmaW, sigmaB, s, learningRate,
                kernelPoints, kernelChecks, linearize, linearizeFullLimit, seed, template);
    }

    /**
     * This sweep with other widths.
     *
     * @param w hidden widths, ascending
     * @return a new configuration
     */
    public SweepConfig withWidths(int... w) {
        return new SweepConfig(w, hiddenLayers, activation, parameterization, sigmaW, sigmaB, steps, learningRate,
                kernelPoints, kernelChecks, linearize, linearizeFullLimit, seed, template);
    }

    /**
     * This sweep with other tracking settings.
     *
     * @param points training points for the kernel drift (0: none)
     * @param checks steps that get a drift kernel or output snapshot
     * @param lin    whether to compare against the linearized model
     * @return a new configuration
     */
    public SweepConfig withTracking(int points, int checks, boolean lin) {
        return new SweepConfig(widths, hiddenLayers, activation, parameterization, sigmaW, sigmaB, steps, learningRate,
                points, checks, lin, linearizeFullLimit, seed, template);
    }

    /**
     * This sweep with another learning rate.
     *
     * @param lr η fixed, or automatic per width
     * @return a new configuration
     */
    public SweepConfig withLearningRate(LearningRate lr) {
        return new SweepConfig(widths, hiddenLayers, activation, parameterization, sigmaW, sigmaB, steps, lr,
                kernelPoints, kernelChecks, linearize, linearizeFullLimit, seed, template);
    }

    /**
     * This sweep with another initialisation seed.
     *
     * @param s the seed
     * @return a new configuration
     */
    public SweepConfig withSeed(long s) {
        return new SweepConfig(widths, hiddenLayers, activation, parameterization, sigmaW, sigmaB, steps, learningRate,
                kernelPoints, kernelChecks, linearize, linearizeFullLimit, s, template);
    }

    /**
     * This sweep with other network settings.
     *
     * @param act the hidden activation
     * @param p   the parameterization
     * @param sw  σ_w
     * @param sb  σ_b, or NaN for no bias
     * @return a new configuration
     */
    public SweepConfig withNetwork(Activation act, Parameterization p, double sw, double sb) {
        return new SweepConfig(widths, hiddenLayers, act, p, sw, sb, steps, learningRate, kernelPoints,
                kernelChecks, linearize, linearizeFullLimit, seed, template);
    }

    /**
     * This sweep over the networks of a template (its MLP settings then unused).
     *
     * @param t an {@link Architecture#parse} spec with {@value #WIDTH} where the swept width goes
     * @return a new configuration
     * @throws InvalidInputException when the template has no {@value #WIDTH} or does not parse
     */
    public SweepConfig withTemplate(String t) {
        if (t == null) {
            throw new InvalidInputException("the network template must be given");
        }
        return new SweepConfig(widths, hiddenLayers, activation, parameterization, sigmaW, sigmaB, steps, learningRate,
                kernelPoints, kernelChecks, linearize, linearizeFullLimit, seed, t);
    }

    /**
     * The network of this width for inputs of dimension d and O outputs.
     *
     * @param width    the hidden width (the template's {@value #WIDTH})
     * @param inputDim d (a template's input shape must hold d numbers)
     * @param outputs  O
     * @return the architecture
     * @throws InvalidInputException when the template's network does not read d numbers or make O outputs
     */
    public Architecture architecture(int width, int inputDim, int outputs) {
        if (template != null) {
            Architecture a = Architecture.parse(template.replace(WIDTH, String.valueOf(width)), parameterization);
            if (a.inputDim() != inputDim || a.outputDim() != outputs) {
                throw new InvalidInputException("the network " + a.spec() + " reads " + a.inputDim() + " numbers and"
                        + " makes " + a.outputDim() + " outputs; the data has " + inputDim + " and " + outputs);
            }
            return a;
        }
        int[] hidden = new int[hiddenLayers];
        Arrays.fill(hidden, width);
        Architecture.Builder b = Architecture.builder(inputDim).hidden(hidden).output(outputs).activation(activation)
                .parameterization(parameterization).sigmaW(sigmaW);
        return Double.isNaN(sigmaB) ? b.noBias().build() : b.sigmaB(sigmaB).build();
    }

    /**
     * 0, the last step and kernelChecks − 2 log-spaced steps between (distinct, ascending).
     *
     * @return a new array of steps
     */
    public int[] checkSteps() {
        java.util.TreeSet<Integer> s = new java.util.TreeSet<>();
        s.add(0);
        s.add(steps);
        int inner = Math.max(0, kernelChecks - 2);
        for (int i = 1; i <= inner && steps > 1; i++) {
            s.add((int) Math.round(Math.exp(Math.log(steps) * i / (inner + 1))));
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }
}
