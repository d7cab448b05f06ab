package org.ntk4j.data;

import java.util.SplittableRandom;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;

/**
 * Inputs (N, d), regression targets (N, O) and, for classification data, the class of each row (else null).
 */
public record Dataset(String name, Matrix x, Matrix y, int[] labels) {

    public Dataset {
        if (x == null || y == null || x.rows() != y.rows()) {
            throw new InvalidInputException("a dataset needs inputs and targets with the same number of rows");
        }
        if (labels != null && labels.length != x.rows()) {
            throw new InvalidInputException("labels have " + labels.length + " entries for " + x.rows() + " rows");
        }
    }

    public int size() {
        return x.rows();
    }

    /** The rows at these indices, in this order. */
    public Dataset select(int[] rows) {
        int d = x.cols();
        int o = y.cols();
        double[] xs = new double[rows.length * d];
        double[] ys = new double[rows.length * o];
        int[] ls = labels == null ? null : new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int r = rows[i];
            if (r < 0 || r >= size()) {
                throw new InvalidInputException("row " + r + " is outside 0.." + (size() - 1));
            }
            System.arraycopy(x.data(), r * d, xs, i * d, d);
            System.arraycopy(y.data(), r * o, ys, i * o, o);
            if (ls != null) {
                ls[i] = labels[r];
            }
        }
        return new Dataset(name, new Matrix(rows.length, d, xs), new Matrix(rows.length, o, ys), ls);
    }

    /** A seeded random split into disjoint train and test sets of the given sizes. */
    public Split split(int train, int test, long seed) {
        if (train < 1 || test < 0 || (long) train + test > size()) {
            throw new InvalidInputException("cannot split " + size() + " rows of " + name + " into " + train
                    + " train and " + test + " test rows");
        }
        int[] perm = new int[size()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = perm.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return new Split(select(java.util.Arrays.copyOfRange(perm, 0, train)),
                select(java.util.Arrays.copyOfRange(perm, train, train + test)));
    }

    /** Train and test parts of a dataset. */
    public record Split(Dataset train, Dataset test) {
    }
}
