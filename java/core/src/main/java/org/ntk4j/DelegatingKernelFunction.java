package org.ntk4j;

/** {@link KernelFunction#of}: the description fields and the one computation. */
record DelegatingKernelFunction(KernelKind kind, int inputDim, int outputDim, String description,
                                KernelFunction.Blocks blocks) implements KernelFunction {
    DelegatingKernelFunction {
        if (kind == null || description == null || blocks == null) {
            throw new InvalidInputException("kernel kind, description and computation must be given");
        }
        if (inputDim < 1 || outputDim < 1) {
            throw new InvalidInputException("input and output dimensions must be positive, got " + inputDim + " and "
                    + outputDim);
        }
    }

    @Override
    public Tensor kernel(Matrix x, NtkMode mode) {
        return blocks.compute(x, x, mode);
    }

    @Override
    public Tensor kernel(Matrix x1, Matrix x2, NtkMode mode) {
        return blocks.compute(x1, x2, mode);
    }

    @Override
    public String toString() {
        return description;
    }
}
