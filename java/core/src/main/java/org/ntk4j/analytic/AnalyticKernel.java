package org.ntk4j.analytic;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelFunction;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.internal.KernelArrays;
import org.ntk4j.spi.Validation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;

/**
 * The infinite-width NNGP and NTK of an {@link Architecture}, in fp64, as neural-tangents computes them: each layer
 * of the sequence maps the covariance Σ and the NTK Θ of the value flowing through the network (a dense layer with
 * its own σ_w, σ_b; an activation by its dual, on the output of a dense layer, where the value is Gaussian). For an
 * MLP this is the recursion
 *
 * <pre>
 *   Σ¹ = σ_w²·x·x'/d + σ_b²                          (σ_b² only with bias)
 *   K^l = E[φ(u)φ(v)],  K̇^l = E[φ'(u)φ'(v)],  (u, v) ~ N(0, Σ^l restricted to the pair)
 *   Σ^{l+1} = σ_w²·K^l + σ_b²
 *   ntk parameterization:       Θ¹ = Σ¹,              Θ^{l+1} = Σ^{l+1} + σ_w²·K̇^l·Θ^l
 *   standard parameterization:  Θ¹ = x·x' + 1,        Θ^{l+1} = n_l·K^l + 1 + σ_w²·K̇^l·Θ^l
 * </pre>
 *
 * (the "+ 1" terms only with bias; σ_w, σ_b those of each dense layer). The standard-parameterization kernel follows from the definition: there
 * ∂z^{l+1}/∂W^l = h^l and ∂z^{l+1}/∂b^l = 1 with no σ factors, and n_l·K^l is the limit of Σ_j h_j h'_j, so it
 * grows with the widths and is evaluated at this architecture's actual n_l (for l = 0, n_0·K⁰ = x·x'). The ntk
 * parameterization's limit does not depend on the widths.
 *
 * <p>The network's outputs are independent in the limit, so the full kernel is Θ^L ⊗ I_O: {@link NtkMode#TRACE}
 * gives Θ^L (N1, N2), {@link NtkMode#DIAGONAL} gives Θ^L for every output (N1, N2, O), {@link NtkMode#FULL} gives
 * Θ^L on the diagonal of each output pair and 0 off it (N1, N2, O, O) — the layouts of {@code Ntk.kernel}. The
 * same holds for the NNGP Σ^L.
 *
 * <p>Activations: relu, erf, identity and gelu in closed form; tanh and caller-supplied activations by a Hermite
 * series with per-input coefficients (see {@link DualActivation} for the accuracy). Symmetric kernels (x2 null) are
 * computed on one triangle and mirrored, so they are exactly symmetric. Rows run in parallel on the common pool.
 * {@link #of(Architecture, DualActivation)} replaces the architecture's activation by any evaluator, e.g. a caller's
 * φ ({@link DualActivation#numerical(java.util.function.DoubleUnaryOperator, java.util.function.DoubleUnaryOperator)})
 * or the graded reference quadrature.
 */
public final class AnalyticKernel {
    /** Pairs × relative cost below which a layer runs on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1L << 15;
    /** Largest block of pairs: a Java array holds at most about 2³¹ entries. */
    private static final long MAX_BLOCK = Integer.MAX_VALUE - 8;
    private final Architecture arch;
    /** The map of every layer of the sequence, first applied first. */
    private final AnalyticLayer[] layers;

    private AnalyticKernel(Architecture arch, DualActivation dual) {
        this.arch = arch;
        this.layers = new AnalyticLayer[arch.sequence().size()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = AnalyticLayer.of(arch, i, dual);
        }
    }

    /**
     * The kernels of this architecture with the library's default evaluator of each activation.
     *
     * @param arch the architecture (its widths matter only in the standard parameterization)
     * @return the kernels
     * @throws org.ntk4j.model.UnsupportedLayerException naming an activation that does not follow a dense layer
     *                                                   (its input is not Gaussian in the limit), or a convolution,
     *                                                   pooling or flatten layer
     */
    public static AnalyticKernel of(Architecture arch) {
        if (arch == null) {
            throw new InvalidInputException("architecture must be given");
        }
        return new AnalyticKernel(arch, null);
    }

    /**
     * The kernels with a caller-chosen evaluator of E[φφ], E[φ'φ'] (e.g. a quadrature for a closed-form φ), used
     * for every activation layer of the sequence.
     *
     * @param arch the architecture
     * @param dual the evaluator of the activation's dual
     * @return the kernels
     * @throws org.ntk4j.model.UnsupportedLayerException naming an activation that does not follow a dense layer,
     *                                                   or a convolution, pooling or flatten layer
     */
    public static AnalyticKernel of(Architecture arch, DualActivation dual) {
        if (arch == null || dual == null) {
            throw new InvalidInputException("architecture and activation evaluator must be given");
        }
        return new AnalyticKernel(arch, dual);
    }

    /**
     * The architecture these kernels belong to.
     *
     * @return the architecture
     */
    public Architecture architecture() {
        return arch;
    }

    /**
     * The infinite-width NTK Θ^L ⊗ I_O or NNGP Σ^L ⊗ I_O as a {@link KernelFunction}: its {@code kernel} calls are
     * {@link #ntk(Matrix, Matrix, NtkMode)} or {@link #nngp(Matrix, Matrix, NtkMode)}, in fp64.
     *
     * @param kind the NTK or the NNGP
     * @return the kernel function
     * @throws InvalidInputException when the kind is missing
     */
    public KernelFunction kernelFunction(KernelKind kind) {
        if (kind == null) {
            throw new InvalidInputException("kernel kind must be given");
        }
        return KernelFunction.of(kind, arch.inputDim(), arch.outputDim(), "infinite-width " + kind.name() + " of "
                + arch.spec() + ", fp64", (x1, x2, mode) -> kind == KernelKind.NTK ? ntk(x1, x2, mode)
                        : nngp(x1, x2, mode));
    }

    /**
     * Σ^L and Θ^L for one output, each (N1, N2).
     *
     * @param nngp Σ^L, (N1, N2)
     * @param ntk  Θ^L, (N1, N2)
     */
    public record Kernels(Matrix nngp, Matrix ntk) {
    }

    /**
     * Σ^L(x, x) and Θ^L(x, x) per output (N, N), exactly symmetric (one triangle computed, then mirrored).
     *
     * @param x the inputs, (N, d); read, not kept
     * @return new (N, N) matrices
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Kernels compute(Matrix x) {
        return compute(x, x);
    }

    /**
     * Σ^L(x1, x2) and Θ^L(x1, x2) per output (N1, N2); the same instance twice is {@link #compute(Matrix)}. Any block
     * of a larger kernel is just this on row ranges, Θ(X1[i0:i1], X2[j0:j1]): each layer first computes what the
     * activation needs about every row and column once (the variances Σ(x, x) and, for
     * the series, the Hermite coefficients), then the pairs, in row blocks of equal work on the common fork-join pool.
     *
     * @param x1 the first inputs, (N1, d); read, not kept
     * @param x2 the second inputs, (N2, d); read, not kept
     * @return new (N1, N2) matrices
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞, or
     *                               when N1·N2 exceeds one array
     */
    public Kernels compute(Matrix x1, Matrix x2) {
        if (x2 == null) {
            throw new InvalidInputException("x2 is missing (for Θ(x, x) call the one-argument form)");
        }
        boolean symmetric = x2 == x1;
        Validation.requireInputs(arch, x1, symmetric ? "x" : "x1");
        Matrix x2r = x2;
        if (!symmetric) {
            Validation.requireInputs(arch, x2r, "x2");
        }
        int n1 = x1.rows();
        int n2 = x2r.rows();
        int d = arch.inputDim();
        if ((long) n1 * n2 > MAX_BLOCK) {
            throw new InvalidInputException("a " + n1 + "×" + n2 + " kernel does not fit one array (at most "
                    + MAX_BLOCK + " pairs): compute it in blocks of rows, compute(x1[i0:i1], x2[j0:j1])");
        }
        KernelState state = new KernelState(n1, n2, symmetric);
        state.s11 = selfDots(x1);
        state.s22 = symmetric ? state.s11 : selfDots(x2r);
        double[] dots = new double[n1 * n2];
        double[] a = x1.data();
        double[] b = x2r.data();
        forEachRowBlock(n1, n2, symmetric, d, (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int j = symmetric ? i : 0; j < n2; j++) {
                    dots[i * n2 + j] = dot(a, i * d, b, j * d, d);
                }
            }
        });
        state.k = dots;
        for (AnalyticLayer layer : layers) {
            layer.pairs(state);
        }
        double[] t12 = state.ntk();
        double[] s12 = state.k;
        if (symmetric) {
            mirror(s12, n1);
            mirror(t12, n1);
        }
        return new Kernels(new Matrix(n1, n2, s12), new Matrix(n1, n2, t12));
    }

    /**
     * Σ^L(x, x) and Θ^L(x, x) for each row of x, as (N, 1) matrices.
     *
     * @param x the inputs, (N, d); read, not kept
     * @return new (N, 1) matrices
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Kernels computeDiagonal(Matrix x) {
        Validation.requireInputs(arch, x, "x");
        KernelState state = new KernelState(x.rows(), 1, false);
        state.k = selfDots(x);
        for (AnalyticLayer layer : layers) {
            layer.diagonal(state);
        }
        double[] t = state.ntk();
        return new Kernels(new Matrix(x.rows(), 1, state.k), new Matrix(x.rows(), 1, t));
    }

    /** A body over the rows [from, to) of a kernel block. */
    @FunctionalInterface
    interface RowBlock {
        void run(int from, int to);
    }

    /**
     * Runs body over row blocks of about equal work (a symmetric kernel's row i has n − i pairs) on the common
     * fork-join pool; inline when the whole is small. {@code costPerPair}: relative cost, to decide that.
     */
    static void forEachRowBlock(int n1, int n2, boolean triangle, int costPerPair, RowBlock body) {
        long pairs = triangle ? (long) n1 * (n1 + 1) / 2 : (long) n1 * n2;
        // A parallel stream runs on the common pool's workers and the calling thread.
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        if (threads <= 1 || n1 < 2 || pairs * costPerPair < PARALLEL_THRESHOLD) {
            body.run(0, n1);
            return;
        }
        int blocks = (int) Math.min(n1, 8L * threads);
        int[] bounds = new int[blocks + 1];
        long done = 0;
        int b = 1;
        for (int i = 0; i < n1 && b < blocks; i++) {
            done += triangle ? n1 - i : n2;
            if (done * blocks >= pairs * b) {
                bounds[b++] = i + 1;
            }
        }
        while (b <= blocks) {
            bounds[b++] = n1;
        }
        IntStream.range(0, blocks).parallel().forEach(k -> {
            if (bounds[k] < bounds[k + 1]) {
                body.run(bounds[k], bounds[k + 1]);
            }
        });
    }

    /**
     * The infinite-width NTK Θ^L(x, x) ⊗ I_O in the layout of {@code mode}, exactly symmetric.
     *
     * @param x the inputs, (N, d); read, not kept
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Tensor ntk(Matrix x, NtkMode mode) {
        return ntk(x, x, mode);
    }

    /**
     * The infinite-width NTK Θ^L(x1, x2) ⊗ I_O in the layout of {@code mode}.
     *
     * @param x1 the first inputs, (N1, d); read, not kept
     * @param x2 the second inputs, (N2, d); read, not kept
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Tensor ntk(Matrix x1, Matrix x2, NtkMode mode) {
        return expand(compute(x1, x2).ntk(), arch.outputDim(), mode);
    }

    /**
     * The NNGP Σ^L(x, x) ⊗ I_O in the layout of {@code mode}, exactly symmetric.
     *
     * @param x the inputs, (N, d); read, not kept
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Tensor nngp(Matrix x, NtkMode mode) {
        return nngp(x, x, mode);
    }

    /**
     * The NNGP Σ^L(x1, x2) ⊗ I_O in the layout of {@code mode}.
     *
     * @param x1 the first inputs, (N1, d); read, not kept
     * @param x2 the second inputs, (N2, d); read, not kept
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Tensor nngp(Matrix x1, Matrix x2, NtkMode mode) {
        return expand(compute(x1, x2).nngp(), arch.outputDim(), mode);
    }

    /**
     * Θ^L(x, x) ⊗ I_O per example: shape (N) for TRACE, (N, O) for DIAGONAL, (N, O, O) for FULL.
     *
     * @param x the inputs, (N, d); read, not kept
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Tensor ntkDiagonal(Matrix x, NtkMode mode) {
        return expandDiagonal(computeDiagonal(x).ntk(), arch.outputDim(), mode);
    }

    /**
     * Σ^L(x, x) ⊗ I_O per example, laid out as {@link #ntkDiagonal}.
     *
     * @param x the inputs, (N, d); read, not kept
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Tensor nngpDiagonal(Matrix x, NtkMode mode) {
        return expandDiagonal(computeDiagonal(x).nngp(), arch.outputDim(), mode);
    }

    /**
     * A per-output kernel k (N1, N2) as k ⊗ I_O in a mode's layout: TRACE → k itself (N1, N2), DIAGONAL → k for
     * each output (N1, N2, O), FULL → k·δ_ab (N1, N2, O, O).
     *
     * @param k       the per-output kernel, (N1, N2); read, not kept
     * @param outputs O, ≥ 1
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     */
    public static Tensor expand(Matrix k, int outputs, NtkMode mode) {
        if (mode == null) {
            throw new InvalidInputException("mode must be given");
        }
        if (outputs < 1) {
            throw new InvalidInputException("output dimension must be at least 1, got " + outputs);
        }
        int pairs = k.rows() * k.cols();
        Tensor t = Tensor.zeros(mode.shape(k.rows(), k.cols(), outputs));
        fill(k.data(), pairs, outputs, mode, t.data());
        return t;
    }

    /**
     * Per-example values (N, 1) as (N), (N, O) or (N, O, O) for TRACE, DIAGONAL, FULL.
     *
     * @param k       the per-example values, (N, 1); read, not kept
     * @param outputs O, ≥ 1
     * @param mode which values: (·, ·, O, O), (·, ·) or (·, ·, O)
     * @return a new tensor
     */
    public static Tensor expandDiagonal(Matrix k, int outputs, NtkMode mode) {
        if (k.cols() != 1) {
            throw new InvalidInputException("expected an (N, 1) column of diagonal values, got (" + k.rows() + ", "
                    + k.cols() + ")");
        }
        int n = k.rows();
        int[] shape = switch (mode) {
            case TRACE -> new int[] {n};
            case DIAGONAL -> new int[] {n, outputs};
            case FULL -> new int[] {n, outputs, outputs};
        };
        Tensor t = Tensor.zeros(shape);
        fill(k.data(), n, outputs, mode, t.data());
        return t;
    }

    private static void fill(double[] k, int pairs, int o, NtkMode mode, double[] out) {
        for (int p = 0; p < pairs; p++) {
            double v = k[p];
            switch (mode) {
                case TRACE -> out[p] = v;
                case DIAGONAL -> java.util.Arrays.fill(out, p * o, (p + 1) * o, v);
                case FULL -> {
                    for (int a = 0; a < o; a++) {
                        out[(p * o + a) * o + a] = v;
                    }
                }
            }
        }
    }

    private static double[] selfDots(Matrix x) {
        int n = x.rows();
        int d = x.cols();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = dot(x.data(), i * d, x.data(), i * d, d);
        }
        return out;
    }

    /**
     * x·x' in one fixed summation order, used for self and cross products alike: a pair's value then does not depend
     * on the block it is computed in, and a duplicated input has correlation exactly 1 (relu's arccos turns an ulp
     * in ρ near 1 into 1e-8 in the angle).
     */
    private static double dot(double[] a, int ia, double[] b, int ib, int d) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int c = 0;
        for (; c + 4 <= d; c += 4) {
            s0 += a[ia + c] * b[ib + c];
            s1 += a[ia + c + 1] * b[ib + c + 1];
            s2 += a[ia + c + 2] * b[ib + c + 2];
            s3 += a[ia + c + 3] * b[ib + c + 3];
        }
        for (; c < d; c++) {
            s0 += a[ia + c] * b[ib + c];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Copies the upper triangle of an n×n row-major matrix to the lower, in bands of rows, in parallel. */
    private static void mirror(double[] m, int n) {
        int band = 64;
        IntStream bands = IntStream.range(0, (n + band - 1) / band);
        if ((long) n * n > 1 << 18) {
            bands = bands.parallel();
        }
        bands.forEach(b -> KernelArrays.mirrorUpperRows(m, 0, n, b * band, Math.min(n, (b + 1) * band)));
    }
}
