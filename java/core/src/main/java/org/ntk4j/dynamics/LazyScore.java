package org.ntk4j.dynamics;

import java.util.SplittableRandom;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Parameters;
import org.ntk4j.spi.Validation;

/**
 * Chizat and Bach's lazy-training score {@code k(θ_0) = ‖f(θ_0) − y‖ · ‖∇²f(θ_0)‖ / ‖∇f(θ_0)‖²}, f the stacked
 * outputs on the inputs (a vector of N·O entries), with operator norms, estimated as follows.
 * <ul>
 *   <li>‖f(θ_0) − y‖: the Euclidean norm over the N·O entries (backend forward pass).</li>
 *   <li>‖∇f‖² = ‖J‖₂² = λ_max(J·Jᵀ) = λ_max of the full (N·O)×(N·O) empirical NTK Gram (backend kernel, then LAPACK
 *   {@code dsyevd}) — exact up to the backend's precision.</li>
 *   <li>‖∇²f‖ = sup over unit u, v of ‖∇²f[u, v]‖ = sup over unit w, v of |⟨w, ∇²f[v, v]⟩| (each H_w = Σ w_i ∇²f_i is
 *   symmetric, so sup_{u,v} uᵀH_w v = max |λ(H_w)|). Estimated by alternating maximisation: start from w = the
 *   normalised residual (the direction in which the loss's Hessian sees the curvature), and from
 *   {@code restarts} random w; find the top |eigenvalue|
 *   of H_w by Lanczos with exact Hessian-vector products ({@link NetworkCurvature}; see
 *   {@link #extremeEigenpair}), evaluate ∇²f[v, v] at its eigenvector, take w ← that normalised, and repeat with
 *   the eigenvector as the next start. Every quantity produced (|λ|max of an H_w, ‖∇²f[v, v]‖) is a value of the norm's
 *   objective at unit vectors, so the estimate (their maximum) is a lower bound of ‖∇²f‖, up to the Lanczos
 *   tolerance; the alternation never decreases it (each round's value is recorded, the maximum over
 *   starts). On a single output it is the Hessian's spectral norm
 *   (tested against an explicit Hessian's eigenvalues). With many outputs the alternation finds a local maximum:
 *   on the test model 98.8% of the largest single-output norm max_i ‖∇²f_i‖ (started at that output it climbs
 *   above it), and always below the upper bound √(Σ_i ‖∇²f_i‖²).</li>
 * </ul>
 * The Hessian part runs on the host in fp64 (BLAS); the forward pass and the kernel on the given backend.
 */
public final class LazyScore {
    private LazyScore() {
    }

    /**
     * How hard {@link #estimate} tries: {@link #defaults()}, then each setting by its own {@code with…} (which returns
     * new options).
     */
    public static final class Options {
        private final int rounds;
        private final int maxIterations;
        private final double tolerance;
        private final long seed;
        private final int restarts;

        private Options(int rounds, int maxIterations, double tolerance, long seed, int restarts) {
            this.rounds = rounds;
            this.maxIterations = maxIterations;
            this.tolerance = tolerance;
            this.seed = seed;
            this.restarts = restarts;
        }

        /**
         * 3 rounds, up to 30 Lanczos steps each, tolerance 1e-3, seed 7, one random restart.
         *
         * @return the defaults
         */
        public static Options defaults() {
            return new Options(3, 30, 1e-3, 7, 1);
        }

        /**
         * These options with another number of alternations between w and v.
         *
         * @param rounds the alternations, ≥ 1
         * @return new options
         * @throws InvalidInputException when rounds is below 1
         */
        public Options withRounds(int rounds) {
            if (rounds < 1) {
                throw new InvalidInputException("the lazy score needs at least one round, got " + rounds);
            }
            return new Options(rounds, maxIterations, tolerance, seed, restarts);
        }

        /**
         * These options with another limit on the Lanczos steps per round (each costs two Hessian-vector products).
         *
         * @param maxIterations the steps, ≥ 1
         * @return new options
         * @throws InvalidInputException when maxIterations is below 1
         */
        public Options withMaxIterations(int maxIterations) {
            if (maxIterations < 1) {
                throw new InvalidInputException("the lazy score needs at least one Lanczos step, got " + maxIterations);
            }
            return new Options(rounds, maxIterations, tolerance, seed, restarts);
        }

        /**
         * These options with another relative Ritz residual |β_k·y_k|/|θ| that ends a Lanczos run.
         *
         * @param tolerance the residual, positive
         * @return new options
         * @throws InvalidInputException when tolerance is not positive
         */
        public Options withTolerance(double tolerance) {
            if (!(tolerance > 0)) {
                throw new InvalidInputException("the lazy score's tolerance must be positive, got " + tolerance);
            }
            return new Options(rounds, maxIterations, tolerance, seed, restarts);
        }

        /**
         * These options with another seed of the random vectors.
         *
         * @param seed the seed
         * @return new options
         */
        public Options withSeed(long seed) {
            return new Options(rounds, maxIterations, tolerance, seed, restarts);
        }

        /**
         * These options with another number of extra starts from random w (the first start is always the residual
         * direction).
         *
         * @param restarts the extra starts, ≥ 0
         * @return new options
         * @throws InvalidInputException when restarts is negative
         */
        public Options withRestarts(int restarts) {
            if (restarts < 0) {
                throw new InvalidInputException("the lazy score's restarts must be non-negative, got " + restarts);
            }
            return new Options(rounds, maxIterations, tolerance, seed, restarts);
        }

        /**
         * The alternations between w and v.
         *
         * @return rounds, ≥ 1
         */
        public int rounds() {
            return rounds;
        }

        /**
         * The most Lanczos steps per round.
         *
         * @return the limit, ≥ 1
         */
        public int maxIterations() {
            return maxIterations;
        }

        /**
         * The relative Ritz residual that ends a Lanczos run.
         *
         * @return the tolerance, positive
         */
        public double tolerance() {
            return tolerance;
        }

        /**
         * The seed of the random vectors.
         *
         * @return the seed
         */
        public long seed() {
            return seed;
        }

        /**
         * The extra starts from random w.
         *
         * @return restarts, ≥ 0
         */
        public int restarts() {
            return restarts;
        }

        @Override
        public String toString() {
            return "LazyScore.Options[rounds=" + rounds + ", maxIterations=" + maxIterations + ", tolerance="
                    + tolerance + ", seed=" + seed + ", restarts=" + restarts + "]";
        }
    }

    /**
     * The score and its parts.
     *
     * @param residualNorm     ‖f(θ_0) − y‖
     * @param gradientNormSq   ‖∇f(θ_0)‖² = λ_max of the full NTK Gram
     * @param hessianNorm      the ‖∇²f(θ_0)‖ estimate (a lower bound, see the class notes)
     * @param score            k(θ_0)
     * @param hessianProducts  Hessian-vector products spent
     * @param roundEstimates   the estimate after each round
     */
    public record Result(double residualNorm, double gradientNormSq, double hessianNorm, double score,
                         int hessianProducts, double[] roundEstimates) {
    }

    /**
     * Estimates k(θ_0) as the class describes.
     *
     * @param ntk     the backend for the forward pass and the kernel
     * @param params  θ_0
     * @param x       the inputs, (N, d), with N·O ≤ 8192
     * @param y       the targets, (N, O)
     * @param options how hard to try
     * @return the score and its parts
     * @throws InvalidInputException when an argument is invalid or N·O is above 8192
     */
    public static Result estimate(Ntk ntk, Parameters params, Matrix x, Matrix y, Options options) {
        if (ntk == null || options == null) {
            throw new InvalidInputException("an Ntk and options must be given");
        }
        Validation.requireParameters(params);
        Validation.requireInputs(params.architecture(), x, "x");
        Validation.requireTargets(params.architecture(), x, y);
        int o = params.architecture().outputDim();
        if ((long) x.rows() * o > 8192) {
            throw new InvalidInputException("the lazy score forms the full (N·O)² kernel: N·O = " + (long) x.rows() * o
                    + " is above 8192; use a subset of the inputs");
        }
        Matrix f = ntk.forward(params, x);
        double[] r = f.data().clone();
        for (int i = 0; i < r.length; i++) {
            r[i] -= y.data()[i];
        }
        double residual = norm(r);
        double[] ev = LinearAlgebra.symmetricEigenvalues(ntk.kernelMatrix(params, x));
        double gradSq = ev[ev.length - 1];

        NetworkCurvature curv = new NetworkCurvature(params, x);
        HessianNorm h = hessianNorm(curv, residual > 0 ? scaled(r, 1 / residual) : null, x.rows(), o,
                (int) params.size(), options, options.seed());
        for (int s = 1; s <= options.restarts(); s++) {
            HessianNorm other = hessianNorm(curv, null, x.rows(), o, (int) params.size(), options, options.seed() + s);
            double[] rounds = h.rounds().clone();
            for (int i = 0; i < rounds.length; i++) {
                rounds[i] = Math.max(rounds[i], other.rounds()[i]);
            }
            h = new HessianNorm(Math.max(h.norm(), other.norm()), h.products() + other.products(), rounds);
        }
        double score = gradSq > 0 ? residual * h.norm / gradSq : Double.POSITIVE_INFINITY;
        return new Result(residual, gradSq, h.norm, score, h.products, h.rounds);
    }

    record HessianNorm(double norm, int products, double[] rounds) {
    }

    /** The alternating estimate of ‖∇²f‖ (see the class notes); w0 null starts from a random unit w. */
    static HessianNorm hessianNorm(NetworkCurvature curv, double[] w0, int n, int o, int p, Options opt, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] w = w0 != null ? w0.clone() : gaussian(rng, n * o);
        normalize(w);
        double[] v = gaussian(rng, p);
        normalize(v);
        double best = 0;
        int[] products = {0};
        double[] rounds = new double[opt.rounds()];
        for (int round = 0; round < opt.rounds(); round++) {
            Matrix wm = new Matrix(n, o, w);
            Ritz ritz = extremeEigenpair(u -> {
                products[0]++;
                return curv.hessianVectorProduct(wm, u);
            }, v, opt.maxIterations(), opt.tolerance());
            best = Math.max(best, Math.abs(ritz.value));
            if (ritz.value == 0) {
                rounds[round] = best;
                break;
            }
            double[] t = curv.secondDirectional(ritz.vector).data();
            double tn = norm(t);
            best = Math.max(best, tn);
            rounds[round] = best;
            if (tn == 0) {
                break;
            }
            w = scaled(t, 1 / tn);
            v = ritz.vector;
        }
        for (int i = 0; i < rounds.length; i++) {
            if (rounds[i] == 0) {
                rounds[i] = best;
            }
        }
        return new HessianNorm(best, products[0], rounds);
    }

    /** A Ritz pair: value and unit vector. */
    record Ritz(double value, double[] vector, int steps) {
    }

    /**
     * The eigenpair of largest |λ| of a symmetric operator by Lanczos in two passes: the first runs the three-term
     * recurrence (no stored basis, so memory stays at three P-vectors) until the Ritz residual |β_k·y_k| falls below
     * tol·|θ| or maxSteps is reached, with the tridiagonal eigenproblem solved by LAPACK {@code dstev}; the second
     * reruns the identical recurrence to assemble the Ritz vector. Ritz values lie inside the spectrum, so |θ| never
     * exceeds the true |λ|max; without reorthogonalisation the extreme Ritz values still converge (possibly
     * repeated), which is all that is used.
     */
    static Ritz extremeEigenpair(java.util.function.UnaryOperator<double[]> op, double[] start, int maxSteps, double tol) {
        int p = start.length;
        double[] alpha = new double[maxSteps];
        double[] beta = new double[maxSteps];
        double[] q = scaled(start, 1 / norm(start));
        double[] prev = new double[p];
        int k = 0;
        double[] y = null;
        double theta = 0;
        for (int j = 0; j < maxSteps; j++) {
            double[] u = op.apply(q);
            double bPrev = j == 0 ? 0 : beta[j - 1];
            double a = 0;
            for (int i = 0; i < p; i++) {
                u[i] -= bPrev * prev[i];
                a += q[i] * u[i];
            }
            for (int i = 0; i < p; i++) {
                u[i] -= a * q[i];
            }
            alpha[j] = a;
            beta[j] = norm(u);
            k = j + 1;
            double[][] ritz = tridiagonalExtreme(alpha, beta, k);
            theta = ritz[0][0];
            y = ritz[1];
            double residual = Math.abs(beta[j] * y[k - 1]);
            if (residual <= tol * Math.abs(theta) || beta[j] <= 1e-14 * Math.max(Math.abs(a), Math.abs(theta))) {
                break;
            }
            prev = q;
            q = scaled(u, 1 / beta[j]);
        }
        if (theta == 0) {
            return new Ritz(0, start.clone(), k);
        }
        // Second pass: the same recurrence, accumulating x = Σ_j y_j q_j.
        double[] x = new double[p];
        q = scaled(start, 1 / norm(start));
        prev = new double[p];
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < p; i++) {
                x[i] += y[j] * q[i];
            }
            if (j == k - 1) {
                break;
            }
            double[] u = op.apply(q);
            double bPrev = j == 0 ? 0 : beta[j - 1];
            for (int i = 0; i < p; i++) {
                u[i] -= bPrev * prev[i] + alpha[j] * q[i];
            }
            prev = q;
            q = scaled(u, 1 / beta[j]);
        }
        normalize(x);
        return new Ritz(theta, x, k);
    }

    /** {{θ}, y}: the Ritz value of largest |θ| of the k×k tridiagonal (alpha, beta) and its eigenvector. */
    private static double[][] tridiagonalExtreme(double[] alpha, double[] beta, int k) {
        double[] d = java.util.Arrays.copyOf(alpha, k);
        double[] e = java.util.Arrays.copyOf(beta, Math.max(1, k - 1));
        double[] z = new double[k * k];
        org.netlib.util.intW info = new org.netlib.util.intW(0);
        org.ntk4j.cpu.BlasSelection.current().lapack().dstev("V", k, d, e, z, k, new double[Math.max(1, 2 * k - 2)], info);
        if (info.val != 0) {
            throw new org.ntk4j.NtkException("LAPACK dstev failed on the Lanczos tridiagonal (info " + info.val + ")");
        }
        int idx = Math.abs(d[0]) >= Math.abs(d[k - 1]) ? 0 : k - 1;
        double[] y = java.util.Arrays.copyOfRange(z, idx * k, (idx + 1) * k);
        return new double[][] {{d[idx]}, y};
    }

    private static double[] gaussian(SplittableRandom rng, int len) {
        double[] g = new double[len];
        for (int i = 0; i < len; i++) {
            g[i] = rng.nextGaussian();
        }
        return g;
    }

    static double norm(double[] v) {
        double s = 0;
        for (double a : v) {
            s += a * a;
        }
        return Math.sqrt(s);
    }

    private static void normalize(double[] v) {
        double nv = norm(v);
        if (nv > 0) {
            for (int i = 0; i < v.length; i++) {
                v[i] /= nv;
            }
        }
    }

    private static double[] scaled(double[] v, double a) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = a * v[i];
        }
        return out;
    }
}
