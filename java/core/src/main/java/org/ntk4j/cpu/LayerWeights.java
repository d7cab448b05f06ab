package org.ntk4j.cpu;

import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * The working-precision copy of one weighted layer's parameters, shared by the kinds that have them
 * ({@link CpuDense}, {@link CpuConv}): W as (rows, fan) row-major — PyTorch's layout flattened, one row per output
 * unit or channel — s·b rounded once, the scales c and s ({@link Architecture#weightScale},
 * {@link Architecture#biasScale}) and the offsets of W and b in the flat parameter vector.
 */
final class LayerWeights<A> {
    private final Arith<A> ar;
    /** Output units (dense) or channels (conv): the rows of W and the length of b. */
    final int rows;
    /** The length of a row of W. */
    final int fan;
    final double c;
    /** s, 0 without bias. */
    final double s;
    final boolean bias;
    final int wOff;
    final int bOff;
    /** W, (rows, fan) row-major. */
    final A w;
    /** s·b rounded, or null without bias. */
    final A sb;

    /** Columns of the parameter block in the augmented view [W | b]: fan, plus one with bias. */
    int augmentedWidth() {
        return fan + (bias ? 1 : 0);
    }

    /** Weighted layer l's parameters, W read as rows × fan. */
    LayerWeights(Arith<A> ar, Parameters p, int l, int rows, int fan) {
        Architecture arch = p.architecture();
        this.ar = ar;
        this.rows = rows;
        this.fan = fan;
        this.c = arch.weightScale(l);
        this.s = arch.biasScale(l);
        this.bias = arch.hasBias(l);
        this.wOff = (int) arch.weightOffset(l);
        this.bOff = (int) arch.biasOffset(l);
        this.w = ar.matrix(rows, fan);
        ar.fromDouble(p.weights(l), 0, w, 0, p.weights(l).length);
        if (bias) {
            sb = ar.alloc(rows);
            setBias(p.bias(l));
        } else {
            sb = null;
        }
    }

    /** W[from, to) (flat) ← src[from, to) rounded. */
    void setWeights(double[] src, int from, int to) {
        ar.fromDouble(src, from, w, from, to - from);
    }

    /** s·b ← s·b rounded; nothing without bias. */
    void setBias(double[] b) {
        if (!bias) {
            return;
        }
        double[] tmp = new double[rows];
        for (int i = 0; i < rows; i++) {
            tmp[i] = s * b[i];
        }
        ar.fromDouble(tmp, 0, sb, 0, rows);
    }

    /** z[q, :] += s·b for each of {@code count} rows of length {@link #rows}; nothing without bias. */
    void addBias(A z, int count) {
        if (sb == null) {
            return;
        }
        ar.pool.parallelFor(count, rows, (q0, q1) -> {
            for (int q = q0; q < q1; q++) {
                ar.add(z, q * rows, sb, rows);
            }
        });
    }
}
