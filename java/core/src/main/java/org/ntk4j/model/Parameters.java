package org.ntk4j.model;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.ntk4j.InvalidInputException;

/**
 * The parameters of an {@link Architecture}, held in fp64 on the host, one array per tensor ({@code W^l} row-major in
 * PyTorch's layout — (n_{l+1}, n_l) for a dense layer, (C_out, C_in, kh, kw) for a convolution — and {@code b^l}).
 * The flat order is {@code [W^0, b^0, W^1, b^1, …]}, each W^l in that row-major order. Every backend reads these and
 * converts once to its precision, so all backends start from identical values.
 *
 * <p>Initialisation is deterministic and row-addressable: row i of W^l — the fan_in ({@link Architecture#fanIn})
 * weights of output (channel) i — and b^l_i are drawn from a generator seeded by (seed, l, i) alone, so
 * {@link #initialRow} can produce any slice of a model too large for the host, with the same values {@link #init}
 * gives. Each host tensor must have fewer than 2^31 entries.
 */
public final class Parameters {
    private final Architecture arch;
    private final double[][] weights;
    private final double[][] biases;

    private Parameters(Architecture arch, double[][] weights, double[][] biases) {
        this.arch = arch;
        this.weights = weights;
        this.biases = biases;
    }

    /**
     * Zero parameters (to be filled).
     *
     * @param arch the architecture
     * @return new parameters, all zero
     * @throws InvalidInputException when a weight matrix has 2^31 entries or more
     */
    public static Parameters zeros(Architecture arch) {
        int layers = arch.layers();
        double[][] w = new double[layers][];
        double[][] b = new double[layers][];
        for (int l = 0; l < layers; l++) {
            long n = arch.weightCount(l);
            if (n > Integer.MAX_VALUE - 8) {
                throw new InvalidInputException("W" + l + " has " + n + " entries, more than a host array holds (2^31);"
                        + " such layers exist only on a device");
            }
            w[l] = new double[(int) n];
            b[l] = arch.hasBias(l) ? new double[arch.biasCount(l)] : null;
        }
        return new Parameters(arch, w, b);
    }

    /**
     * The initial parameters for this seed: the same values on every backend and machine.
     *
     * @param arch the architecture
     * @param seed the seed
     * @return new parameters
     */
    public static Parameters init(Architecture arch, long seed) {
        Parameters p = zeros(arch);
        for (int l = 0; l < arch.layers(); l++) {
            int in = arch.fanIn(l);
            double[] row = new double[in];
            int rows = (int) arch.weightShape(l)[0];
            for (int i = 0; i < rows; i++) {
                double bias = initialRow(arch, seed, l, i, row);
                System.arraycopy(row, 0, p.weights[l], i * in, in);
                if (arch.hasBias(l)) {
                    p.biases[l][i] = bias;
                }
            }
        }
        return p;
    }

    /**
     * Fills {@code out} (length fan_in, {@link Architecture#fanIn}) with the initial row i of W^l for this seed and
     * returns the initial b^l_i (0 without bias). Identical to what {@link #init} stores.
     *
     * @param arch the architecture
     * @param seed the seed
     * @param l    the layer, in [0, L)
     * @param i    the row (the output, or output channel), in [0, n_{l+1}) or [0, C_out)
     * @param out  receives the row, fan_in values (written, not kept)
     * @return b^l_i, or 0 without bias
     */
    public static double initialRow(Architecture arch, long seed, int l, int i, double[] out) {
        SplittableRandom rng = new SplittableRandom(mix(seed, l, i));
        double ws = arch.weightInitStd(l);
        int in = arch.fanIn(l);
        for (int j = 0; j < in; j++) {
            out[j] = ws * rng.nextGaussian();
        }
        return arch.hasBias(l) ? arch.biasInitStd(l) * rng.nextGaussian() : 0.0;
    }

    /** A 64-bit mix of (seed, layer, row) so nearby seeds and rows give unrelated streams. */
    private static long mix(long seed, int l, int i) {
        long z = seed * 0x9E3779B97F4A7C15L + ((long) l << 32 | (i & 0xFFFFFFFFL));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31) ^ (long) l * 0xD6E8FEB86659FD93L;
    }

    /**
     * Wraps existing arrays (not copied); shapes are checked.
     *
     * @param arch    the architecture
     * @param weights W^0 … W^{L-1}, each row-major in the shape {@link Architecture#weightShape} gives; kept, not
     *                copied
     * @param biases  b^0 … b^{L-1}, kept, not copied; ignored (may be null) without bias
     * @return parameters over these arrays: changes to either side are visible in the other
     * @throws InvalidInputException when a shape does not match the architecture
     */
    public static Parameters of(Architecture arch, double[][] weights, double[][] biases) {
        int layers = arch.layers();
        if (weights.length != layers) {
            throw new InvalidInputException("expected " + layers + " weight matrices, got " + weights.length);
        }
        for (int l = 0; l < layers; l++) {
            if (weights[l].length != arch.weightCount(l)) {
                throw new InvalidInputException("W" + l + " must have shape " + Arrays.toString(
                        arch.weightShape(l)).replace('[', '(').replace(']', ')') + ", got " + weights[l].length
                        + " values");
            }
            if (arch.hasBias(l)) {
                if (biases == null || biases[l] == null || biases[l].length != arch.biasCount(l)) {
                    throw new InvalidInputException("b" + l + " must have " + arch.biasCount(l) + " values");
                }
            }
        }
        double[][] b = new double[layers][];
        for (int l = 0; l < layers; l++) {
            b[l] = arch.hasBias(l) ? biases[l] : null;
        }
        return new Parameters(arch, weights, b);
    }

    /**
     * The architecture these parameters belong to.
     *
     * @return the architecture
     */
    public Architecture architecture() {
        return arch;
    }

    /**
     * W^l, row-major in the shape {@link Architecture#weightShape} gives; the live array.
     *
     * @param l the layer, in [0, L)
     * @return the array itself (writes change the parameters)
     */
    public double[] weights(int l) {
        return weights[l];
    }

    /**
     * b^l; the live array, or null without bias.
     *
     * @param l the layer, in [0, L)
     * @return the array itself, or null
     */
    public double[] bias(int l) {
        return biases[l];
    }

    /**
     * P.
     *
     * @return P, the number of parameters
     */
    public long size() {
        return arch.parameterCount();
    }

    /**
     * The flat vector [W^0, b^0, W^1, b^1, …] (P must be below 2^31).
     *
     * @return a new array of P values
     * @throws InvalidInputException when P is 2^31 or more
     */
    public double[] toFlat() {
        double[] flat = new double[checkedFlatSize()];
        for (int l = 0; l < arch.layers(); l++) {
            int off = (int) arch.weightOffset(l);
            System.arraycopy(weights[l], 0, flat, off, weights[l].length);
            if (arch.hasBias(l)) {
                System.arraycopy(biases[l], 0, flat, (int) arch.biasOffset(l), biases[l].length);
            }
        }
        return flat;
    }

    /**
     * Sets every parameter from a flat vector in the documented order.
     *
     * @param flat P values in the order of {@link #toFlat()}; read, not kept
     * @throws InvalidInputException when its length is not P
     */
    public void setFlat(double[] flat) {
        if (flat.length != arch.parameterCount()) {
            throw new InvalidInputException("flat parameter vector has " + flat.length + " values, expected " + arch.parameterCount());
        }
        for (int l = 0; l < arch.layers(); l++) {
            System.arraycopy(flat, (int) arch.weightOffset(l), weights[l], 0, weights[l].length);
            if (arch.hasBias(l)) {
                System.arraycopy(flat, (int) arch.biasOffset(l), biases[l], 0, biases[l].length);
            }
        }
    }

    /**
     * θ ← θ + alpha·v for a flat vector v (a gradient step is {@code addScaled(-lr, grad)}).
     *
     * @param alpha the factor
     * @param flat  v, P values in the order of {@link #toFlat()}; read, not kept
     * @throws InvalidInputException when its length is not P
     */
    public void addScaled(double alpha, double[] flat) {
        if (flat.length != arch.parameterCount()) {
            throw new InvalidInputException("update has " + flat.length + " values, expected " + arch.parameterCount());
        }
        for (int l = 0; l < arch.layers(); l++) {
            int off = (int) arch.weightOffset(l);
            double[] w = weights[l];
            for (int k = 0; k < w.length; k++) {
                w[k] += alpha * flat[off + k];
            }
            if (arch.hasBias(l)) {
                int bo = (int) arch.biasOffset(l);
                double[] b = biases[l];
                for (int k = 0; k < b.length; k++) {
                    b[k] += alpha * flat[bo + k];
                }
            }
        }
    }

    /**
     * A deep copy.
     *
     * @return new parameters with their own arrays
     */
    public Parameters copy() {
        double[][] w = new double[weights.length][];
        double[][] b = new double[biases.length][];
        for (int l = 0; l < weights.length; l++) {
            w[l] = weights[l].clone();
            b[l] = biases[l] == null ? null : biases[l].clone();
        }
        return new Parameters(arch, w, b);
    }

    /**
     * ‖θ‖₂ over all parameters.
     *
     * @return the Euclidean norm of the flat vector
     */
    public double norm() {
        double s = 0;
        for (int l = 0; l < arch.layers(); l++) {
            s += layerSquaredNorm(l, null);
        }
        return Math.sqrt(s);
    }

    /**
     * ‖θ − other‖₂ over all parameters.
     *
     * @param other parameters of the same architecture
     * @return the Euclidean distance of the flat vectors
     * @throws InvalidInputException when the architectures differ
     */
    public double distance(Parameters other) {
        requireSameArchitecture(other);
        double s = 0;
        for (int l = 0; l < arch.layers(); l++) {
            s += layerSquaredNorm(l, other);
        }
        return Math.sqrt(s);
    }

    /**
     * ‖(W^l, b^l)‖₂ for one layer.
     *
     * @param l the layer, in [0, L)
     * @return the Euclidean norm of W^l and b^l together
     */
    public double layerNorm(int l) {
        return Math.sqrt(layerSquaredNorm(l, null));
    }

    /**
     * ‖(W^l, b^l) − other's‖₂ for one layer.
     *
     * @param l     the layer, in [0, L)
     * @param other parameters of the same architecture
     * @return the Euclidean distance of W^l and b^l together
     * @throws InvalidInputException when the architectures differ
     */
    public double layerDistance(int l, Parameters other) {
        requireSameArchitecture(other);
        return Math.sqrt(layerSquaredNorm(l, other));
    }

    /**
     * The first non-finite parameter as "W1[3]" or "b0[2]", or null when all are finite.
     *
     * @return the name, or null
     */
    public String firstNonFinite() {
        for (int l = 0; l < arch.layers(); l++) {
            for (int k = 0; k < weights[l].length; k++) {
                if (!Double.isFinite(weights[l][k])) {
                    return "W" + l + "[" + k + "]";
                }
            }
            if (arch.hasBias(l)) {
                for (int k = 0; k < biases[l].length; k++) {
                    if (!Double.isFinite(biases[l][k])) {
                        return "b" + l + "[" + k + "]";
                    }
                }
            }
        }
        return null;
    }

    private double layerSquaredNorm(int l, Parameters minus) {
        double s = 0;
        double[] w = weights[l];
        double[] w2 = minus == null ? null : minus.weights[l];
        for (int k = 0; k < w.length; k++) {
            double v = w2 == null ? w[k] : w[k] - w2[k];
            s += v * v;
        }
        if (arch.hasBias(l)) {
            double[] b = biases[l];
            double[] b2 = minus == null ? null : minus.biases[l];
            for (int k = 0; k < b.length; k++) {
                double v = b2 == null ? b[k] : b[k] - b2[k];
                s += v * v;
            }
        }
        return s;
    }

    private void requireSameArchitecture(Parameters other) {
        if (!other.arch.equals(arch)) {
            throw new InvalidInputException("parameters of " + other.arch + " compared with " + arch);
        }
    }

    private int checkedFlatSize() {
        long p = arch.parameterCount();
        if (p > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("P = " + p + " parameters do not fit one flat host array");
        }
        return (int) p;
    }
}
