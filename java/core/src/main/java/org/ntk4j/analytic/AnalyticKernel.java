package org.ntk4j.analytic;

import java.util.stream.IntStream;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.spi.Validation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;

/**
 * The infinite-width NNGP and NTK of an {@link Architecture}'s dense MLP, in fp64, by the layer recursion of
 * DESIGN.md §1 (neural-tangents' formulas):
 *
 * <pre>
 *   Σ¹ = σ_w²·x·x'/d + σ_b²                          (σ_b² only with bias)
 *   K^l = E[φ(u)φ(v)],  K̇^l = E[φ'(u)φ'(v)],  (u, v) ~ N(0, Σ^l restricted to the pair)
 *   Σ^{l+1} = σ_w²·K^l + σ_b²
 *   ntk parameterization:       Θ¹ = Σ¹,              Θ^{l+1} = Σ^{l+1} + σ_w²·K̇^l·Θ^l
 *   standard parameterization:  Θ¹ = x·x' + 1,        Θ^{l+1} = n_l·K^l + 1 + σ_w²·K̇^l·Θ^l
 * </pre>
 *
 * (the "+ 1" terms only with bias). The standard-parameterization kernel follows from the definition: there
 * ∂z^{l+1}/∂W^l = h^l and ∂z^{l+1}/∂b^l = 1 with no σ factors, and n_l·K^l is the limit of Σ_j h_j h'_j, so it
 * grows with the widths and is evaluated at this architecture's actual n_l (for l = 0, n_0·K⁰ = x·x'). The ntk
 * parameterization's limit does not depend on the widths.
 *
 * <p>The network's outputs are independent in the limit, so the full kernel is Θ^L ⊗ I_O: {@link NtkMode#TRACE}
 * gives Θ^L (N1, N2), {@link NtkMode#DIAGONAL} gives Θ^L for every output (N1, N2, O), {@link NtkMode#FULL} gives
 * Θ^L on the diagonal of each output pair and 0 off it (N1, N2, O, O) — the layouts of {@code Ntk.kernel}. The
 * same holds for the NNGP Σ^L.
 *
 * <p>Activations: relu, erf and identity in closed form; tanh and gelu by quadrature (see {@link DualActivation}
 * for its accuracy). Symmetric kernels ({@link #compute(Matrix)}, {@link #ntk(Matrix, NtkMode)}, …) are computed on
 * one triangle and mirrored, so they are exactly symmetric. Quadrature kernels run their rows in parallel on the common pool.
 */
public final class AnalyticKernel {
    private final Architecture arch;
    private final DualActivation dual;

    private AnalyticKernel(Architecture arch, DualActivation dual) {
        this.arch = arch;
        this.dual = dual;
    }

    /**
     * The kernels of this architecture with the library's default evaluator of its activation.
     *
     * @param arch the architecture (its widths matter only in the standard parameterization)
     * @return the kernels
     */
    public static AnalyticKernel of(Architecture arch) {
        if (arch == null) {
            throw new InvalidInputException("architecture must be given");
        }
        return new AnalyticKernel(arch, DualActivation.of(arch.activation()));
    }

    /**
     * The kernels with a caller-chosen evaluator of E[φφ], E[φ'φ'] (e.g. a quadrature for a closed-form φ).
     *
     * @param arch the architecture
     * @param dual the evaluator of the activation's dual
     * @return the kernels
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
     * Σ^L and Θ^L for one output, each (N1, N2).
     *
     * @param nngp Σ^L, (N1, N2)
     * @param ntk  Θ^L, (N1, N2)
     */
    public record Kernels(Matrix nngp, Matrix ntk) {
    }

    /**
     * Σ^L(x, x) and Θ^L(x, x) per output (N, N), exactly symmetric.
     *
     * @param x the inputs, (N, d); read, not kept
     * @return new (N, N) matrices
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Kernels compute(Matrix x) {
        return compute(x, x);
    }

    /**
     * Σ^L(x1, x2) and Θ^L(x1, x2) per output (N1, N2); the same instance twice is {@link #compute(Matrix)}, exactly
     * symmetric.
     *
     * @param x1 the first inputs, (N1, d); read, not kept
     * @param x2 the second inputs, (N2, d); read, not kept
     * @return new (N1, N2) matrices
     * @throws InvalidInputException when inputs are missing, do not match the architecture or contain NaN or ∞
     */
    public Kernels compute(Matrix x1, Matrix x2) {
        if (x2 == null) {
            throw new InvalidInputException("x2 is missing (for Θ(x, x) call the one-argument form)");
        }
        Validation.requireInputs(arch, x1, "x1");
        boolean symmetric = x2 == null || x2 == x1;
        Matrix x2r = symmetric ? x1 : x2;
        if (!symmetric) {
            Validation.requireInputs(arch, x2r, "x2");
        }
        int n1 = x1.rows();
        int n2 = x2r.rows();
        int d = arch.inputDim();
        double sw2 = arch.sigmaW() * arch.sigmaW();
        double sb2 = arch.sigmaB() * arch.sigmaB(); // 0 without bias
        boolean standard = arch.parameterization() == Parameterization.STANDARD;
        double one = arch.bias() ? 1.0 : 0.0;

        double[] q1 = selfDots(x1);
        double[] q2 = symmetric ? q1 : selfDots(x2r);
        double[] dots = crossDots(x1, x2r, symmetric);
        // Layer 1: Σ¹ = σ_w² x·x'/d + σ_b²; Θ¹ = Σ¹ (ntk) or x·x' + 1 (standard).
        double[] s11 = new double[n1];
        double[] s22 = symmetric ? s11 : new double[n2];
        for (int i = 0; i < n1; i++) {
            s11[i] = sw2 * q1[i] / d + sb2;
        }
        if (!symmetric) {
            for (int j = 0; j < n2; j++) {
                s22[j] = sw2 * q2[j] / d + sb2;
            }
        }
        double[] s12 = new double[n1 * n2];
        double[] t12 = new double[n1 * n2];
        for (int k = 0; k < s12.length; k++) {
            s12[k] = sw2 * dots[k] / d + sb2;
            t12[k] = standard ? dots[k] + one : s12[k];
        }
        for (int l = 1; l < arch.layers(); l++) {
            int width = arch.width(l);
            double[] n11 = new double[n1];
            double[] n22 = symmetric ? n11 : new double[n2];
            for (int i = 0; i < n1; i++) {
                n11[i] = sw2 * dual.k(s11[i], s11[i], s11[i]) + sb2;
            }
            if (!symmetric) {
                for (int j = 0; j < n2; j++) {
                    n22[j] = sw2 * dual.k(s22[j], s22[j], s22[j]) + sb2;
                }
            }
            final double[] a11 = s11;
            final double[] a22 = s22;
            IntStream rows = IntStream.range(0, n1);
            if (!dual.closedForm()) {
                rows = rows.parallel();
            }
            rows.forEach(i -> {
                double[] out = new double[2];
                for (int j = symmetric ? i : 0; j < n2; j++) {
                    int k = i * n2 + j;
                    dual.evaluate(a11[i], a22[j], s12[k], out);
                    double next = sw2 * out[0] + sb2;
                    t12[k] = (standard ? width * out[0] + one : next) + sw2 * out[1] * t12[k];
                    s12[k] = next;
                }
            });
            if (symmetric) {
                KernelLayout.mirrorUpper(s12, 0, n1);
                KernelLayout.mirrorUpper(t12, 0, n1);
            }
            s11 = n11;
            s22 = n22;
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
        int n = x.rows();
        int d = arch.inputDim();
        double sw2 = arch.sigmaW() * arch.sigmaW();
        double sb2 = arch.sigmaB() * arch.sigmaB();
        boolean standard = arch.parameterization() == Parameterization.STANDARD;
        double one = arch.bias() ? 1.0 : 0.0;
        double[] q = selfDots(x);
        double[] s = new double[n];
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = sw2 * q[i] / d + sb2;
            t[i] = standard ? q[i] + one : s[i];
        }
        double[] out = new double[2];
        for (int l = 1; l < arch.layers(); l++) {
            int width = arch.width(l);
            for (int i = 0; i < n; i++) {
                dual.evaluate(s[i], s[i], s[i], out);
                double next = sw2 * out[0] + sb2;
                t[i] = (standard ? width * out[0] + one : next) + sw2 * out[1] * t[i];
                s[i] = next;
            }
        }
        return new Kernels(new Matrix(n, 1, s), new Matrix(n, 1, t));
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
        double[] v = x.data();
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                s += v[i * d + c] * v[i * d + c];
            }
            out[i] = s;
        }
        return out;
    }

    private static double[] crossDots(Matrix x1, Matrix x2, boolean symmetric) {
        int n1 = x1.rows();
        int n2 = x2.rows();
        int d = x1.cols();
        double[] a = x1.data();
        double[] b = x2.data();
        double[] out = new double[n1 * n2];
        for (int i = 0; i < n1; i++) {
            for (int j = symmetric ? i : 0; j < n2; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) {
                    s += a[i * d + c] * b[j * d + c];
                }
                out[i * n2 + j] = s;
            }
        }
        if (symmetric) {
            KernelLayout.mirrorUpper(out, 0, n1);
        }
        return out;
    }
}
