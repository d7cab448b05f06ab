package org.ntk4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ntk4j.InvalidInputException;

/**
 * A dense MLP: {@code z^{l+1} = c_l·W^l h^l + s_l·b^l}, {@code h^l = φ(z^l)} for hidden layers, {@code f = z^L}
 * (no activation on the output). {@code W^l} has shape (n_{l+1}, n_l), row-major (PyTorch {@code Linear} layout).
 * Parameters flatten as {@code [W^0, b^0, W^1, b^1, …]}; without bias the b's are absent (which is not the same
 * as σ_b = 0: the parameter count differs).
 *
 * @param widths          n_0 = input dim, n_1 … n_{L-1} hidden widths, n_L = outputs; at least two entries
 * @param activation      φ for every hidden layer
 * @param parameterization ntk (default) or standard
 * @param sigmaW          σ_w > 0
 * @param sigmaB          σ_b ≥ 0, used only when {@code bias}
 * @param bias            whether the layers have biases
 */
public record Architecture(int[] widths, Activation activation, Parameterization parameterization,
                           double sigmaW, double sigmaB, boolean bias) {

    public Architecture {
        if (widths == null || widths.length < 2) {
            throw new InvalidInputException("an architecture needs at least an input and an output size, got "
                    + (widths == null ? "none" : Arrays.toString(widths)));
        }
        widths = widths.clone();
        for (int l = 0; l < widths.length; l++) {
            if (widths[l] < 1) {
                String role = l == 0 ? "input dimension" : l == widths.length - 1 ? "output dimension" : "width of hidden layer " + l;
                throw new InvalidInputException(role + " must be at least 1, got " + widths[l]);
            }
        }
        if (activation == null || parameterization == null) {
            throw new InvalidInputException("activation and parameterization must be given");
        }
        if (!(sigmaW > 0) || !Double.isFinite(sigmaW)) {
            throw new InvalidInputException("σ_w must be positive and finite, got " + sigmaW);
        }
        if (!(sigmaB >= 0) || !Double.isFinite(sigmaB)) {
            throw new InvalidInputException("σ_b must be non-negative and finite, got " + sigmaB);
        }
        if (!bias) {
            sigmaB = 0.0;
        }
    }

    /** Starts a builder for a network with this input dimension. */
    public static Builder builder(int inputDim) {
        return new Builder(inputDim);
    }

    /** Parses "64,512,512,10" (input, hidden…, output) into a builder. */
    public static Builder parseWidths(String csv) {
        String[] parts = csv.split(",", -1); // -1: a trailing comma is an empty width, not nothing
        if (parts.length < 2) {
            throw new InvalidInputException("architecture '" + csv + "' needs at least input,output");
        }
        int[] w = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                w[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new InvalidInputException("architecture '" + csv + "': " + (parts[i].isBlank()
                        ? "width " + (i + 1) + " is empty" : "'" + parts[i] + "' is not an integer"));
            }
        }
        Builder b = new Builder(w[0]);
        b.hidden(Arrays.copyOfRange(w, 1, w.length - 1));
        b.output(w[w.length - 1]);
        return b;
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    /** Number of dense layers L. */
    public int layers() {
        return widths.length - 1;
    }

    /** n_l (n_0 = input dimension, n_L = outputs). */
    public int width(int l) {
        return widths[l];
    }

    public int inputDim() {
        return widths[0];
    }

    public int outputDim() {
        return widths[widths.length - 1];
    }

    /** Largest n_l, input and output included. */
    public int maxWidth() {
        return Arrays.stream(widths).max().orElseThrow();
    }

    /** c_l, the multiplier of W^l h^l. */
    public double weightScale(int l) {
        return parameterization == Parameterization.NTK ? sigmaW / Math.sqrt(widths[l]) : 1.0;
    }

    /** s_l, the multiplier of b^l (0 without bias). */
    public double biasScale(int l) {
        if (!bias) {
            return 0.0;
        }
        return parameterization == Parameterization.NTK ? sigmaB : 1.0;
    }

    /** Standard deviation of the initial W^l entries. */
    public double weightInitStd(int l) {
        return parameterization == Parameterization.NTK ? 1.0 : sigmaW / Math.sqrt(widths[l]);
    }

    /** Standard deviation of the initial b^l entries. */
    public double biasInitStd(int l) {
        return parameterization == Parameterization.NTK ? 1.0 : sigmaB;
    }

    /** Number of entries in W^l. */
    public long weightCount(int l) {
        return (long) widths[l + 1] * widths[l];
    }

    /** Number of entries in b^l (0 without bias). */
    public int biasCount(int l) {
        return bias ? widths[l + 1] : 0;
    }

    /** Offset of W^l in the flat parameter vector. */
    public long weightOffset(int l) {
        long off = 0;
        for (int k = 0; k < l; k++) {
            off += weightCount(k) + biasCount(k);
        }
        return off;
    }

    /** Offset of b^l in the flat parameter vector. */
    public long biasOffset(int l) {
        return weightOffset(l) + weightCount(l);
    }

    /** P, the number of parameters. */
    public long parameterCount() {
        return weightOffset(layers());
    }

    /** Σ_l n_{l+1}·(n_l + 1): multiply-adds of one forward pass per example (for FLOP counts). */
    public long forwardMultiplyAdds() {
        long s = 0;
        for (int l = 0; l < layers(); l++) {
            s += weightCount(l);
        }
        return s;
    }

    /** The same network with another output dimension. */
    public Architecture withOutputDim(int o) {
        int[] w = widths.clone();
        w[w.length - 1] = o;
        return new Architecture(w, activation, parameterization, sigmaW, sigmaB, bias);
    }

    /** The same network with every hidden width replaced. */
    public Architecture withHiddenWidth(int width) {
        int[] w = widths.clone();
        for (int l = 1; l < w.length - 1; l++) {
            w[l] = width;
        }
        return new Architecture(w, activation, parameterization, sigmaW, sigmaB, bias);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Architecture a && Arrays.equals(a.widths, widths) && a.activation == activation
                && a.parameterization == parameterization && a.sigmaW == sigmaW && a.sigmaB == sigmaB && a.bias == bias;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(widths) * 31 + activation.hashCode() * 7 + parameterization.hashCode()
                + Double.hashCode(sigmaW) + 3 * Double.hashCode(sigmaB) + (bias ? 1 : 0);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Architecture[");
        for (int i = 0; i < widths.length; i++) {
            sb.append(i == 0 ? "" : ",").append(widths[i]);
        }
        sb.append(' ').append(activation.id()).append(' ').append(parameterization.id())
                .append(" σw=").append(sigmaW).append(bias ? " σb=" + sigmaB : " no-bias").append(']');
        return sb.toString();
    }

    /** Builder with the defaults relu, ntk parameterization, σ_w = 1, σ_b = 0 with bias (as neural-tangents' Dense). */
    public static final class Builder {
        private final List<Integer> widths = new ArrayList<>();
        private Integer output;
        private Activation activation = Activation.RELU;
        private Parameterization parameterization = Parameterization.NTK;
        private double sigmaW = 1.0;
        private double sigmaB = 0.0;
        private boolean bias = true;

        private Builder(int inputDim) {
            widths.add(inputDim);
        }

        /** Appends hidden layers of these widths. */
        public Builder hidden(int... hiddenWidths) {
            for (int w : hiddenWidths) {
                widths.add(w);
            }
            return this;
        }

        public Builder output(int outputDim) {
            this.output = outputDim;
            return this;
        }

        public Builder activation(Activation a) {
            this.activation = a;
            return this;
        }

        public Builder parameterization(Parameterization p) {
            this.parameterization = p;
            return this;
        }

        public Builder sigmaW(double s) {
            this.sigmaW = s;
            return this;
        }

        /** Sets σ_b and turns the bias on. */
        public Builder sigmaB(double s) {
            this.sigmaB = s;
            this.bias = true;
            return this;
        }

        /** No bias parameters at all. */
        public Builder noBias() {
            this.bias = false;
            return this;
        }

        public Architecture build() {
            if (output == null) {
                throw new InvalidInputException("the output dimension was not set");
            }
            int[] w = new int[widths.size() + 1];
            for (int i = 0; i < widths.size(); i++) {
                w[i] = widths.get(i);
            }
            w[w.length - 1] = output;
            return new Architecture(w, activation, parameterization, sigmaW, sigmaB, bias);
        }
    }
}
