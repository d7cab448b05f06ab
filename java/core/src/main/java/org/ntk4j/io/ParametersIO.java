package org.ntk4j.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/**
 * Parameters as {@code .npz}: {@code W0, b0, W1, b1, …} with {@code W_l} of shape (n_out, n_in) — PyTorch's
 * {@code Linear.weight} layout, so {@code np.savez(f, W0=lin0.weight, b0=lin0.bias, …)} loads directly.
 *
 * <p>Weights alone do not say how they are used. {@link #save} also stores the architecture (the parameterization
 * and the layer sequence as {@link Architecture#spec()} writes it) as a small JSON member {@code architecture.json}
 * ({@code np.load} returns it as bytes); {@link #load(Path)} uses it, and
 * {@link #load(Path, MlpUse)} refuses MLP settings that differ from the stored
 * ones. Files of version 1 stored the MLP {@link Settings} (activation, parameterization, σ_w, σ_b) instead; they
 * still read. Files without it (written by NumPy or PyTorch) take the caller's settings. Layers with parameters are
 * numbered W0, W1, … without gaps; only the layer members are decoded.
 */
public final class ParametersIO {
    static final String ARCHITECTURE = "architecture.json";
    private static final String FORMAT = "ntk4j.parameters";
    /** Version 1 stored the MLP settings; version 2 the layer sequence. */
    private static final int VERSION = 2;
    private static final Pattern LAYER = Pattern.compile("([Wb])([0-9]+)");

    private ParametersIO() {
    }

    /**
     * How a network uses its weights: everything of an {@link Architecture} but the widths. {@code bias} is whether
     * the layers have biases; σ_b means nothing without them.
     *
     * @param activation       the hidden activation
     * @param parameterization ntk or standard
     * @param sigmaW           σ_w
     * @param sigmaB           σ_b (0 without bias)
     * @param bias             whether the layers have biases
     */
    public record Settings(Activation activation, Parameterization parameterization, double sigmaW, double sigmaB,
                           boolean bias) {
        /**
         * The settings of an architecture.
         *
         * @param a the architecture
         * @return its settings
         */
        public static Settings of(Architecture a) {
            return new Settings(a.activation(), a.parameterization(), a.sigmaW(), a.bias() ? a.sigmaB() : 0.0, a.bias());
        }

        /**
         * E.g. "activation tanh, ntk parameterization, σ_w 1.5, σ_b 0.5" (or "no bias").
         *
         * @return the description
         */
        public String describe() {
            return "activation " + activation.id() + ", " + parameterization.id() + " parameterization, σ_w " + sigmaW
                    + (bias ? ", σ_b " + sigmaB : ", no bias");
        }

        /**
         * Whether these describe the same network (σ_b matters only with bias).
         *
         * @param o other settings
         * @return true when they describe the same network
         */
        public boolean sameAs(Settings o) {
            return activation == o.activation && parameterization == o.parameterization && bias == o.bias
                    && Double.compare(sigmaW, o.sigmaW) == 0 && (!bias || Double.compare(sigmaB, o.sigmaB) == 0);
        }
    }

    /**
     * Saves in float64 (exact), with the {@link Settings}: completely, or not at all.
     *
     * @param p    the parameters; read
     * @param file the .npz file, replaced only once it is complete
     * @throws java.io.IOException when the file cannot be written (nothing is left behind)
     */
    public static void save(Parameters p, Path file) throws IOException {
        Architecture a = p.architecture();
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        for (int l = 0; l < a.layers(); l++) {
            arrays.put("W" + l, new Tensor(Arrays.stream(a.weightShape(l)).mapToInt(Math::toIntExact).toArray(),
                    p.weights(l)));
            if (a.hasBias(l)) {
                arrays.put("b" + l, new Tensor(new int[] {a.biasCount(l)}, p.bias(l)));
            }
        }
        Npz.write(file, arrays, Map.of(ARCHITECTURE, architectureJson(a).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The architecture as {@code architecture.json} stores it: the format, its version, the parameterization and
     * the layer sequence ({@link Architecture#spec()}). The one serialised form of an architecture, also for
     * shipping one to another process ({@link #architecture(String)} reads it back).
     *
     * @param a the architecture
     * @return the JSON text, one line
     */
    public static String architectureJson(Architecture a) {
        return String.format(Locale.ROOT, "{\"format\": \"%s\", \"version\": %d, \"parameterization\": \"%s\","
                + " \"architecture\": \"%s\"}\n", FORMAT, VERSION, a.parameterization().id(), a.spec());
    }

    /**
     * The architecture in a description {@link #architectureJson} wrote.
     *
     * @param json the JSON text
     * @return the architecture, equal to the one written
     * @throws InvalidInputException when the text is not such a description (of this version)
     */
    public static Architecture architecture(String json) {
        try {
            Map<String, Object> m = description(json, ARCHITECTURE);
            if ((Double) m.get("version") != VERSION) {
                throw new NpyFormatException(ARCHITECTURE, "version " + m.get("version") + " holds no layer sequence");
            }
            return Architecture.parse(string(m, "architecture", ARCHITECTURE),
                    Parameterization.parse(string(m, "parameterization", ARCHITECTURE)));
        } catch (NpyFormatException e) {
            throw new InvalidInputException(e.getMessage());
        }
    }

    /** The description's members, once its format and version are ones this ntk4j reads. */
    private static Map<String, Object> description(String text, String where) throws NpyFormatException {
        Map<String, Object> m = FlatJson.parse(text, where);
        if (!FORMAT.equals(m.get("format"))) {
            throw new NpyFormatException(where, "not an ntk4j parameter description (format " + m.get("format") + ")");
        }
        if (!(m.get("version") instanceof Double v) || (v != 1 && v != VERSION)) {
            throw new NpyFormatException(where, "version " + m.get("version") + " is not one this ntk4j reads (1, "
                    + VERSION + ")");
        }
        return m;
    }

    /**
     * The MLP settings stored in a file saved by {@link #save}; empty for files without them. Either way the
     * file's layer members are checked (names, gaps) but not decoded.
     *
     * @param file the .npz file
     * @return the stored settings, or empty
     * @throws NpyFormatException when the file is not a parameters archive ntk4j reads
     * @throws org.ntk4j.model.UnsupportedLayerException when the file stores a layer sequence that is not an MLP
     *                                                   with one activation, σ_w and σ_b (load it with
     *                                                   {@link #load(Path)})
     * @throws java.io.IOException when the file cannot be read
     */
    public static Optional<Settings> settings(Path file) throws IOException {
        try (Npz.Archive a = Npz.open(file)) {
            Optional<Stored> s = stored(file, a, layers(file, a));
            return s.isEmpty() ? Optional.empty() : Optional.of(s.get().settings());
        }
    }

    /**
     * Whether the file says how its weights are used: it holds an {@code architecture.json} (files saved by
     * {@link #save} do; NumPy's and PyTorch's do not).
     *
     * @param file the .npz file
     * @return whether it stores an architecture or MLP settings
     * @throws java.io.IOException when the file cannot be read as an .npz archive
     */
    public static boolean describesUse(Path file) throws IOException {
        try (Npz.Archive a = Npz.open(file)) {
            return a.contains(ARCHITECTURE);
        }
    }

    /**
     * Loads with the settings stored in the file; a file without them is refused (say how to use its weights).
     *
     * @param file the .npz file
     * @return new parameters over the arrays read
     * @throws NpyFormatException when the file stores no settings, or is not a parameters archive ntk4j reads
     * @throws java.io.IOException when the file cannot be read
     */
    public static Parameters load(Path file) throws IOException {
        try (Npz.Archive a = Npz.open(file)) {
            Layers layers = layers(file, a);
            Stored s = stored(file, a, layers).orElseThrow(() -> new InvalidInputException(file
                    + " does not say how its weights are used (no " + ARCHITECTURE + "); give the activation,"
                    + " parameterization, σ_w and σ_b"));
            return s.architecture() != null ? build(file, a, s.architecture()) : build(file, a, layers, s.settings());
        }
    }

    /**
     * Loads the parameters of this architecture, each {@code W_l} in the shape {@link Architecture#weightShape} gives
     * (PyTorch's layouts: a {@code Conv2d.weight} (C_out, C_in, kh, kw), a {@code Linear.weight} (out, in)), each
     * {@code b_l} where that layer has a bias. The way to a PyTorch model's {@code W0, b0, …} that are not an MLP. A
     * file that stores another architecture is refused: the same weights would be a different network.
     *
     * @param file the .npz file
     * @param arch how the weights are used
     * @return new parameters over the arrays read
     * @throws NpyFormatException when a member's shape does not fit the architecture, the file stores another one, or
     *                            it is not a parameters archive ntk4j reads
     * @throws java.io.IOException when the file cannot be read
     */
    public static Parameters load(Path file, Architecture arch) throws IOException {
        try (Npz.Archive a = Npz.open(file)) {
            Optional<Stored> stored = stored(file, a, layers(file, a));
            if (stored.isPresent()) {
                Stored st = stored.get();
                boolean same = st.architecture() != null ? st.architecture().equals(arch)
                        : arch.isUniformMlp() && st.settings().sameAs(Settings.of(arch));
                if (!same) {
                    throw new NpyFormatException(file.toString(), "was saved for " + (st.architecture() != null
                            ? st.architecture() : st.settings().describe()) + ", not " + arch
                            + ": the same weights would be another network");
                }
            }
            return build(file, a, arch);
        }
    }

    /**
     * How the weights of an MLP file that does not say so are used: the activation and parameterization, with
     * σ_w (default 1) and σ_b (default 0) each set by name, so the two cannot be swapped. Immutable.
     *
     * <pre>{@code ParametersIO.load(file, MlpUse.of(Activation.TANH, Parameterization.STANDARD).withSigmaB(1));}</pre>
     */
    public static final class MlpUse {
        private final Activation activation;
        private final Parameterization parameterization;
        private final double sigmaW;
        private final double sigmaB;

        private MlpUse(Activation activation, Parameterization parameterization, double sigmaW, double sigmaB) {
            this.activation = activation;
            this.parameterization = parameterization;
            this.sigmaW = sigmaW;
            this.sigmaB = sigmaB;
        }

        /**
         * This activation and parameterization, σ_w = 1 and σ_b = 0.
         *
         * @param activation       the network's activation
         * @param parameterization how the weights are scaled (PyTorch's weights: {@link Parameterization#STANDARD})
         * @return the settings
         * @throws InvalidInputException when either is null
         */
        public static MlpUse of(Activation activation, Parameterization parameterization) {
            if (activation == null || parameterization == null) {
                throw new InvalidInputException("activation and parameterization must be given");
            }
            return new MlpUse(activation, parameterization, 1.0, 0.0);
        }

        /**
         * These settings with another σ_w.
         *
         * @param sigmaW σ_w of every dense layer, finite and positive
         * @return new settings
         * @throws InvalidInputException when σ_w is not finite and positive
         */
        public MlpUse withSigmaW(double sigmaW) {
            if (!(sigmaW > 0) || !Double.isFinite(sigmaW)) {
                throw new InvalidInputException("σ_w must be finite and positive, got " + sigmaW);
            }
            return new MlpUse(activation, parameterization, sigmaW, sigmaB);
        }

        /**
         * These settings with another σ_b (used only when the file has biases).
         *
         * @param sigmaB σ_b of every dense layer, finite and non-negative
         * @return new settings
         * @throws InvalidInputException when σ_b is negative or not finite
         */
        public MlpUse withSigmaB(double sigmaB) {
            if (!(sigmaB >= 0) || !Double.isFinite(sigmaB)) {
                throw new InvalidInputException("σ_b must be finite and non-negative, got " + sigmaB);
            }
            return new MlpUse(activation, parameterization, sigmaW, sigmaB);
        }

        /** The stored form of these settings for a file with or without biases. */
        Settings settings(Activation act, boolean bias) {
            return new Settings(act, parameterization, sigmaW, bias ? sigmaB : 0.0, bias);
        }
    }

    /**
     * Loads an MLP's parameters used as {@code use} says; the widths come from the shapes, bias presence from whether
     * {@code b0} exists. A file that stores other settings is refused: the same weights would be a different network.
     *
     * @param file the .npz file
     * @param use  the activation, parameterization, σ_w and σ_b (σ_b only matters when the file has biases)
     * @return new parameters over the arrays read
     * @throws NpyFormatException when the file stores other settings or is not a parameters archive ntk4j reads
     * @throws InvalidInputException when {@code use} is null
     * @throws java.io.IOException when the file cannot be read
     */
    public static Parameters load(Path file, MlpUse use) throws IOException {
        if (use == null) {
            throw new InvalidInputException("how the weights are used must be given");
        }
        try (Npz.Archive a = Npz.open(file)) {
            Layers layers = layers(file, a);
            Settings asked = use.settings(use.activation, layers.anyBias());
            Optional<Stored> stored = stored(file, a, layers);
            if (stored.isPresent() && layers.count() == 1) {
                // a single dense layer has no activation: any activation asked for describes the same network
                asked = use.settings(stored.get().settings().activation(), layers.anyBias());
            }
            if (stored.isPresent() && !stored.get().settings().sameAs(asked)) {
                throw new InvalidInputException(file + " was saved with " + stored.get().settings().describe()
                        + ", not " + asked.describe() + ": the same weights would be another network");
            }
            return build(file, a, layers, asked);
        }
    }

    /** The layer members: how many layers, and which have biases. */
    private record Layers(int count, TreeSet<Integer> biases) {
        boolean anyBias() {
            return !biases.isEmpty();
        }
    }

    /**
     * What {@code architecture.json} says: the MLP settings (version 1), or the whole architecture (version 2,
     * with its settings when it is a uniform MLP).
     */
    private record Stored(Settings settingsOrNull, Architecture architecture) {
        Settings settings() {
            if (settingsOrNull == null) {
                architecture.requireUniformMlp("a file read with MLP settings");
            }
            return settingsOrNull;
        }
    }

    /** Checks the member names: W0 … W(L-1) without gaps, and every b_l beside a W_l. */
    private static Layers layers(Path file, Npz.Archive a) throws NpyFormatException {
        TreeSet<Integer> w = new TreeSet<>();
        TreeSet<Integer> b = new TreeSet<>();
        for (String key : a.names()) {
            Matcher m = LAYER.matcher(key);
            if (!m.matches()) {
                continue;
            }
            if (!a.isArray(key)) {
                throw new NpyFormatException(file.toString(), "member " + key + " is not a .npy array");
            }
            String digits = m.group(2);
            if (digits.length() > 6 || (digits.length() > 1 && digits.startsWith("0"))) {
                throw new NpyFormatException(file.toString(), "member " + key + " is not a layer name (W0, b0, W1, …)");
            }
            (m.group(1).equals("W") ? w : b).add(Integer.parseInt(digits));
        }
        if (w.isEmpty()) {
            throw new NpyFormatException(file.toString(), "no W0 array (expected W0, b0, W1, b1, …; found " + a.names() + ")");
        }
        for (int l = 0; l <= w.last(); l++) {
            if (!w.contains(l)) {
                throw new NpyFormatException(file.toString(), "has W" + w.last() + " but no W" + l
                        + "; layers are numbered W0, W1, … without gaps");
            }
        }
        int layers = w.size();
        if (!b.isEmpty() && b.last() >= layers) {
            throw new NpyFormatException(file.toString(), "b" + b.last() + " has no W" + b.last());
        }
        return new Layers(layers, b);
    }

    /** An MLP's biases are all there or none. */
    private static void requireAllOrNoBiases(Path file, Layers layers) throws NpyFormatException {
        for (int l = 0; l < layers.count() && layers.anyBias(); l++) {
            if (!layers.biases().contains(l)) {
                throw new NpyFormatException(file.toString(), "b" + l + " is missing (the file has biases "
                        + layers.biases() + " for layers 0 … " + (layers.count() - 1) + ")");
            }
        }
    }

    private static Parameters build(Path file, Npz.Archive a, Layers layers, Settings s) throws IOException {
        requireAllOrNoBiases(file, layers);
        int[] widths = new int[layers.count() + 1];
        double[][] w = new double[layers.count()][];
        double[][] b = new double[layers.count()][];
        for (int l = 0; l < layers.count(); l++) {
            Tensor wl = a.array("W" + l);
            int[] shape = wl.shape();
            if (shape.length != 2) {
                throw new NpyFormatException(file.toString(), "W" + l + " must be 2-D (n_out, n_in), got "
                        + NpyHeader.shapeString(shape) + (shape.length == 4 ? " (a Conv2d weight: load it with"
                        + " its architecture)" : ""));
            }
            if (l == 0) {
                widths[0] = shape[1];
            } else if (shape[1] != widths[l]) {
                throw new NpyFormatException(file.toString(), "W" + l + " has n_in = " + shape[1] + " but W" + (l - 1)
                        + " has n_out = " + widths[l]);
            }
            widths[l + 1] = shape[0];
            w[l] = wl.doubles();
            if (layers.anyBias()) {
                Tensor bl = a.array("b" + l);
                if (bl.shape().length != 1 || bl.size() != shape[0]) {
                    throw new NpyFormatException(file.toString(), "b" + l + " must have shape (" + shape[0] + ",), got "
                            + NpyHeader.shapeString(bl.shape()));
                }
                b[l] = bl.doubles();
            }
        }
        Architecture arch;
        try {
            Architecture.Builder mlp = Architecture.widths(widths).activation(s.activation())
                    .parameterization(s.parameterization()).sigmaW(s.sigmaW());
            arch = (layers.anyBias() ? mlp.sigmaB(s.sigmaB()) : mlp.noBias()).build();
        } catch (InvalidInputException e) {
            throw new NpyFormatException(file.toString(), e.getMessage());
        }
        return Parameters.of(arch, w, b);
    }

    /** The parameters of a stored architecture: every member must have the shape it says. */
    private static Parameters build(Path file, Npz.Archive a, Architecture arch) throws IOException {
        int count = arch.layers();
        Layers layers = layers(file, a);
        if (layers.count() != count) {
            throw new NpyFormatException(file.toString(), ARCHITECTURE + " describes " + count
                    + " layers with parameters but the file has W0 … W" + (layers.count() - 1));
        }
        double[][] w = new double[count][];
        double[][] b = new double[count][];
        for (int l = 0; l < count; l++) {
            Tensor wl = a.array("W" + l);
            long[] want = arch.weightShape(l);
            String layer = "layer " + arch.sequenceIndex(l) + " (" + arch.sequence().get(arch.sequenceIndex(l)).spec() + ")";
            if (!Arrays.equals(Arrays.stream(wl.shape()).asLongStream().toArray(), want)) {
                throw new NpyFormatException(file.toString(), "W" + l + " has shape " + NpyHeader.shapeString(wl.shape())
                        + " but " + layer + " needs " + Arrays.toString(want).replace('[', '(').replace(']', ')'));
            }
            w[l] = wl.doubles();
            if (arch.hasBias(l) != layers.biases().contains(l)) {
                throw new NpyFormatException(file.toString(), layer + (arch.hasBias(l)
                        ? " has a bias but the file has no b" + l : " has no bias but the file has b" + l));
            }
            if (arch.hasBias(l)) {
                Tensor bl = a.array("b" + l);
                if (bl.shape().length != 1 || bl.size() != arch.biasCount(l)) {
                    throw new NpyFormatException(file.toString(), "b" + l + " must have shape (" + arch.biasCount(l)
                            + ",), got " + NpyHeader.shapeString(bl.shape()));
                }
                b[l] = bl.doubles();
            }
        }
        return Parameters.of(arch, w, b);
    }

    /**
     * What {@code architecture.json} says, checked against the layer members; empty without it. Version 1 files
     * hold MLP settings, version 2 files the architecture.
     */
    private static Optional<Stored> stored(Path file, Npz.Archive a, Layers layers) throws IOException {
        if (!a.contains(ARCHITECTURE)) {
            return Optional.empty();
        }
        String text = new String(a.bytes(ARCHITECTURE, 1 << 20), StandardCharsets.UTF_8);
        String where = file + ":" + ARCHITECTURE;
        Map<String, Object> m = description(text, where);
        try {
            Parameterization parameterization = Parameterization.parse(string(m, "parameterization", where));
            if ((Double) m.get("version") == VERSION) {
                Architecture arch = Architecture.parse(string(m, "architecture", where), parameterization);
                return Optional.of(new Stored(arch.isUniformMlp() ? Settings.of(arch) : null, arch));
            }
            boolean bias = layers.anyBias();
            if (!(m.get("bias") instanceof Boolean hasBias) || hasBias != bias) {
                throw new NpyFormatException(where, "says bias " + m.get("bias") + " but the file has "
                        + (bias ? "b0, b1, …" : "no b0"));
            }
            return Optional.of(new Stored(new Settings(Activation.parse(string(m, "activation", where)),
                    parameterization, number(m, "sigma_w", where), number(m, "sigma_b", where), bias), null));
        } catch (InvalidInputException e) {
            throw new NpyFormatException(where, e.getMessage());
        }
    }

    private static String string(Map<String, Object> m, String key, String where) throws NpyFormatException {
        if (!(m.get(key) instanceof String s)) {
            throw new NpyFormatException(where, "'" + key + "' is missing or not a string");
        }
        return s;
    }

    private static double number(Map<String, Object> m, String key, String where) throws NpyFormatException {
        if (!(m.get(key) instanceof Double d) || !Double.isFinite(d)) {
            throw new NpyFormatException(where, "'" + key + "' is missing or not a finite number");
        }
        return d;
    }

    /** The one-level JSON object the description is: strings, numbers, booleans. */
    static final class FlatJson {
        private FlatJson() {
        }

        static Map<String, Object> parse(String s, String where) throws NpyFormatException {
            try {
                return object(tokens(s, where), where);
            } catch (IndexOutOfBoundsException e) {
                throw new NpyFormatException(where, "the description ends early");
            }
        }

        private static Map<String, Object> object(List<String> tokens, String where) throws NpyFormatException {
            Map<String, Object> m = new LinkedHashMap<>();
            int i = 0;
            expect(tokens, i++, "{", where);
            while (!tokens.get(i).equals("}")) {
                String key = tokens.get(i++);
                if (!key.startsWith("\"")) {
                    throw new NpyFormatException(where, "expected a key, found " + key);
                }
                expect(tokens, i++, ":", where);
                String v = tokens.get(i++);
                Object value = v.startsWith("\"") ? v.substring(1) : v.equals("true") ? Boolean.TRUE
                        : v.equals("false") ? Boolean.FALSE : numberOrNull(v);
                if (value == null || m.put(key.substring(1), value) != null) {
                    throw new NpyFormatException(where, "bad or repeated value for " + key.substring(1));
                }
                if (tokens.get(i).equals(",")) {
                    i++;
                } else if (!tokens.get(i).equals("}")) {
                    throw new NpyFormatException(where, "expected ',' or '}', found " + tokens.get(i));
                }
            }
            if (i != tokens.size() - 2) {
                throw new NpyFormatException(where, "text after the object");
            }
            return m;
        }

        private static Object numberOrNull(String v) {
            try {
                return v.matches("-?[0-9][0-9.eE+-]*") ? Double.parseDouble(v) : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }

        private static void expect(List<String> t, int i, String want, String where) throws NpyFormatException {
            if (!t.get(i).equals(want)) {
                throw new NpyFormatException(where, "expected " + want + ", found " + t.get(i));
            }
        }

        /** Strings come back as a quote followed by their text; an end marker closes the list. */
        private static List<String> tokens(String s, String where) throws NpyFormatException {
            List<String> out = new ArrayList<>();
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (Character.isWhitespace(c)) {
                    i++;
                } else if ("{}:,".indexOf(c) >= 0) {
                    out.add(String.valueOf(c));
                    i++;
                } else if (c == '"') {
                    StringBuilder sb = new StringBuilder("\"");
                    i++;
                    while (i < s.length() && s.charAt(i) != '"') {
                        if (s.charAt(i) == '\\') {
                            throw new NpyFormatException(where, "escapes are not expected in this description");
                        }
                        sb.append(s.charAt(i++));
                    }
                    if (i >= s.length()) {
                        throw new NpyFormatException(where, "unterminated string");
                    }
                    i++;
                    out.add(sb.toString());
                } else {
                    int j = i;
                    while (j < s.length() && "{}:,\"".indexOf(s.charAt(j)) < 0 && !Character.isWhitespace(s.charAt(j))) {
                        j++;
                    }
                    out.add(s.substring(i, j));
                    i = j;
                }
            }
            out.add("");
            if (out.size() < 3) {
                throw new NpyFormatException(where, "empty description");
            }
            return out;
        }
    }
}
