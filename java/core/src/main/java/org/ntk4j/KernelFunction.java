package org.ntk4j;

/**
 * A kernel of a network's outputs, computed for blocks of inputs in any {@link NtkMode}: the one shape every kernel
 * ntk4j computes has, so tiling, distribution and prediction need not know which it is. Obtained from
 * {@link Ntk#kernelFunction} (the empirical NTK or NNGP of a network on a backend),
 * {@link PreparedModel#kernelFunction} (the same at a prepared model's current parameters) and
 * {@link org.ntk4j.analytic.AnalyticKernel#kernelFunction} (the infinite-width NTK or NNGP). A function uses the
 * backend or model it came from and does not close it; inputs are read during a call and never kept.
 */
public interface KernelFunction {

    /**
     * Which kernel: the NTK or the NNGP.
     *
     * @return the kind
     */
    KernelKind kind();

    /**
     * d, the features per example the kernel expects.
     *
     * @return d, ≥ 1
     */
    int inputDim();

    /**
     * O, the network's outputs.
     *
     * @return O, ≥ 1
     */
    int outputDim();

    /**
     * What it is and where it runs, for messages, e.g. "empirical NTK on cpu fp32 (…)".
     *
     * @return a one-line description
     */
    String description();

    /**
     * K(x, x) in the mode's layout, exactly symmetric.
     *
     * @param x    the inputs, (N, d)
     * @param mode which values: (N, N, O, O), (N, N) or (N, N, O)
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when the inputs do not match the network or contain NaN or ∞
     */
    Tensor kernel(Matrix x, NtkMode mode);

    /**
     * K(x1, x2) in the mode's layout; the same instance twice is {@link #kernel(Matrix, NtkMode)}.
     *
     * @param x1   the first inputs, (N1, d)
     * @param x2   the second inputs, (N2, d)
     * @param mode which values: (N1, N2, O, O), (N1, N2) or (N1, N2, O)
     * @return a new tensor in the mode's shape
     * @throws InvalidInputException when the inputs do not match the network or contain NaN or ∞
     */
    Tensor kernel(Matrix x1, Matrix x2, NtkMode mode);

    /**
     * K(x1, x2) in a mode, the one computation a kernel function delegates to (x2 is x1 itself for K(x, x), which
     * must then be exactly symmetric).
     */
    @FunctionalInterface
    interface Blocks {
        /**
         * K(x1, x2) in the mode's layout.
         *
         * @param x1   the first inputs, (N1, d)
         * @param x2   the second inputs, (N2, d), or x1 itself
         * @param mode which values
         * @return a new tensor in the mode's shape
         */
        Tensor compute(Matrix x1, Matrix x2, NtkMode mode);
    }

    /**
     * A kernel function that computes its blocks by {@code blocks}.
     *
     * @param kind        which kernel
     * @param inputDim    d
     * @param outputDim   O
     * @param description what it is, for messages
     * @param blocks      the computation
     * @return the kernel function
     * @throws InvalidInputException when an argument is missing or a dimension is not positive
     */
    static KernelFunction of(KernelKind kind, int inputDim, int outputDim, String description, Blocks blocks) {
        return new DelegatingKernelFunction(kind, inputDim, outputDim, description, blocks);
    }
}
