package org.ntk4j.spark;

import java.io.Serializable;
import java.security.MessageDigest;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;

/**
 * The kernel a tile task evaluates: core's {@link org.ntk4j.KernelFunction} in one mode, with what a distributed job
 * needs beside it — it is shipped to executors with the task, so it is {@link Serializable}; it says how tiles are
 * stored; and it feeds a digest of everything that determines its values, so stored tiles are recognised.
 * {@link KernelSpec} is the one ntk4j provides (the empirical NTK or NNGP on the executor's best backend, or the
 * infinite-width kernels).
 */
public interface SerializableKernel extends org.ntk4j.KernelFunction, Serializable {

    /**
     * Which kernel of the outputs the tiles hold, and so their layout.
     *
     * @return the mode: full, trace or diagonal
     */
    NtkMode mode();

    /**
     * Whether tiles are stored as float32 (else float64).
     *
     * @return true for float32 tiles
     */
    boolean float32();

    /**
     * Feeds everything that determines the values (kind, model, parameters, mode, precision, implementation).
     *
     * @param md the digest updated; two kernels that feed it the same bytes give the same tiles
     */
    void digest(MessageDigest md);

    /**
     * K(x, x) in {@link #mode()}'s layout, exactly symmetric (a tile on the diagonal).
     *
     * @param x the block's examples, (n, d); only read
     * @return K(x, x): (n, n), (n, n, O, O) or (n, n, O) by {@link #mode()}
     */
    default Tensor compute(Matrix x) {
        return kernel(x, mode());
    }

    /**
     * K(x1, x2) in {@link #mode()}'s layout.
     *
     * @param x1 the rows' examples, (n1, d); only read
     * @param x2 the columns' examples, (n2, d); only read
     * @return K(x1, x2): (n1, n2), (n1, n2, O, O) or (n1, n2, O) by {@link #mode()}
     */
    default Tensor compute(Matrix x1, Matrix x2) {
        return kernel(x1, x2, mode());
    }
}
