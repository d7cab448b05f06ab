package org.ntk4j.linalg;

/**
 * A kernel matrix that should be positive definite is not (numerically): the inputs make it singular, e.g.
 * duplicated examples, or more outputs to fit (N·O) than the network has parameters. A property of the data, so a
 * bad-input exception; a ridge on the diagonal or distinct inputs fix it.
 */
public class NotPositiveDefiniteException extends SingularSystemException {
    /**
     * Rows of the matrix.
     */
    private final int size;
    /**
     * The 1-based pivot where the factorization failed.
     */
    private final int pivot;

    /**
     * An exception naming the matrix size, the pivot and the remedies.
     *
     * @param size  rows of the matrix
     * @param pivot the 1-based failing pivot
     */
    public NotPositiveDefiniteException(int size, int pivot) {
        super("the " + size + "×" + size + " kernel matrix is not positive definite (Cholesky pivot " + pivot
                + " is not positive); add a ridge to its diagonal or use fewer, distinct inputs");
        this.size = size;
        this.pivot = pivot;
    }

    /**
     * Rows of the matrix.
     *
     * @return the size
     */
    public int size() {
        return size;
    }

    /**
     * The 1-based pivot where the factorization failed.
     *
     * @return the pivot
     */
    public int pivot() {
        return pivot;
    }
}
