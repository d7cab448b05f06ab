package org.ntk4j;

import org.ntk4j.internal.KernelArrays;

/**
 * The memory layouts of a kernel and the moves between them, shared by every backend, the infinite-width kernel, the
 * tiled file writer and the training dynamics, so each move is written (and tested) once.
 *
 * <p>Two layouts, both row-major arrays of doubles:
 * <ul>
 *   <li><b>Pair layout</b>, what {@link Ntk#kernel} returns: the values of example pair (i, j) are
 *       {@code valuesPerPair = mode.valuesPerPair(O)} consecutive doubles at {@code (i·N2 + j)·valuesPerPair}; in
 *       {@link NtkMode#FULL} they are the O×O block Θ_ab(x_i, x_j), row a, column b, so the whole array has shape
 *       (N1, N2, O, O).</li>
 *   <li><b>Matrix layout</b> (FULL only), what {@link Ntk#kernelMatrix} returns and linear algebra works on: the
 *       (N1·O)×(N2·O) matrix with Θ_ab(x_i, x_j) at row i·O + a, column j·O + b — the order of a row-major (N, O)
 *       output matrix flattened, and of the Jacobian's rows, so Θ = J1·J2ᵀ.</li>
 * </ul>
 *
 * <p>Symmetry: Θ_ab(x, x') = Θ_ba(x', x). A symmetric kernel Θ(x, x) is formed on the upper triangle (pairs i ≤ j,
 * or matrix entries row ≤ column) and completed by a mirror, so it is exactly symmetric.
 *
 * <p>The conversions below copy: the tensor or matrix given is read, not kept.
 */
public final class KernelLayout {
    private KernelLayout() {
    }

    /**
     * A full kernel (N1, N2, O, O) as a new (N1·O)×(N2·O) matrix in matrix layout; the tensor is read, not kept.
     *
     * @param full a kernel of shape (N1, N2, O, O)
     * @return the same values in matrix layout, a new array
     */
    public static Matrix fullToMatrix(Tensor full) {
        if (full == null) {
            throw new InvalidInputException("kernel must be given");
        }
        int[] s = full.shape();
        if (s.length != 4 || s[2] != s[3]) {
            throw new InvalidInputException("not a full kernel of shape (N1, N2, O, O): " + java.util.Arrays.toString(s));
        }
        double[] m = new double[Math.toIntExact(full.size())];
        KernelArrays.fullToMatrix(full.doubles(), s[0], s[1], s[2], m, 0, s[0]);
        return new Matrix(s[0] * s[2], s[1] * s[2], m);
    }

    /**
     * A kernel matrix (N1·O)×(N2·O) in matrix layout as a new full kernel (N1, N2, O, O); the matrix is read, not
     * kept.
     *
     * @param matrix  a kernel in matrix layout
     * @param outputs O, which must divide both of the matrix's sides
     * @return the same values in pair layout, a new array
     */
    public static Tensor matrixToFull(Matrix matrix, int outputs) {
        if (matrix == null) {
            throw new InvalidInputException("kernel matrix must be given");
        }
        if (outputs < 1 || matrix.rows() % outputs != 0 || matrix.cols() % outputs != 0) {
            throw new InvalidInputException("a (" + matrix.rows() + ", " + matrix.cols() + ") matrix is not a kernel "
                    + "matrix with " + outputs + " outputs: both sides must be multiples of it");
        }
        int n1 = matrix.rows() / outputs;
        int n2 = matrix.cols() / outputs;
        double[] f = new double[matrix.data().length];
        KernelArrays.matrixToFull(matrix.data(), n1, n2, outputs, f, 0, n1);
        return new Tensor(new int[] {n1, n2, outputs, outputs}, f);
    }
}
