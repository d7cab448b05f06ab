package org.ntk4j.spark;

import java.io.Serializable;
import java.security.MessageDigest;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;

/**
 * The kernel a tile task evaluates: Θ(x1, x2) for two blocks of rows, in one mode. Shipped to executors with the
 * task, so it is {@link Serializable}; {@link KernelSpec} is the one ntk4j provides (the empirical NTK on the
 * executor's best backend, or the infinite-width kernel).
 */
public interface KernelFunction extends Serializable {

    /**
     * Θ(x, x) in the mode's layout, exactly symmetric (a tile on the diagonal).
     *
     * @param x the block's examples, (n, d); only read
     * @return Θ(x, x): (n, n), (n, n, O, O) or (n, n, O) by {@link #mode()}
     */
    Tensor compute(Matrix x);

    /**
     * Θ(x1, x2) in the mode's layout.
     *
     * @param x1 the rows' examples, (n1, d); only read
     * @param x2 the columns' examples, (n2, d); only read
     * @return Θ(x1, x2): (n1, n2), (n1, n2, O, O) or (n1, n2, O) by {@link #mode()}
     */
    Tensor compute(Matrix x1, Matrix x2);

    /**
     * Which kernel of the outputs is computed, and so the tiles' layout.
     *
     * @return the mode: full, trace or diagonal
     */
    NtkMode mode();

    /**
     * O, the network's outputs.
     *
     * @return O, ≥ 1
     */
    int outputDim();

    /**
     * d, the features per example the kernel expects.
     *
     * @return d, ≥ 1
     */
    int inputDim();

    /**
     * Whether tiles are stored as float32 (else float64).
     *
     * @return true for float32 tiles
     */
    boolean float32();

    /**
     * What it is, for messages and the tile manifest, e.g. "empirical trace NTK, fp32, auto, 8-16-3 relu".
     *
     * @return a one-line description
     */
    String describe();

    /**
     * Feeds everything that determines the values (model, parameters, mode, precision, implementation).
     *
     * @param md the digest updated; two kernels that feed it the same bytes give the same tiles
     */
    void digest(MessageDigest md);
}
