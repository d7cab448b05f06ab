package org.ntk4j.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.ntk4j.NtkException;

/**
 * The optical handwritten digits (E. Alpaydin, C. Kaynak, 1998; UCI Machine Learning Repository; CC BY 4.0; see
 * {@code DIGITS-ATTRIBUTION.md} beside the data in the jar): 1797 images of 8×8 pixels with values 0…16, ten
 * classes.
 *
 * <p>Normalisation (the default, {@link #load()}): pixels divided by 16; each of the 64 features centred and divided
 * by its standard deviation over all 1797 images (features that are constant — a few border pixels are always 0 —
 * are left at 0); finally each image scaled to Euclidean norm √64 = 8, so x·x/d = 1 for every input: the first
 * layer's pre-activation variance is then σ_w² + σ_b² for all examples, as in the NTK literature's inputs on a
 * sphere. Targets are centred one-hot vectors, e_c − 1/10 (each row sums to 0), so an all-zero network output is
 * the best constant prediction.
 */
public final class Digits {
    public static final int ROWS = 1797;
    public static final int FEATURES = 64;
    public static final int CLASSES = 10;
    private static final String RESOURCE = "/org/ntk4j/data/digits.csv.gz";

    private Digits() {
    }

    /** How targets are encoded. */
    public enum Targets {
        /** e_c − 1/10. */
        CENTRED_ONE_HOT,
        /** e_c. */
        ONE_HOT
    }

    /** All 1797 images, normalised as described in the class notes, with centred one-hot targets. */
    public static Dataset load() {
        return load(Targets.CENTRED_ONE_HOT);
    }

    /** All 1797 images, normalised as described in the class notes. */
    public static Dataset load(Targets targets) {
        double[][] raw = readRaw();
        int n = raw.length;
        double[] x = new double[n * FEATURES];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] = raw[i][j] / 16.0;
            }
        }
        for (int j = 0; j < FEATURES; j++) {
            double mean = 0;
            for (int i = 0; i < n; i++) {
                mean += x[i * FEATURES + j];
            }
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
                double d = x[i * FEATURES + j] - mean;
                var += d * d;
            }
            double sd = Math.sqrt(var / n);
            for (int i = 0; i < n; i++) {
                x[i * FEATURES + j] = sd > 1e-12 ? (x[i * FEATURES + j] - mean) / sd : 0.0;
            }
        }
        double target = Math.sqrt(FEATURES);
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < FEATURES; j++) {
                s += x[i * FEATURES + j] * x[i * FEATURES + j];
            }
            double scale = target / Math.sqrt(s);
            for (int j = 0; j < FEATURES; j++) {
                x[i * FEATURES + j] *= scale;
            }
        }
        int[] labels = new int[n];
        double[] y = new double[n * CLASSES];
        double offset = targets == Targets.CENTRED_ONE_HOT ? 1.0 / CLASSES : 0.0;
        for (int i = 0; i < n; i++) {
            labels[i] = (int) raw[i][FEATURES];
            for (int c = 0; c < CLASSES; c++) {
                y[i * CLASSES + c] = (c == labels[i] ? 1.0 : 0.0) - offset;
            }
        }
        return new Dataset("digits", new org.ntk4j.Matrix(n, FEATURES, x), new org.ntk4j.Matrix(n, CLASSES, y), labels);
    }

    /** The file's rows as numbers: 64 pixels then the label. */
    static double[][] readRaw() {
        try (InputStream in = Digits.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new NtkException("the digits data " + RESOURCE + " is missing from the class path");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.US_ASCII));
            List<double[]> rows = new ArrayList<>();
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                String[] parts = line.split(",");
                if (parts.length != FEATURES + 1) {
                    throw new NtkException("digits row " + (rows.size() + 1) + " has " + parts.length + " fields, expected "
                            + (FEATURES + 1));
                }
                double[] row = new double[FEATURES + 1];
                for (int j = 0; j <= FEATURES; j++) {
                    row[j] = Double.parseDouble(parts[j].trim());
                }
                rows.add(row);
            }
            if (rows.size() != ROWS) {
                throw new NtkException("digits data has " + rows.size() + " rows, expected " + ROWS);
            }
            return rows.toArray(new double[0][]);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }
}
