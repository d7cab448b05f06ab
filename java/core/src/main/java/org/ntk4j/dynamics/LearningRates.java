package org.ntk4j.dynamics;

import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.PreparedModel;
import org.ntk4j.Tensor;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Parameters;

/**
 * Step sizes for full-batch gradient descent on L = ½·mean((f − y)²) over n = N·O entries. Linearised, one step maps
 * the residual r to (I − η·Θ/n)·r, which contracts iff η &lt; 2n/λ_max(Θ) (Θ the full (N·O)×(N·O) NTK Gram).
 */
public final class LearningRates {
    /** The default fraction of the stability limit 2n/λ_max: η = n/λ_max, which damps the top mode in one step. */
    public static final double DEFAULT_FRACTION = 0.5;

    /** Above this N·O the trace-mode kernel stands in for the full one (see {@link #largestEigenvalue}). */
    public static final int FULL_KERNEL_LIMIT = 1024;

    private LearningRates() {
    }

    /**
     * fraction·2n/λ_max(Θ) for these parameters and training inputs (λ_max per {@link #largestEigenvalue}).
     *
     * @param ntk      the backend that computes the kernel
     * @param params   the network
     * @param x        the training inputs
     * @param fraction the fraction of the stability limit, in (0, 1)
     * @return η
     */
    public static double safe(Ntk ntk, Parameters params, Matrix x, double fraction) {
        if (!(fraction > 0) || !(fraction < 1)) {
            throw new InvalidInputException("learning-rate fraction must be in (0, 1), got " + fraction);
        }
        return fromEigenvalue(largestEigenvalue(ntk, params, x), x.rows() * params.architecture().outputDim(), fraction);
    }

    /**
     * As {@link #safe(Ntk, Parameters, Matrix, double)} for a prepared model's current parameters.
     *
     * @param model    the network, on its backend
     * @param x        the training inputs
     * @param fraction the fraction of the stability limit, in (0, 1)
     * @return η
     */
    public static double safe(PreparedModel model, Matrix x, double fraction) {
        if (!(fraction > 0) || !(fraction < 1)) {
            throw new InvalidInputException("learning-rate fraction must be in (0, 1), got " + fraction);
        }
        return fromEigenvalue(largestEigenvalue(model, x), x.rows() * model.architecture().outputDim(), fraction);
    }

    /**
     * fraction·2n/λ_max.
     *
     * @param lambdaMax λ_max of the kernel, positive
     * @param n         N·O, the number of training targets
     * @param fraction  the fraction of the stability limit
     * @return η
     */
    public static double fromEigenvalue(double lambdaMax, int n, double fraction) {
        if (!(lambdaMax > 0)) {
            throw new InvalidInputException("λ_max must be positive, got " + lambdaMax);
        }
        return fraction * 2.0 * n / lambdaMax;
    }

    /**
     * λ_max of the empirical NTK Gram on x. For N·O ≤ {@value #FULL_KERNEL_LIMIT} the full (N·O)×(N·O) kernel is
     * used; above, the trace-mode (N×N) kernel: Θ ≈ Θ_trace ⊗ I_O for wide networks (the cross-output blocks are
     * O(width^−½)), so its λ_max approximates the full one's from below — the default fraction leaves room.
     * A kernel that overflowed is a {@link NonFiniteKernelException}.
     *
     * @param ntk    the backend that computes the kernel
     * @param params the network
     * @param x      the training inputs
     * @return λ_max
     * @throws NonFiniteKernelException when the kernel has a NaN or infinite value
     */
    public static double largestEigenvalue(Ntk ntk, Parameters params, Matrix x) {
        boolean full = fullKernel(params.architecture().outputDim(), x);
        return largest(ntk.kernel(params, x, full ? NtkMode.FULL : NtkMode.TRACE, Implementation.AUTO), full);
    }

    /**
     * As {@link #largestEigenvalue(Ntk, Parameters, Matrix)} for a prepared model's current parameters.
     *
     * @param model the network, on its backend
     * @param x     the training inputs
     * @return λ_max
     * @throws NonFiniteKernelException when the kernel has a NaN or infinite value
     */
    public static double largestEigenvalue(PreparedModel model, Matrix x) {
        boolean full = fullKernel(model.architecture().outputDim(), x);
        return largest(model.kernel(x, full ? NtkMode.FULL : NtkMode.TRACE, Implementation.AUTO), full);
    }

    private static boolean fullKernel(int outputs, Matrix x) {
        return (long) x.rows() * outputs <= FULL_KERNEL_LIMIT;
    }

    private static double largest(Tensor k, boolean full) {
        Matrix gram = full ? KernelLayout.fullToMatrix(k) : k.asMatrix();
        for (double v : gram.data()) {
            if (!Double.isFinite(v)) {
                throw new NonFiniteKernelException("the NTK at θ_0 (for the learning rate)");
            }
        }
        double[] ev = LinearAlgebra.symmetricEigenvalues(gram);
        return ev[ev.length - 1];
    }
}
