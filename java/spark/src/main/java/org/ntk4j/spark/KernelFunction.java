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

    /** Θ(x, x) in the mode's layout, exactly symmetric (a tile on the diagonal). */
    Tensor compute(Matrix x);

    /** Θ(x1, x2) in the mode's layout. */
    Tensor compute(Matrix x1, Matrix x2);

    NtkMode mode();

    /** O, the network's outputs. */
    int outputDim();

    /** d, the features per example the kernel expects. */
    int inputDim();

    /** Whether tiles are stored as float32 (else float64). */
    boolean float32();

    /** What it is, for messages and the tile manifest, e.g. "empirical trace NTK, fp32, auto, 8-16-3 relu". */
    String describe();

    /** Feeds everything that determines the values (model, parameters, mode, precision, implementation). */
    void digest(MessageDigest md);
}
