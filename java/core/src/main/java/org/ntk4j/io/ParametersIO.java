package org.ntk4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/**
 * Parameters as {@code .npz}: {@code W0, b0, W1, b1, …} with {@code W_l} of shape (n_out, n_in) — PyTorch's
 * {@code Linear.weight} layout, so {@code np.savez(f, W0=lin0.weight, b0=lin0.bias, …)} loads directly. The file
 * holds no activation or scaling: the caller says how the weights are to be used (PyTorch's own weights are in the
 * standard parameterization).
 */
public final class ParametersIO {
    private ParametersIO() {
    }

    /**
     * Saves in float64 (exact).
     *
     * @param p    the parameters; read
     * @param file the .npz file, replaced
     * @throws java.io.IOException when the file cannot be read or written
     */
    public static void save(Parameters p, Path file) throws IOException {
        Architecture a = p.architecture();
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        for (int l = 0; l < a.layers(); l++) {
            arrays.put("W" + l, new NpyArray(new int[] {a.width(l + 1), a.width(l)}, p.weights(l), false));
            if (a.bias()) {
                arrays.put("b" + l, new NpyArray(new int[] {a.width(l + 1)}, p.bias(l), false));
            }
        }
        Npz.write(file, arrays);
    }

    /**
     * Loads parameters; the widths come from the shapes, bias presence from whether {@code b0} exists.
     *
     * @param sigmaB used only when the file has biases
     *
     * @param file             the .npz file
     * @param activation       the network's activation
     * @param parameterization how the weights are scaled
     * @param sigmaW           σ_w
     * @return new parameters over the arrays read
     * @throws NpyFormatException when an array is missing or its shape does not chain
     * @throws java.io.IOException when the file cannot be read or written
     */
    public static Parameters load(Path file, Activation activation, Parameterization parameterization, double sigmaW,
                                  double sigmaB) throws IOException {
        Map<String, NpyArray> arrays = Npz.read(file);
        int layers = 0;
        while (arrays.containsKey("W" + layers)) {
            layers++;
        }
        if (layers == 0) {
            throw new NpyFormatException(file + ": no W0 array (expected W0, b0, W1, b1, …; found " + arrays.keySet() + ")");
        }
        boolean bias = arrays.containsKey("b0");
        int[] widths = new int[layers + 1];
        double[][] w = new double[layers][];
        double[][] b = new double[layers][];
        for (int l = 0; l < layers; l++) {
            int[] s = arrays.get("W" + l).shape();
            if (s.length != 2) {
                throw new NpyFormatException(file + ": W" + l + " must be 2-D (n_out, n_in), got " + java.util.Arrays.toString(s));
            }
            if (l == 0) {
                widths[0] = s[1];
            } else if (s[1] != widths[l]) {
                throw new NpyFormatException(file + ": W" + l + " has n_in = " + s[1] + " but W" + (l - 1)
                        + " has n_out = " + widths[l]);
            }
            widths[l + 1] = s[0];
            w[l] = arrays.get("W" + l).data();
            if (bias) {
                NpyArray bl = arrays.get("b" + l);
                if (bl == null || bl.data().length != s[0]) {
                    throw new NpyFormatException(file + ": b" + l + " must have " + s[0] + " values"
                            + (bl == null ? " but is missing" : ", got " + bl.data().length));
                }
                b[l] = bl.data();
            } else if (arrays.containsKey("b" + l)) {
                throw new NpyFormatException(file + ": b" + l + " present but b0 missing");
            }
        }
        if (arrays.containsKey("b" + layers)) {
            throw new NpyFormatException(file + ": b" + layers + " has no W" + layers);
        }
        Architecture arch = new Architecture(widths, activation, parameterization, sigmaW, bias ? sigmaB : 0.0, bias);
        return Parameters.of(arch, w, b);
    }
}
