package org.ntk4j.linalg;

import java.util.ArrayList;
import java.util.List;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;

/**
 * Preconditioners for kernel systems (Θ + λI)·α = y, built from parts of Θ that a tiled kernel has at hand.
 *
 * <ul>
 *   <li>{@link #blockJacobi}: M = blockdiag(Θ_ii + λI) over the diagonal tiles; M⁻¹ is formed once per block
 *       (Cholesky, then the inverse) and applied as a GEMM per block. Cheap, local, and as good as the tiles are
 *       large compared with the kernel's correlation length.</li>
 *   <li>{@link #nystrom}: the randomized Nyström preconditioner of Frangella, Tropp and Udell (2023), from m
 *       landmark columns C = Θ[:, S]: Θ ≈ U Λ̂ Uᵀ (rank ≤ m) and
 *       M⁻¹ = (λ̂_min + λ)·U (Λ̂ + λI)⁻¹ Uᵀ + (I − UUᵀ). It removes the top of the spectrum, which is what makes
 *       NTK systems ill-conditioned (a few large eigenvalues, a long flat tail).</li>
 * </ul>
 */
public final class Preconditioners {
    private Preconditioners() {
    }

    /**
     * Block-Jacobi from the diagonal blocks of Θ, in order (their sizes add up to n); {@code lambda} ≥ 0 is added to
     * every block's diagonal.
     *
     * @param diagonalBlocks Θ's diagonal blocks, in order
     * @param lambda         the ridge added to each block's diagonal, ≥ 0
     * @return the preconditioner
     */
    public static Preconditioner blockJacobi(List<Matrix> diagonalBlocks, double lambda) {
        requireShift(lambda);
        if (diagonalBlocks.isEmpty()) {
            throw new InvalidInputException("block-Jacobi needs at least one diagonal block");
        }
        List<Matrix> inverses = new ArrayList<>(diagonalBlocks.size());
        int[] offsets = new int[diagonalBlocks.size() + 1];
        for (int b = 0; b < diagonalBlocks.size(); b++) {
            Matrix block = diagonalBlocks.get(b);
            int t = block.rows();
            if (block.cols() != t) {
                throw new InvalidInputException("diagonal block " + b + " is not square: (" + t + ", " + block.cols() + ")");
            }
            Matrix shifted = block.copy();
            Matrix identity = Matrix.zeros(t, t);
            for (int i = 0; i < t; i++) {
                shifted.set(i, i, shifted.get(i, i) + lambda);
                identity.set(i, i, 1.0);
            }
            // Factored once; applying the explicit inverse is one GEMM per block and iteration.
            inverses.add(LinearAlgebra.choleskySolve(shifted, identity));
            offsets[b + 1] = offsets[b] + t;
        }
        int n = offsets[diagonalBlocks.size()];
        return r -> {
            if (r.rows() != n) {
                throw new InvalidInputException("block-Jacobi of size " + n + " applied to " + r.rows() + " rows");
            }
            int k = r.cols();
            double[] out = new double[r.data().length];
            for (int b = 0; b < inverses.size(); b++) {
                int from = offsets[b];
                int to = offsets[b + 1];
                Matrix rb = new Matrix(to - from, k, java.util.Arrays.copyOfRange(r.data(), from * k, to * k));
                Matrix zb = LinearAlgebra.multiply(inverses.get(b), false, rb, false);
                System.arraycopy(zb.data(), 0, out, from * k, zb.data().length);
            }
            return new Matrix(n, k, out);
        };
    }

    /**
     * The Nyström preconditioner from the landmark columns {@code columns} = Θ[:, S] (n × m) and the landmark
     * indices S (distinct rows of Θ, so Θ[S, S] is rows S of {@code columns}); {@code lambda} ≥ 0 is the ridge of
     * the system. Directions where Θ[S, S] is numerically singular (eigenvalue below 1e-12·m of the largest) are
     * dropped rather than inverted; when none is left (a zero kernel) the preconditioner is the identity.
     *
     * @param columns   Θ[:, S], (n, m)
     * @param landmarks S, m distinct row indices
     * @param lambda    the system's ridge, ≥ 0
     * @return the preconditioner
     */
    public static Preconditioner nystrom(Matrix columns, int[] landmarks, double lambda) {
        requireShift(lambda);
        int n = columns.rows();
        int m = columns.cols();
        if (landmarks.length != m || m == 0) {
            throw new InvalidInputException("Nyström needs one landmark index per column: " + landmarks.length
                    + " indices for " + m + " columns");
        }
        Matrix w = Matrix.zeros(m, m);
        for (int a = 0; a < m; a++) {
            if (landmarks[a] < 0 || landmarks[a] >= n) {
                throw new InvalidInputException("landmark " + landmarks[a] + " is outside 0.." + (n - 1));
            }
            System.arraycopy(columns.data(), landmarks[a] * m, w.data(), a * m, m);
        }
        // Θ̂ = C W⁺ Cᵀ = B Bᵀ with B = C Q D^{-1/2} over W's well-determined eigenpairs (W = Q D Qᵀ).
        LinearAlgebra.Eigen we = LinearAlgebra.symmetricEigen(w);
        double cut = Math.max(we.max(), 0) * 1e-12 * m;
        int keep = 0;
        for (double d : we.values()) {
            keep += d > cut ? 1 : 0;
        }
        if (keep == 0) {
            return Preconditioner.IDENTITY; // Θ̂ = 0 (e.g. all-zero inputs): the formula leaves M⁻¹ = I
        }
        Matrix qs = Matrix.zeros(m, keep); // columns: Q's kept eigenvectors / √d
        int c = 0;
        for (int e = 0; e < m; e++) {
            double d = we.values()[e];
            if (d > cut) {
                double s = 1 / Math.sqrt(d);
                for (int a = 0; a < m; a++) {
                    qs.set(a, c, we.vectors().get(e, a) * s);
                }
                c++;
            }
        }
        Matrix b = LinearAlgebra.multiply(columns, false, qs, false);             // n × keep
        LinearAlgebra.Eigen be = LinearAlgebra.symmetricEigen(LinearAlgebra.multiply(b, true, b, false));
        // U = B V Σ⁻¹ for the non-negligible σ² = eigenvalues of BᵀB (Θ̂'s eigenvalues).
        double top = Math.max(be.max(), 0);
        List<Integer> kept = new ArrayList<>();
        for (int e = 0; e < keep; e++) {
            if (be.values()[e] > top * 1e-14 * keep) {
                kept.add(e);
            }
        }
        int r = kept.size();
        if (r == 0) {
            return Preconditioner.IDENTITY;
        }
        Matrix vs = Matrix.zeros(keep, r);
        double[] lam = new double[r];
        for (int q = 0; q < r; q++) {
            int e = kept.get(q);
            lam[q] = be.values()[e];
            double s = 1 / Math.sqrt(lam[q]);
            for (int a = 0; a < keep; a++) {
                vs.set(a, q, be.vectors().get(e, a) * s);
            }
        }
        Matrix u = LinearAlgebra.multiply(b, false, vs, false);                    // n × r, orthonormal columns
        double lamMin = lam[0];
        for (double l : lam) {
            lamMin = Math.min(lamMin, l);
        }
        double[] factor = new double[r];
        for (int q = 0; q < r; q++) {
            factor[q] = (lamMin + lambda) / (lam[q] + lambda) - 1;
        }
        return res -> {
            if (res.rows() != n) {
                throw new InvalidInputException("Nyström preconditioner of size " + n + " applied to " + res.rows() + " rows");
            }
            Matrix coeff = LinearAlgebra.multiply(u, true, res, false);            // r × k
            for (int q = 0; q < r; q++) {
                for (int j = 0; j < coeff.cols(); j++) {
                    coeff.set(q, j, coeff.get(q, j) * factor[q]);
                }
            }
            Matrix out = res.copy();
            LinearAlgebra.gemm(1.0, u, false, coeff, false, 1.0, out);
            return out;
        };
    }

    /** The seed landmarks are drawn from by default, so every caller (one process, a cluster) picks the same ones. */
    public static final long LANDMARK_SEED = 20230101L;

    /**
     * m distinct landmark indices out of n, uniformly at random from a fixed seed (sorted).
     *
     * @param n    the number of rows to choose from
     * @param m    how many to choose, 1 ≤ m ≤ n
     * @param seed the random seed ({@link #LANDMARK_SEED} by default)
     * @return the indices, ascending
     */
    public static int[] landmarks(int n, int m, long seed) {
        if (m < 1 || m > n) {
            throw new InvalidInputException("cannot pick " + m + " landmarks out of " + n + " examples");
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        for (int i = 0; i < m; i++) {
            int j = i + rnd.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] s = java.util.Arrays.copyOf(all, m);
        java.util.Arrays.sort(s);
        return s;
    }

    private static void requireShift(double lambda) {
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new InvalidInputException("the ridge λ must be non-negative and finite, got " + lambda);
        }
    }
}
