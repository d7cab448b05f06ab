package org.ntk4j.dynamics;

import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;

/** Reshapes kernels between the {@code Ntk.kernel} layouts and the matrices the dynamics work with. */
public final class KernelMatrices {
    private KernelMatrices() {
    }

    /**
     * A full kernel (N1, N2, O, O) as the (N1·O)×(N2·O) matrix with row n1·O + a and column n2·O + b — the order of
     * a row-major (N, O) output matrix flattened, and of the Jacobian's rows.
     */
    public static Matrix fullToMatrix(Tensor full) {
        int[] s = full.shape();
        if (s.length != 4 || s[2] != s[3]) {
            throw new InvalidInputException("not a full kernel of shape (N1, N2, O, O): " + java.util.Arrays.toString(s));
        }
        int n1 = s[0];
        int n2 = s[1];
        int o = s[2];
        double[] src = full.data();
        double[] dst = new double[src.length];
        int cols = n2 * o;
        for (int i = 0; i < n1; i++) {
            for (int j = 0; j < n2; j++) {
                for (int a = 0; a < o; a++) {
                    int from = ((i * n2 + j) * o + a) * o;
                    System.arraycopy(src, from, dst, (i * o + a) * cols + j * o, o);
                }
            }
        }
        return new Matrix(n1 * o, cols, dst);
    }

    /** ‖A − B‖_F / ‖B‖_F for two kernels of the same shape. */
    public static double relativeDistance(Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new InvalidInputException("kernels of shapes " + java.util.Arrays.toString(a.shape()) + " and "
                    + java.util.Arrays.toString(b.shape()) + " cannot be compared");
        }
        double num = 0;
        double den = 0;
        double[] x = a.data();
        double[] y = b.data();
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            num += d * d;
            den += y[i] * y[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
