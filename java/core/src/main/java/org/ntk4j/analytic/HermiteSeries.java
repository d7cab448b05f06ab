package org.ntk4j.analytic;

import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.linalg.LinearAlgebra;

/**
 * K and K̇ of an activation without a closed form by Mehler's formula. With u = √q11·z1, v = √q22·z2 and
 * (z1, z2) standard normal with correlation ρ = q12/√(q11·q22),
 * <pre>
 *   K  = E[φ(u)φ(v)]   = Σ_n c_n(q11)·c_n(q22)·ρ^n,   c_n(q) = E[φ(√q·Z)·p_n(Z)]
 *   K̇ = E[φ'(u)φ'(v)] = Σ_n d_n(q11)·d_n(q22)·ρ^n,   d_n(q) = E[φ'(√q·Z)·p_n(Z)]
 * </pre>
 * (p_n: Hermite polynomials orthonormal under N(0, 1); the bivariate density over the product of its marginals is
 * Σ_n ρ^n·p_n(z1)·p_n(z2)). The coefficients depend on one input only, so they are computed once per input and layer
 * ({@link Coefficients}, all inputs of a side in one matrix product through BLAS), and each pair then costs a
 * polynomial in ρ: tens of terms for tanh at the variances of hidden layers.
 *
 * <p>Truncation with a bound, not a guess. With T(N) = Σ_{n>N} c_n² = E[φ²] − Σ_{n≤N} c_n² (E[φ²] integrated on the
 * same rule), Cauchy–Schwarz bounds what a pair drops: |Σ_{n>N} c_n c'_n ρ^n| ≤ |ρ|^{N+1}·√(T(N)·T'(N)). Each pair
 * takes the fewest terms (from a ladder of lengths) whose bound is at most {@value #TOLERANCE} of the Cauchy–Schwarz
 * scale √(E[φ(u)²]·E[φ(v)²]) — few terms at small |ρ|, all at |ρ| near 1. The coefficients decay like
 * e^{−τ√n} where τ is the half-width of the strip around the real axis in which z ↦ φ(√q·z) is analytic (tanh:
 * τ = π/(2√q)), so the order needed grows like q: about 120 terms at q = 1, 500 at q = 4, 2000 at q = 16. The
 * coefficients stop at order {@value #MAX_ORDER}; pairs whose bound is not met there (q above about 16 together with
 * |ρ| close to 1, or an activation with a kink) are integrated by the graded quadrature instead, at about 1 ms
 * each. Pairs with 1 − |ρ| ≤ {@value #DEGENERATE} are taken as exactly (anti)correlated, v = ±√(q22/q11)·u, and
 * integrated in one dimension (an error of at most 1e-13·√(q11 q22)·|K̇| relative to the scale, far below the
 * tolerance), which keeps duplicated inputs exactly consistent with the diagonal.
 */
final class HermiteSeries extends DualActivation {
    /** Series truncation bound, relative to the Cauchy–Schwarz scale. */
    static final double TOLERANCE = 1e-12;
    /** 1 − |ρ| at or below which a pair is treated as perfectly (anti)correlated. */
    static final double DEGENERATE = 1e-13;
    /**
     * Series lengths a pair may take, as the last order N: N + 1 is a multiple of 8, so that a series of one parity
     * still splits into the four chains of {@link #series}. The orders coefficients are computed to are the ladder's
     * from 127 up (then the ladder's next above what the inputs need is kept).
     */
    private static final int[] LADDER = {7, 15, 23, 31, 47, 63, 95, 127, 191, 255, 383, 511, 767, 1023, 1535, 2047};
    /** Highest Hermite order computed: the ladder's last. */
    static final int MAX_ORDER = 2047;
    private static final int FIRST_STAGE = 7;
    private static final double LOG_TOLERANCE = Math.log(TOLERANCE);
    /** Relative tails below this are rounding noise of E − Σc² and not told apart. */
    private static final double TAIL_FLOOR = 1e-16;
    /** Inputs per coefficient matrix product (bounds the F matrix to CHUNK × 2 × nodes doubles). */
    private static final int CHUNK = 512;
    /** Parities of a side's coefficients: all odd-order ones exactly 0, all even-order ones exactly 0, neither. */
    static final int EVEN = 0;
    static final int ODD = 1;
    static final int BOTH = 2;
    private static final int SERIES = 0;
    private static final int DEGENERATE_PATH = 1;
    private static final int FALLBACK = 2;

    private final ActivationFunction f;
    private final Graded reference;
    private final LongAdder seriesPairs = new LongAdder();
    private final LongAdder degeneratePairs = new LongAdder();
    private final LongAdder fallbackPairs = new LongAdder();

    HermiteSeries(ActivationFunction f) {
        this.f = f;
        this.reference = new Graded(f, DEFAULT_ORDER);
    }

    @Override
    public boolean closedForm() {
        return false;
    }

    @Override
    public void evaluate(double q11, double q22, double q12, double[] out) {
        requireCovariance(q11, q22, q12);
        Coefficients s = side(new double[] {q11, q22});
        long[] paths = new long[3];
        paths[pair(s, 0, s, 1, q12, out)]++;
        count(paths);
    }

    @Override
    Coefficients side(double[] variances) {
        return Coefficients.of(this, variances)[0];
    }

    @Override
    Side[] sides(double[] rowVariances, double[] columnVariances) {
        return Coefficients.of(this, rowVariances, columnVariances);
    }

    @Override
    void evaluateRow(Side rows, int i, Side columns, int from, int to, double[] q12, int offset, double[] k,
            double[] kDot) {
        requireOwn(rows);
        requireOwn(columns);
        Coefficients a = (Coefficients) rows;
        Coefficients b = (Coefficients) columns;
        double[] out = new double[2];
        long[] paths = new long[3];
        for (int j = from; j < to; j++) {
            paths[pair(a, i, b, j, q12[offset + j - from], out)]++;
            k[j - from] = out[0];
            kDot[j - from] = out[1];
        }
        count(paths);
    }

    @Override
    void selfTerms(Side side, int i, double[] out) {
        requireOwn(side);
        Coefficients s = (Coefficients) side;
        out[0] = s.e[i];
        out[1] = s.ed[i];
    }

    private void count(long[] paths) {
        seriesPairs.add(paths[SERIES]);
        degeneratePairs.add(paths[DEGENERATE_PATH]);
        fallbackPairs.add(paths[FALLBACK]);
    }

    /** Pairs evaluated so far by the series, as perfectly correlated, and by the graded fallback. */
    long[] pathCounts() {
        return new long[] {seriesPairs.sum(), degeneratePairs.sum(), fallbackPairs.sum()};
    }

    /** Evaluates one pair into out; returns the path taken (SERIES, DEGENERATE_PATH or FALLBACK). */
    private int pair(Coefficients a, int i, Coefficients b, int j, double q12, double[] out) {
        double qi = a.q[i];
        double qj = b.q[j];
        if (!Double.isFinite(q12)) {
            throw new InvalidInputException("not a covariance: q11 = " + qi + ", q22 = " + qj + ", q12 = " + q12);
        }
        // One variance 0 (inverse root 0): that side is the constant φ(0), independent of the other, and ρ = 0
        // gives c_0·c_0' exactly. On the diagonal ρ lands within an ulp or two of 1, inside DEGENERATE.
        double rho = Math.max(-1.0, Math.min(1.0, q12 * a.inverseRoot[i] * b.inverseRoot[j]));
        if (1 - Math.abs(rho) <= DEGENERATE) {
            degenerate(a, i, b, j, rho > 0, out);
            return DEGENERATE_PATH;
        }
        int top = Math.min(a.top, b.top);
        double logRho = Math.log(Math.abs(rho));
        int kc = ladderIndex(a.tailC, a.top, i, b.tailC, b.top, j, logRho, top);
        int kd = kc < 0 ? -1 : ladderIndex(a.tailD, a.top, i, b.tailD, b.top, j, logRho, top);
        if (kd < 0) {
            reference.evaluate(qi, qj, q12, out);
            if (!Double.isFinite(out[0]) || !Double.isFinite(out[1])) {
                throw new InvalidInputException("activation " + f.name() + ": its Gaussian expectations at q11 = " + qi
                        + ", q22 = " + qj + ", q12 = " + q12 + " are not finite");
            }
            return FALLBACK;
        }
        out[0] = series(a.c, i * a.len, b.c, j * b.len, LADDER[kc] + 1, parity(a.cParity, b.cParity), rho);
        out[1] = series(a.d, i * a.len, b.d, j * b.len, LADDER[kd] + 1, parity(a.dParity, b.dParity), rho);
        return SERIES;
    }

    /** The first ladder length whose truncation bound |ρ|^{N+1}·√(τ_i(N)·τ_j(N)) meets the tolerance, else −1. */
    private static int ladderIndex(double[] ta, int topA, int i, double[] tb, int topB, int j, double logRho, int top) {
        int ia = i * (topA + 1);
        int ib = j * (topB + 1);
        for (int k = 0; k <= top; k++) {
            if ((LADDER[k] + 1) * logRho + ta[ia + k] + tb[ib + k] <= LOG_TOLERANCE) {
                return k;
            }
        }
        return -1;
    }

    /** The parity a pair's products a_n·b_n can be nonzero at: that of either side if it has only one, else BOTH. */
    private static int parity(int a, int b) {
        return a != BOTH ? a : b;
    }

    /**
     * Σ_{n<terms} a_n·b_n·ρ^n, over all n (parity BOTH) or only the even or odd ones (the others vanish), by Horner
     * in x⁴ (x = ρ or ρ²) on four interleaved subsequences: four independent dependency chains instead of one
     * (terms is a multiple of 8).
     */
    static double series(double[] a, int ia, double[] b, int ib, int terms, int parity, double rho) {
        int stride = parity == BOTH ? 1 : 2;
        int start = parity == BOTH ? 0 : parity;
        double x = stride == 1 ? rho : rho * rho;
        double x2 = x * x;
        double x4 = x2 * x2;
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int step = 4 * stride;
        for (int n = start + terms - step; n >= start; n -= step) {
            s0 = Math.fma(s0, x4, a[ia + n] * b[ib + n]);
            s1 = Math.fma(s1, x4, a[ia + n + stride] * b[ib + n + stride]);
            s2 = Math.fma(s2, x4, a[ia + n + 2 * stride] * b[ib + n + 2 * stride]);
            s3 = Math.fma(s3, x4, a[ia + n + 3 * stride] * b[ib + n + 3 * stride]);
        }
        double sum = s0 + x * (s1 + x * (s2 + x * s3));
        return start == 1 ? rho * sum : sum;
    }

    /** v = ±√(q22/q11)·u: a one-dimensional integral (or the diagonal terms themselves when q11 = q22, ρ = 1). */
    private void degenerate(Coefficients a, int i, Coefficients b, int j, boolean positive, double[] out) {
        double qi = a.q[i];
        double qj = b.q[j];
        if (positive && qi == qj) {
            out[0] = 0.5 * (a.e[i] + b.e[j]);
            out[1] = 0.5 * (a.ed[i] + b.ed[j]);
            return;
        }
        HermiteProjection rule = HermiteProjection.of(0, Math.max(qi, qj));
        double si = Math.sqrt(qi);
        double sj = positive ? Math.sqrt(qj) : -Math.sqrt(qj);
        double k = 0;
        double kd = 0;
        for (int n = 0; n < rule.size(); n++) {
            double z = rule.nodes[n];
            double w = rule.weights[n];
            k += w * f.applyChecked(si * z) * f.applyChecked(sj * z);
            kd += w * f.derivativeChecked(si * z) * f.derivativeChecked(sj * z);
        }
        out[0] = k;
        out[1] = kd;
    }

    /**
     * The Hermite coefficients c_n(q_i), d_n(q_i) of a set of inputs up to a common order (so any two inputs' series
     * can be paired), with E[φ²], E[φ'²] and the relative tails at each ladder length. The order is the smallest of
     * the ladder's from 127 up to {@value #MAX_ORDER} at which every input's relative tails fall to the tolerance
     * (or the last).
     */
    static final class Coefficients extends Side {
        /** Coefficients stored per input (a ladder length), zero beyond the order computed. */
        final int len;
        /** Highest usable ladder index. */
        final int top;
        final double[] c;
        final double[] d;
        final double[] e;
        final double[] ed;
        /** 1/√q_i (0 where q_i = 0). */
        final double[] inverseRoot;
        /** ½·ln(max(T(N)/E, floor)) per input at each ladder length N ≤ top, for c and for d. */
        final double[] tailC;
        final double[] tailD;
        /** EVEN, ODD or BOTH: which orders of c (d) can be nonzero, from exact zeros of φ(z) ∓ φ(−z) on the rule. */
        final int cParity;
        final int dParity;

        /**
         * The coefficients of several sets of inputs (a block's rows and columns) at one common order and length,
         * so that every pair across them can use the full series: the smallest ladder order at which every input
         * of every set converges (or the last).
         */
        static Coefficients[] of(HermiteSeries owner, double[]... sets) {
            int n = 0;
            for (double[] set : sets) {
                n += Side.requireVariances(set).length;
            }
            double[] q = new double[n];
            int at = 0;
            for (double[] set : sets) {
                System.arraycopy(set, 0, q, at, set.length);
                at += set.length;
            }
            double qmax = 0;
            int argmax = 0;
            for (int i = 0; i < n; i++) {
                if (q[i] > qmax) {
                    qmax = q[i];
                    argmax = i;
                }
            }
            // The input with the largest variance needs the highest order (its coefficients decay slowest):
            // find the order on it alone, then compute all; raise the order if another input still needs more.
            int stage = FIRST_STAGE;
            if (n > 0) {
                while (stage + 1 < LADDER.length
                        && !new Projection(owner.f, new double[] {q[argmax]}, LADDER[stage], qmax).converged) {
                    stage++;
                }
            }
            Projection p = new Projection(owner.f, q, LADDER[stage], qmax);
            while (!p.converged && stage + 1 < LADDER.length) {
                stage++;
                p = new Projection(owner.f, q, LADDER[stage], qmax);
            }
            int top = stage;
            if (p.converged) {
                int needed = 0;
                for (int i = 0; i < n; i++) {
                    needed = Math.max(needed, Math.max(p.neededC[i], p.neededD[i]));
                }
                int k = 0;
                while (k < top && LADDER[k] < needed) {
                    k++;
                }
                top = k;
            }
            Coefficients[] out = new Coefficients[sets.length];
            at = 0;
            for (int s = 0; s < sets.length; s++) {
                out[s] = new Coefficients(owner, sets[s], p, at, LADDER[stage], top);
                at += sets[s].length;
            }
            return out;
        }

        /** Inputs [from, from + variances.length) of a projection at the given order, kept to the ladder's top. */
        private Coefficients(HermiteSeries owner, double[] variances, Projection p, int from, int order, int top) {
            super(owner, variances);
            int n = q.length;
            this.top = top;
            this.len = LADDER[top] + 1;
            this.c = new double[n * len];
            this.d = new double[n * len];
            this.e = new double[n];
            this.ed = new double[n];
            this.tailC = new double[n * (top + 1)];
            this.tailD = new double[n * (top + 1)];
            int cols = order + 1;
            int keep = Math.min(len, cols);
            for (int i = 0; i < n; i++) {
                int src = from + i;
                System.arraycopy(p.c, src * cols, c, i * len, keep);
                System.arraycopy(p.d, src * cols, d, i * len, keep);
                e[i] = p.e[src];
                ed[i] = p.ed[src];
                for (int k = 0; k <= top; k++) {
                    tailC[i * (top + 1) + k] = halfLogTail(p.tailsC[src * LADDER.length + k], p.e[src]);
                    tailD[i * (top + 1) + k] = halfLogTail(p.tailsD[src * LADDER.length + k], p.ed[src]);
                }
            }
            this.cParity = p.cParity;
            this.dParity = p.dParity;
            this.inverseRoot = new double[n];
            for (int i = 0; i < n; i++) {
                inverseRoot[i] = q[i] > 0 ? 1 / Math.sqrt(q[i]) : 0.0;
            }
        }

        private static double halfLogTail(double tail, double total) {
            if (total == 0) {
                return Double.NEGATIVE_INFINITY; // φ ≡ 0 on this input: every coefficient is 0
            }
            return 0.5 * Math.log(Math.max(tail / total, TAIL_FLOOR));
        }
    }

    /**
     * One computation of the coefficients of a set of inputs at one order on a {@link HermiteProjection}: for each
     * input and positive node, f±(z) = φ(√q·z) ± φ(−√q·z) (and likewise for φ'), then c_even = F+·B_even,
     * c_odd = F−·B_odd in BLAS products per chunk of inputs. An odd φ (tanh) has F+ exactly 0 and an even φ' has
     * F− exactly 0: such a block is detected by exact comparison and skipped, and the side records the parity.
     */
    private static final class Projection {
        final double[] c;
        final double[] d;
        final double[] e;
        final double[] ed;
        /**
         * tails[i·LADDER.length + k] = Σ_{n>N} c_n² at N = LADDER[k] ≤ order (all of it, including what lies beyond
         * the order), likewise for d.
         */
        final double[] tailsC;
        final double[] tailsD;
        final int[] neededC;
        final int[] neededD;
        final boolean converged;
        final int cParity;
        final int dParity;

        Projection(ActivationFunction f, double[] q, int order, double qmax) {
            int n = q.length;
            HermiteProjection rule = HermiteProjection.of(order, qmax);
            int h = rule.half();
            int cols = order + 1;
            Matrix[] basis = {new Matrix(h, rule.orders(0), rule.basis(0)),
                    new Matrix(h, rule.orders(1), rule.basis(1))};
            c = new double[n * cols];
            d = new double[n * cols];
            e = new double[n];
            ed = new double[n];
            // nonzero[block]: some entry of F+ (0), F− (1), F'+ (2), F'− (3) is not exactly 0
            boolean[] nonzero = new boolean[4];
            for (int from = 0; from < n; from += CHUNK) {
                int m = Math.min(CHUNK, n - from);
                double[][] blocks = new double[4][m * h];
                boolean[][] rowNonzero = new boolean[4][m];
                int base = from;
                IntStream rows = IntStream.range(0, m);
                if ((long) m * h > 25_000) {
                    rows = rows.parallel();
                }
                rows.forEach(r -> {
                    double s = Math.sqrt(q[base + r]);
                    double sum = 0;
                    double sumD = 0;
                    for (int k = 0; k < h; k++) {
                        double x = s * rule.nodes[h + k];
                        double vp = f.applyChecked(x);
                        double vm = f.applyChecked(-x);
                        double dp = f.derivativeChecked(x);
                        double dm = f.derivativeChecked(-x);
                        double w = rule.weights[h + k];
                        sum += w * (vp * vp + vm * vm);
                        sumD += w * (dp * dp + dm * dm);
                        int at = r * h + k;
                        blocks[0][at] = vp + vm;
                        blocks[1][at] = vp - vm;
                        blocks[2][at] = dp + dm;
                        blocks[3][at] = dp - dm;
                        rowNonzero[0][r] |= vp + vm != 0;
                        rowNonzero[1][r] |= vp - vm != 0;
                        rowNonzero[2][r] |= dp + dm != 0;
                        rowNonzero[3][r] |= dp - dm != 0;
                    }
                    e[base + r] = sum;
                    ed[base + r] = sumD;
                });
                for (int parity = 0; parity < 2; parity++) {
                    // Stack the nonzero blocks of this parity (φ's and φ''s) into one product with its basis.
                    int[] use = new int[2];
                    int used = 0;
                    for (int which : new int[] {parity, 2 + parity}) {
                        boolean any = false;
                        for (boolean v : rowNonzero[which]) {
                            any |= v;
                        }
                        if (any) {
                            nonzero[which] = true;
                            use[used++] = which;
                        }
                    }
                    if (used == 0) {
                        continue;
                    }
                    double[] stacked = used == 1 ? blocks[use[0]] : concat(blocks[use[0]], blocks[use[1]]);
                    Matrix out = Matrix.zeros(used * m, basis[parity].cols());
                    LinearAlgebra.gemm(1.0, new Matrix(used * m, h, stacked), false, basis[parity], false, 0.0, out);
                    int oc = out.cols();
                    for (int u = 0; u < used; u++) {
                        double[] target = use[u] < 2 ? c : d;
                        for (int r = 0; r < m; r++) {
                            int src = (u * m + r) * oc;
                            int dst = (base + r) * cols + parity;
                            for (int t = 0; t < oc; t++) {
                                target[dst + 2 * t] = out.data()[src + t];
                            }
                        }
                    }
                }
            }
            cParity = nonzero[0] && nonzero[1] ? BOTH : nonzero[1] ? ODD : EVEN;
            dParity = nonzero[2] && nonzero[3] ? BOTH : nonzero[3] ? ODD : EVEN;
            tailsC = new double[n * LADDER.length];
            tailsD = new double[n * LADDER.length];
            neededC = new int[n];
            neededD = new int[n];
            boolean all = true;
            for (int i = 0; i < n; i++) {
                neededC[i] = tails(c, e[i], i, cols, tailsC);
                neededD[i] = tails(d, ed[i], i, cols, tailsD);
                all &= neededC[i] <= order && neededD[i] <= order;
            }
            converged = all;
        }

        private static double[] concat(double[] a, double[] b) {
            double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }

        /**
         * Fills the tails Σ_{n>N} x_n² + (E − Σ_n x_n²)₊ at the ladder lengths (summed from the top, so small tails
         * keep their accuracy) and returns the first N whose tail is at most TOLERANCE·E, or cols if none.
         */
        private static int tails(double[] x, double total, int i, int cols, double[] tails) {
            int row = i * cols;
            double all = 0;
            for (int n = 0; n < cols; n++) {
                all += x[row + n] * x[row + n];
            }
            double suffix = Math.max(0.0, total - all);
            int needed = cols;
            int k = LADDER.length - 1;
            for (int n = cols - 1; n >= 0; n--) {
                // suffix = Σ_{m>n} x_m² + beyond
                while (k >= 0 && LADDER[k] > n) {
                    k--;
                }
                if (k >= 0 && LADDER[k] == n) {
                    tails[i * LADDER.length + k] = suffix;
                }
                if (suffix <= TOLERANCE * total) {
                    needed = n;
                }
                suffix += x[row + n] * x[row + n];
            }
            return needed;
        }
    }
}
