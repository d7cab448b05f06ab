package org.ntk4j.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkException;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;

class LinearAlgebraTest {

    private static Matrix naive(Matrix a, boolean ta, Matrix b, boolean tb) {
        int m = ta ? a.cols() : a.rows();
        int k = ta ? a.rows() : a.cols();
        int n = tb ? b.rows() : b.cols();
        Matrix c = Matrix.zeros(m, n);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++) {
                    s += (ta ? a.get(q, i) : a.get(i, q)) * (tb ? b.get(j, q) : b.get(q, j));
                }
                c.set(i, j, s);
            }
        }
        return c;
    }

    @Test
    void gemmMatchesNaiveProductsForEveryTransposeOnOddSizes() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Matrix a = ta ? NtkCase.gaussianInputs(13, 7, 1) : NtkCase.gaussianInputs(7, 13, 1);
                Matrix b = tb ? NtkCase.gaussianInputs(5, 13, 2) : NtkCase.gaussianInputs(13, 5, 2);
                Compare.assertClose("gemm ta=" + ta + " tb=" + tb, LinearAlgebra.multiply(a, ta, b, tb), naive(a, ta, b, tb), 1e-14);
            }
        }
        Matrix c = NtkCase.gaussianInputs(3, 4, 9);
        Matrix expected = naive(NtkCase.gaussianInputs(3, 6, 3), false, NtkCase.gaussianInputs(6, 4, 4), false);
        double[] e = expected.data();
        for (int i = 0; i < e.length; i++) {
            e[i] = 2 * e[i] + 0.5 * c.data()[i];
        }
        LinearAlgebra.gemm(2, NtkCase.gaussianInputs(3, 6, 3), false, NtkCase.gaussianInputs(6, 4, 4), false, 0.5, c);
        Compare.assertClose("gemm alpha/beta", c, expected, 1e-14);
        assertThrows(InvalidInputException.class,
                () -> LinearAlgebra.multiply(Matrix.zeros(2, 3), false, Matrix.zeros(2, 3), false));
    }

    private static Matrix spd(int n, long seed) {
        Matrix g = NtkCase.gaussianInputs(n, n + 3, seed);
        return LinearAlgebra.multiply(g, false, g, true);
    }

    @Test
    void eigendecompositionReconstructsTheMatrix() {
        Matrix a = spd(17, 5);
        LinearAlgebra.Eigen e = LinearAlgebra.symmetricEigen(a);
        Matrix vt = e.vectors();
        // A·v_k = λ_k·v_k and VᵀV = I, as residuals.
        Matrix av = LinearAlgebra.multiply(a, false, vt, true);
        double worst = 0;
        for (int k = 0; k < 17; k++) {
            for (int i = 0; i < 17; i++) {
                worst = Math.max(worst, Math.abs(av.get(i, k) - e.values()[k] * vt.get(k, i)));
            }
            if (k > 0) {
                assertTrue(e.values()[k] >= e.values()[k - 1]);
            }
        }
        assertTrue(worst < 1e-12 * e.max(), "eigen residual " + worst);
        Matrix vtv = LinearAlgebra.multiply(vt, false, vt, true);
        for (int i = 0; i < 17; i++) {
            for (int j = 0; j < 17; j++) {
                assertEquals(i == j ? 1.0 : 0.0, vtv.get(i, j), 1e-13);
            }
        }
        double[] only = LinearAlgebra.symmetricEigenvalues(a);
        Compare.assertClose("values only", only, e.values(), 1e-13);
        assertEquals(e.max() / e.min(), e.conditionNumber(), 1e-9 * e.conditionNumber());
    }

    @Test
    void choleskySolveLeavesASmallResidual() {
        Matrix a = spd(11, 6);
        Matrix b = NtkCase.gaussianInputs(11, 3, 7);
        Matrix x = LinearAlgebra.choleskySolve(a, b);
        Compare.assertClose("A·X = B", LinearAlgebra.multiply(a, false, x, false), b, 1e-12);
        Matrix singular = LinearAlgebra.multiply(NtkCase.gaussianInputs(5, 2, 8), false, NtkCase.gaussianInputs(5, 2, 8), true);
        for (int i = 0; i < 5; i++) {
            singular.set(i, i, singular.get(i, i) - 1.0);
        }
        NtkException e = assertThrows(NtkException.class, () -> LinearAlgebra.choleskySolve(singular, b.rowRange(0, 5)));
        assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
    }
}
