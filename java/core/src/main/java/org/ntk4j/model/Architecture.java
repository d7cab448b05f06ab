package org.ntk4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ntk4j.InvalidInputException;

/**
 * A network as neural-tangents' {@code stax.serial}: the shape of one input example (flat {@code (d)} or an image
 * {@code (H, W, C)}, NHWC), a sequence of {@link Layer}s ({@link Dense} and {@link Conv} each with its own σ_w and
 * σ_b, {@link Elementwise} activations, {@link AvgPool}, {@link GlobalAvgPool}, {@link Flatten}), and the
 * {@link Parameterization} of the whole network. The output is what the last layer makes: it must be flat, (O).
 *
 * <p>The layers with parameters are numbered l = 0 … L-1 in the order of the sequence; parameters flatten as
 * {@code [W^0, b^0, W^1, b^1, …]} (a layer without bias has no b), each W^l row-major in PyTorch's layout: (n_{l+1},
 * n_l) for {@link Dense} ({@code Linear.weight}), where n_l is the flat size that layer reads; (C_out, C_in, kh, kw)
 * for {@link Conv} ({@code Conv2d.weight}). A PyTorch {@code nn.Sequential} of {@code Conv2d}, {@code AvgPool2d}
 * ({@code count_include_pad=True}), {@code Flatten} and {@code Linear} is the same network with the same weights
 * (inputs read NHWC instead of NCHW).
 *
 * <p>The MLP shorthand {@link #builder}/{@link #parseWidths} makes the sequence {@code Dense, φ, Dense, φ, …, Dense}
 * with one φ, σ_w and σ_b for every layer; {@link #activation()}, {@link #sigmaW()}, {@link #sigmaB()} and
 * {@link #bias()} read those back and refuse a sequence that has no single value for them.
 */
public final class Architecture {
    private final Shape input;
    private final List<Layer> sequence;
    private final Parameterization parameterization;
    /** shapes[i] is what layer i reads, shapes[i + 1] what it makes. */
    private final Shape[] shapes;
    /** The sequence index of each layer with parameters. */
    private final int[] parameterized;
    /** The flat offset of W^l; offsets[L] = P. */
    private final long[] offsets;

    private Architecture(Shape input, List<Layer> layers, Parameterization parameterization) {
        if (input == null) {
            throw new InvalidInputException("an architecture needs the shape of its input");
        }
        if (parameterization == null) {
            throw new InvalidInputException("an architecture needs its parameterization");
        }
        if (layers == null || layers.isEmpty()) {
            throw new InvalidInputException("an architecture needs at least one layer");
        }
        this.input = input;
        this.sequence = List.copyOf(layers); // rejects null layers
        this.parameterization = parameterization;
        this.shapes = new Shape[sequence.size() + 1];
        shapes[0] = input;
        List<Integer> withParams = new ArrayList<>();
        for (int i = 0; i < sequence.size(); i++) {
            Layer layer = sequence.get(i);
            try {
                shapes[i + 1] = layer.outputShape(shapes[i]);
            } catch (InvalidInputException e) {
                throw new InvalidInputException("layer " + i + " (" + layer.spec() + "): " + e.getMessage());
            }
            if (layer.hasParameters()) {
                withParams.add(i);
            }
        }
        if (withParams.isEmpty()) {
            throw new InvalidInputException("an architecture needs at least one layer with parameters, got "
                    + describeLayers());
        }
        Shape out = shapes[sequence.size()];
        if (!out.isFlat()) {
            throw new InvalidInputException("layer " + (sequence.size() - 1) + " (" + sequence.getLast().spec()
                    + "): the network's output must be flat (O), got " + out);
        }
        out.intSize("the network's output");
        this.parameterized = withParams.stream().mapToInt(Integer::intValue).toArray();
        this.offsets = new long[parameterized.length + 1];
        for (int l = 0; l < parameterized.length; l++) {
            try {
                offsets[l + 1] = Math.addExact(offsets[l], Math.addExact(weightCount(l), biasCount(l)));
            } catch (ArithmeticException e) {
                throw new InvalidInputException("layer " + parameterized[l] + ": the parameter count overflows a long");
            }
        }
    }

    /**
     * The network {@code layers} applied in order to inputs of this shape.
     *
     * @param input            the shape of one example
     * @param parameterization where the 1/√fan-in lives
     * @param layers           the sequence, first applied first
     * @return the architecture
     * @throws InvalidInputException naming the layer index and the problem: a layer that cannot read what the one
     *                               before makes, a non-flat output, no layer with parameters, a null
     */
    public static Architecture of(Shape input, Parameterization parameterization, List<? extends Layer> layers) {
        if (layers != null && layers.contains(null)) {
            throw new InvalidInputException("layer " + layers.indexOf(null) + " is null");
        }
        return new Architecture(input, layers == null ? null : List.copyOf(layers), parameterization);
    }

    /**
     * The network {@code layers} applied in order to inputs of this shape.
     *
     * @param input            the shape of one example
     * @param parameterization where the 1/√fan-in lives
     * @param layers           the sequence, first applied first
     * @return the architecture
     * @throws InvalidInputException as {@link #of(Shape, Parameterization, List)}
     */
    public static Architecture of(Shape input, Parameterization parameterization, Layer... layers) {
        return of(input, parameterization, layers == null ? null : Arrays.asList(layers));
    }

    /** The MLP {@code Dense(n_1), φ, …, Dense(n_L)}, every dense layer with the same σ_w and σ_b: the builder's. */
    private static Architecture mlp(int[] widths, Activation activation, Parameterization parameterization,
                                    double sigmaW, double sigmaB, boolean bias) {
        if (widths == null || widths.length < 2) {
            throw new InvalidInputException("an architecture needs at least an input and an output size, got "
                    + (widths == null ? "none" : Arrays.toString(widths)));
        }
        for (int l = 0; l < widths.length; l++) {
            if (widths[l] < 1) {
                String role = l == 0 ? "input dimension" : l == widths.length - 1 ? "output dimension"
                        : "width of hidden layer " + l;
                throw new InvalidInputException(role + " must be at least 1, got " + widths[l]);
            }
        }
        if (activation == null || parameterization == null) {
            throw new InvalidInputException("activation and parameterization must be given");
        }
        List<Layer> layers = new ArrayList<>();
        for (int l = 1; l < widths.length; l++) {
            if (l > 1) {
                layers.add(new Elementwise(activation));
            }
            layers.add(new Dense(widths[l], sigmaW, sigmaB, bias));
        }
        return of(Shape.flat(widths[0]), parameterization, layers);
    }

    /**
     * Starts an MLP builder for a network with this input dimension.
     *
     * @param inputDim n_0, the number of features per example
     * @return a builder with the defaults of {@link Builder}
     */
    public static Builder builder(int inputDim) {
        return new Builder(inputDim);
    }

    /**
     * Starts an MLP builder with all its widths, input first and output last: {@code widths(64, 512, 512, 10)} is
     * {@code builder(64).hidden(512, 512).output(10)}.
     *
     * @param widths n_0 = input dimension, n_1 … n_{L-1} hidden widths, n_L = outputs; at least two
     * @return a builder with these widths and the defaults of {@link Builder}
     * @throws InvalidInputException when there are fewer than two widths (each is checked by {@link Builder#build})
     */
    public static Builder widths(int... widths) {
        if (widths == null || widths.length < 2) {
            throw new InvalidInputException("an architecture needs at least an input and an output size, got "
                    + (widths == null ? "none" : Arrays.toString(widths)));
        }
        return new Builder(widths[0]).hidden(Arrays.copyOfRange(widths, 1, widths.length - 1))
                .output(widths[widths.length - 1]);
    }

    /**
     * Parses "64,512,512,10" (input, hidden…, output) into an MLP builder.
     *
     * @param csv comma-separated widths, input first and output last
     * @return a builder with these widths and the defaults of {@link Builder}
     * @throws InvalidInputException when there are fewer than two widths or one is not a positive integer
     */
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
        return widths(w);
    }

    /**
     * Reads the form {@link #spec()} writes: the input shape, a colon, then the layers separated by commas, e.g.
     * {@code 64:dense(512,1.0,0.05),relu,dense(10,1.0,0.05)} or
     * {@code 28x28x1:conv(32,3x3,same),relu,conv(32,3x3,same,stride=2),relu,avgpool(2x2),gap,dense(10)}. The input
     * shape is {@code d} for flat examples or {@code HxWxC} for images. A layer is
     * <ul>
     *   <li>{@code dense(width[,wStd[,bStd]])}: {@link Dense};</li>
     *   <li>{@code conv(channels,KHxKW[,same|valid|circular][,stride=S|SxT][,wStd[,bStd]])}: {@link Conv} (KHxKW may
     *       be one number K for KxK; padding valid and stride 1 unless given);</li>
     *   <li>{@code avgpool(KHxKW[,same|valid|circular][,stride=S|SxT])}: {@link AvgPool} (padding valid and the
     *       stride the window's size unless given, as PyTorch's {@code AvgPool2d}; neural-tangents' default stride is
     *       1: write {@code stride=1} for it);</li>
     *   <li>{@code gap}: {@link GlobalAvgPool}; {@code flatten}: {@link Flatten} (PyTorch's (C, H, W) order);</li>
     *   <li>an activation id ({@code relu}, {@code erf}, {@code tanh}, {@code gelu}, {@code identity}).</li>
     * </ul>
     * For {@code dense} and {@code conv}: no numbers means σ_w = 1 with a bias of σ_b = 0; one number is σ_w without
     * bias; two are σ_w and σ_b with bias. A dense layer reads a flat input: put {@code flatten} or {@code gap}
     * between an image and it.
     *
     * @param spec             the description
     * @param parameterization the network's parameterization
     * @return the architecture
     * @throws InvalidInputException naming the token that does not parse, or the layer that does not fit
     */
    public static Architecture parse(String spec, Parameterization parameterization) {
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new InvalidInputException("architecture '" + spec + "' needs the input shape, a colon and the layers"
                    + " (e.g. 64:dense(512),relu,dense(10) or 28x28x1:conv(32,3x3,same),relu,gap,dense(10))");
        }
        Shape in = Shape.parse(spec.substring(0, colon));
        List<Layer> layers = new ArrayList<>();
        String rest = spec.substring(colon + 1);
        int start = 0;
        int depth = 0;
        for (int i = 0; i <= rest.length(); i++) {
            char c = i < rest.length() ? rest.charAt(i) : ',';
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            }
            if (depth < 0 || (i == rest.length() && depth > 0)) {
                // one missing parenthesis would otherwise swallow the layers after it into one token
                throw new InvalidInputException("layer " + layers.size() + " '"
                        + rest.substring(start, Math.min(i + 1, rest.length())).trim()
                        + "': unbalanced parentheses; " + LayerTokens.GRAMMAR);
            }
            if (c == ',' && depth == 0) {
                layers.add(LayerTokens.parse(rest.substring(start, i).trim(), layers.size()));
                start = i + 1;
            }
        }
        return of(in, parameterization, layers);
    }

    /**
     * The description {@link #parse} reads back (without the parameterization), e.g.
     * {@code 64:dense(512,1.0,0.0),relu,dense(10,1.0,0.0)}.
     *
     * @return the input shape and the layers as text
     */
    public String spec() {
        return input + ":" + describeLayers();
    }

    private String describeLayers() {
        StringBuilder sb = new StringBuilder();
        for (Layer layer : sequence) {
            sb.append(sb.isEmpty() ? "" : ",").append(layer.spec());
        }
        return sb.toString();
    }

    /**
     * The shape of one input example.
     *
     * @return the input shape
     */
    public Shape inputShape() {
        return input;
    }

    /**
     * The layers, first applied first.
     *
     * @return an unmodifiable list
     */
    public List<Layer> sequence() {
        return sequence;
    }

    /**
     * The parameterization of every layer.
     *
     * @return ntk or standard
     */
    public Parameterization parameterization() {
        return parameterization;
    }

    /**
     * What layer i of the sequence reads.
     *
     * @param i the index in {@link #sequence()}
     * @return the shape of one example at its input
     */
    public Shape inputShape(int i) {
        return shapes[i];
    }

    /**
     * What layer i of the sequence makes.
     *
     * @param i the index in {@link #sequence()}
     * @return the shape of one example at its output
     */
    public Shape outputShape(int i) {
        return shapes[i + 1];
    }

    /**
     * The number L of layers with parameters (for an MLP, its dense layers).
     *
     * @return L, at least 1
     */
    public int layers() {
        return parameterized.length;
    }

    /**
     * Where layer l (counting only layers with parameters) sits in the sequence.
     *
     * @param l the parameterized layer, in [0, L)
     * @return its index in {@link #sequence()}
     */
    public int sequenceIndex(int l) {
        return parameterized[l];
    }

    /**
     * Layer l (counting only layers with parameters) as a dense layer.
     *
     * @param l the parameterized layer, in [0, L)
     * @return the layer
     * @throws UnsupportedLayerException when it is not a dense layer
     */
    public Dense dense(int l) {
        Layer layer = sequence.get(parameterized[l]);
        if (!(layer instanceof Dense d)) {
            throw new UnsupportedLayerException(parameterized[l], layer, "is not a dense layer");
        }
        return d;
    }

    /**
     * Layer l (counting only layers with parameters) with its weights and scales.
     *
     * @param l the parameterized layer, in [0, L)
     * @return the layer
     */
    public WeightedLayer weighted(int l) {
        return (WeightedLayer) sequence.get(parameterized[l]);
    }

    /**
     * Layer l (counting only layers with parameters) as a convolution.
     *
     * @param l the parameterized layer, in [0, L)
     * @return the layer
     * @throws UnsupportedLayerException when it is not a conv layer
     */
    public Conv conv(int l) {
        Layer layer = sequence.get(parameterized[l]);
        if (!(layer instanceof Conv c)) {
            throw new UnsupportedLayerException(parameterized[l], layer, "is not a conv layer");
        }
        return c;
    }

    /**
     * fan_in of parameterized layer l: the length of one row of W^l, n_l for a dense layer, C_in·kh·kw for a
     * convolution.
     *
     * @param l the layer, in [0, L)
     * @return fan_in
     */
    public int fanIn(int l) {
        return weighted(l).fanIn(shapes[parameterized[l]]);
    }

    /**
     * The activations between dense layers l-1 and l (none for l = 0), in order.
     *
     * @param l the parameterized layer, in [0, L]; L gives those after the last one
     * @return the activations applied to the output of layer l-1 before layer l reads it
     */
    public List<Activation> activationsBefore(int l) {
        int from = l == 0 ? 0 : parameterized[l - 1] + 1;
        int to = l == parameterized.length ? sequence.size() : parameterized[l];
        List<Activation> acts = new ArrayList<>();
        for (int i = from; i < to; i++) {
            if (sequence.get(i) instanceof Elementwise e) {
                acts.add(e.activation());
            } else {
                throw new UnsupportedLayerException(i, sequence.get(i), "is neither a layer with weights nor an"
                        + " activation");
            }
        }
        return acts;
    }

    /**
     * The activations of a dense chain {@code Dense (φ? Dense)*}: dense layers with at most one activation between
     * two of them and none before the first or after the last — the form the cpu and cuda backends run.
     *
     * @param who what needs the chain, for the message (e.g. "the cpu backend")
     * @return φ_l for l = 1 … L-1, applied to the output of dense layer l-1 before dense layer l reads it
     *         ({@link Activation#IDENTITY} where there is none); entry 0 is null
     * @throws UnsupportedLayerException naming the first layer that breaks the form
     */
    public Activation[] chainActivations(String who) {
        for (int i = 0; i < sequence.size(); i++) {
            if (!(sequence.get(i) instanceof Dense || sequence.get(i) instanceof Elementwise)) {
                throw new UnsupportedLayerException(i, sequence.get(i), "is neither a dense layer nor an activation; "
                        + who + " runs dense layers and activations");
            }
        }
        int count = layers();
        Activation[] act = new Activation[count];
        for (int l = 0; l <= count; l++) {
            if (l < count) {
                int i = parameterized[l];
                if (!(sequence.get(i) instanceof Dense)) {
                    throw new UnsupportedLayerException(i, sequence.get(i), "is not a dense layer; " + who
                            + " runs dense layers");
                }
            }
            List<Activation> before = activationsBefore(l);
            boolean end = l == 0 || l == count;
            if (before.size() > (end ? 0 : 1)) {
                int i = (l == 0 ? 0 : parameterized[l - 1] + 1) + (end ? 0 : 1);
                throw new UnsupportedLayerException(i, sequence.get(i), (l == 0 ? "comes before the first dense layer"
                        : l == count ? "comes after the last dense layer" : "is a second activation between two dense"
                        + " layers") + "; " + who + " runs dense layers with at most one activation between two of them");
            }
            if (!end) {
                act[l] = before.isEmpty() ? Activation.IDENTITY : before.getFirst();
            }
        }
        return act;
    }

    /**
     * n_l, the flat size that parameterized layer l reads (n_L = O, the outputs).
     *
     * @param l the layer index, in [0, L]
     * @return n_l
     */
    public int width(int l) {
        return l == parameterized.length ? outputDim() : (int) shapes[parameterized[l]].size();
    }

    /**
     * All widths, n_0 … n_L.
     *
     * @return a new array
     */
    public int[] widths() {
        int[] w = new int[parameterized.length + 1];
        for (int l = 0; l < w.length; l++) {
            w[l] = width(l);
        }
        return w;
    }

    /**
     * The input dimension d, the number of entries of one example.
     *
     * @return the size of the input shape
     * @throws InvalidInputException when one example has 2^31 entries or more
     */
    public int inputDim() {
        return input.intSize("the input");
    }

    /**
     * The output dimension O.
     *
     * @return the size of the last layer's output
     */
    public int outputDim() {
        return (int) shapes[sequence.size()].size();
    }

    /**
     * Whether parameterized layer l has a bias.
     *
     * @param l the layer, in [0, L)
     * @return whether b^l exists
     */
    public boolean hasBias(int l) {
        return biasCount(l) > 0;
    }

    /**
     * c_l, the multiplier of W^l h^l.
     *
     * @param l the layer, in [0, L)
     * @return σ_w/√fan_in in the ntk parameterization ({@link #fanIn}), 1 in the standard one
     */
    public double weightScale(int l) {
        return parameterization == Parameterization.NTK ? weighted(l).wStd() / Math.sqrt(fanIn(l)) : 1.0;
    }

    /**
     * s_l, the multiplier of b^l (0 without bias).
     *
     * @param l the layer, in [0, L)
     * @return σ_b in the ntk parameterization, 1 in the standard one, 0 without bias
     */
    public double biasScale(int l) {
        WeightedLayer d = weighted(l);
        if (!d.bias()) {
            return 0.0;
        }
        return parameterization == Parameterization.NTK ? d.bStd() : 1.0;
    }

    /**
     * Standard deviation of the initial W^l entries.
     *
     * @param l the layer, in [0, L)
     * @return 1 in the ntk parameterization, σ_w/√fan_in in the standard one
     */
    public double weightInitStd(int l) {
        return parameterization == Parameterization.NTK ? 1.0 : weighted(l).wStd() / Math.sqrt(fanIn(l));
    }

    /**
     * Standard deviation of the initial b^l entries.
     *
     * @param l the layer, in [0, L)
     * @return 1 in the ntk parameterization, σ_b in the standard one (unused without bias)
     */
    public double biasInitStd(int l) {
        return parameterization == Parameterization.NTK ? 1.0 : weighted(l).bStd();
    }

    /**
     * The shape of W^l in PyTorch's layout.
     *
     * @param l the layer, in [0, L)
     * @return (n_{l+1}, n_l) for a dense layer, (C_out, C_in, kh, kw) for a convolution
     */
    public long[] weightShape(int l) {
        return sequence.get(parameterized[l]).weightShape(shapes[parameterized[l]]);
    }

    /**
     * Number of entries in W^l.
     *
     * @param l the layer, in [0, L)
     * @return the product of {@link #weightShape}
     */
    public long weightCount(int l) {
        long n = 1;
        for (long d : weightShape(l)) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Number of entries in b^l (0 without bias).
     *
     * @param l the layer, in [0, L)
     * @return the length of b^l
     */
    public int biasCount(int l) {
        return (int) sequence.get(parameterized[l]).biasCount(shapes[parameterized[l]]);
    }

    /**
     * Offset of W^l in the flat parameter vector.
     *
     * @param l the layer, in [0, L]
     * @return the index of W^l's first entry in [W^0, b^0, W^1, b^1, …] (P for l = L)
     */
    public long weightOffset(int l) {
        return offsets[l];
    }

    /**
     * Offset of b^l in the flat parameter vector.
     *
     * @param l the layer, in [0, L)
     * @return the index of b^l_0 in [W^0, b^0, W^1, b^1, …]
     */
    public long biasOffset(int l) {
        return offsets[l] + weightCount(l);
    }

    /**
     * P, the number of parameters.
     *
     * @return P
     */
    public long parameterCount() {
        return offsets[parameterized.length];
    }

    /**
     * Multiply-adds of one forward pass per example through the layers with weights (for FLOP counts): Σ_l |W^l|
     * for an MLP; a convolution counts |W^l| once per output position.
     *
     * @return the multiply-adds per example
     */
    public long forwardMultiplyAdds() {
        long s = 0;
        for (int l = 0; l < layers(); l++) {
            s += weighted(l).multiplyAdds(shapes[parameterized[l]]);
        }
        return s;
    }

    /**
     * Whether the sequence is an MLP of the shorthand's form: a flat input, {@code Dense, φ, Dense, φ, …, Dense}
     * with one φ, and one σ_w, σ_b and bias setting for every dense layer.
     *
     * @return true when {@link #activation()}, {@link #sigmaW()}, {@link #sigmaB()} and {@link #bias()} describe it
     */
    public boolean isUniformMlp() {
        return uniformMlpProblem() == null;
    }

    /** Why the sequence is not a uniform MLP (with the layer that breaks it), or null. */
    private UnsupportedLayerException uniformMlpProblem() {
        Dense first = null;
        Activation act = null;
        for (int i = 0; i < sequence.size(); i++) {
            Layer layer = sequence.get(i);
            boolean denseSlot = i % 2 == 0;
            if (denseSlot && layer instanceof Dense d) {
                if (first == null) {
                    first = d;
                } else if (d.wStd() != first.wStd() || d.bStd() != first.bStd() || d.bias() != first.bias()) {
                    return new UnsupportedLayerException(i, layer, "has other σ_w/σ_b than layer 0 ("
                            + first.spec() + ")");
                }
            } else if (!denseSlot && layer instanceof Elementwise e) {
                if (act == null) {
                    act = e.activation();
                } else if (e.activation() != act) {
                    return new UnsupportedLayerException(i, layer, "is another activation than layer 1 ("
                            + act.id() + ")");
                }
            } else {
                return new UnsupportedLayerException(i, layer, denseSlot ? "is not a dense layer"
                        : "is not an activation between two dense layers");
            }
        }
        if (!(sequence.getLast() instanceof Dense)) {
            return new UnsupportedLayerException(sequence.size() - 1, sequence.getLast(),
                    "comes after the last dense layer");
        }
        return null;
    }

    /**
     * Throws unless the sequence is a uniform MLP ({@link #isUniformMlp()}).
     *
     * @param who what needs it, for the message (e.g. "the cuda backend")
     * @return this architecture
     * @throws UnsupportedLayerException naming the first layer that breaks the form
     */
    public Architecture requireUniformMlp(String who) {
        UnsupportedLayerException e = uniformMlpProblem();
        if (e != null) {
            throw new UnsupportedLayerException(e.layerIndex(), sequence.get(e.layerIndex()), e.problem()
                    + "; " + who + " runs only MLPs with one activation and one σ_w, σ_b");
        }
        return this;
    }

    /**
     * φ of an MLP's hidden layers; {@link Activation#IDENTITY} for a single dense layer (the network is linear).
     *
     * @return the one activation between the dense layers
     * @throws UnsupportedLayerException when the sequence is not a uniform MLP
     */
    public Activation activation() {
        requireUniformMlp("activation()");
        return sequence.size() > 1 ? ((Elementwise) sequence.get(1)).activation() : Activation.IDENTITY;
    }

    /**
     * σ_w of every dense layer of an MLP.
     *
     * @return σ_w
     * @throws UnsupportedLayerException when the sequence is not a uniform MLP
     */
    public double sigmaW() {
        requireUniformMlp("sigmaW()");
        return dense(0).wStd();
    }

    /**
     * σ_b of every dense layer of an MLP (0 without bias).
     *
     * @return σ_b
     * @throws UnsupportedLayerException when the sequence is not a uniform MLP
     */
    public double sigmaB() {
        requireUniformMlp("sigmaB()");
        return dense(0).bStd();
    }

    /**
     * Whether the dense layers of an MLP have biases.
     *
     * @return the bias setting of every dense layer
     * @throws UnsupportedLayerException when the sequence is not a uniform MLP
     */
    public boolean bias() {
        requireUniformMlp("bias()");
        return dense(0).bias();
    }

    /**
     * Equal input shape, layers and parameterization.
     *
     * @param o another object
     * @return whether o describes the same network
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof Architecture a && a.input.equals(input) && a.sequence.equals(sequence)
                && a.parameterization == parameterization;
    }

    /**
     * A hash consistent with {@link #equals}.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        return (input.hashCode() * 31 + sequence.hashCode()) * 31 + parameterization.hashCode();
    }

    /**
     * e.g. {@code Architecture[64:dense(512,1.0,0.0),relu,dense(10,1.0,0.0) ntk]}.
     *
     * @return the spec and the parameterization
     */
    @Override
    public String toString() {
        return "Architecture[" + spec() + " " + parameterization.id() + "]";
    }

    /** MLP builder with the defaults relu, ntk parameterization, σ_w = 1, σ_b = 0 with bias (as neural-tangents' Dense). */
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

        /**
         * Appends hidden layers of these widths.
         *
         * @param hiddenWidths n_1, n_2, … in order, each ≥ 1
         * @return this builder
         */
        public Builder hidden(int... hiddenWidths) {
            for (int w : hiddenWidths) {
                widths.add(w);
            }
            return this;
        }

        /**
         * Sets the output dimension O (required).
         *
         * @param outputDim O, ≥ 1
         * @return this builder
         */
        public Builder output(int outputDim) {
            this.output = outputDim;
            return this;
        }

        /**
         * Sets the activation between the dense layers (default relu).
         *
         * @param a the activation
         * @return this builder
         */
        public Builder activation(Activation a) {
            this.activation = a;
            return this;
        }

        /**
         * Sets the parameterization (default ntk).
         *
         * @param p the parameterization
         * @return this builder
         */
        public Builder parameterization(Parameterization p) {
            this.parameterization = p;
            return this;
        }

        /**
         * Sets σ_w of every dense layer (default 1).
         *
         * @param s σ_w, positive and finite
         * @return this builder
         */
        public Builder sigmaW(double s) {
            this.sigmaW = s;
            return this;
        }

        /**
         * Sets σ_b of every dense layer and turns the bias on.
         *
         * @param s σ_b, ≥ 0 and finite
         * @return this builder
         */
        public Builder sigmaB(double s) {
            this.sigmaB = s;
            this.bias = true;
            return this;
        }

        /**
         * No bias parameters at all.
         *
         * @return this builder
         */
        public Builder noBias() {
            this.bias = false;
            return this;
        }

        /**
         * The MLP {@code Dense(n_1), φ, Dense(n_2), φ, …, Dense(n_L)} on inputs of n_0 features, every dense layer
         * with the same σ_w and σ_b.
         *
         * @return a new architecture
         * @throws InvalidInputException naming the first invalid setting
         */
        public Architecture build() {
            if (output == null) {
                throw new InvalidInputException("the output dimension was not set");
            }
            int[] w = new int[widths.size() + 1];
            for (int i = 0; i < widths.size(); i++) {
                w[i] = widths.get(i);
            }
            w[w.length - 1] = output;
            return mlp(w, activation, parameterization, sigmaW, sigmaB, bias);
        }
    }
}
