package org.ntk4j.dynamics;

import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.linalg.NotPositiveDefiniteException;

/**
 * The network linearised at θ_0 and trained on MSE in closed form (neural-tangents' {@code gradient_descent_mse}):
 * with n = N·O = y_train.size and t' = η·t,
 *
 * <pre>
 *   f_train(t) = f_0 + (e^{−Θ t'/n} − I)(f_0 − y)
 *   f_test(t)  = f_test,0 + Θ_test,train Θ⁻¹ (e^{−Θ t'/n} − I)(f_0 − y)
 * </pre>
 *
 * computed from one symmetric eigendecomposition Θ = V Λ Vᵀ (LAPACK {@code dsyevd}): with C = Vᵀ(f_0 − y),
 * f_train(t) = f_0 + V·diag(g(λ))·C and f_test(t) = f_test,0 + Θ_test,train·V·diag(g(λ)/λ)·C, where g(λ) =
 * e^{−λt'/n} − 1 for gradient flow or (1 − ηλ/n)^t − 1 for t discrete gradient-descent steps — the exact
 * trajectory of the linear model under the same updates the network takes (use it to compare with training). g/λ
 * is formed with expm1/log1p so small eigenvalues lose no accuracy (its λ → 0 limit is −t'/n). At t = ∞ the test
 * prediction f_test,0 − Θ_test,train Θ⁻¹ (f_0 − y) comes from a Cholesky solve ({@code dpotrf}/{@code dpotrs}).
 *
 * <p>The kernel is either a trace-mode (N, N) kernel, used as Θ ⊗ I_O (each output column evolves under the same
 * N×N kernel — exact in the infinite-width limit, an approximation for finite networks whose cross-output blocks
 * are O(width^−½)), or a full (N, N, O, O) kernel, used as the (N·O)×(N·O) matrix with row n·O + a.
 */
public final class LinearizedDynamics {

    /** Continuous gradient flow (neural-tangents' formula) or discrete gradient-descent steps. */
    public enum Flow {
        /** t is continuous time in steps of η: e^{−λη t/n}. */
        GRADIENT_FLOW,
        /** t counts gradient-descent steps: (1 − ηλ/n)^t. */
        GRADIENT_DESCENT
    }

    private final int n;          // N·O
    private final int rows;       // kernel size: N (trace) or N·O (full)
    private final int cols;       // residual columns: O (trace) or 1 (full)
    private final double lr;
    private final Flow flow;
    private final LinearAlgebra.Eigen eigen;
    private final Matrix kernel;        // rows × rows
    private final Matrix testKernel;    // testRows × rows, or null
    private final Matrix f0;            // (N, O)
    private final Matrix y;             // (N, O)
    private final Matrix f0Test;        // (Nt, O), or null
    private final Matrix coeff;         // Vᵀ·(f0 − y): rows × cols

    private LinearizedDynamics(Matrix kernel, Matrix testKernel, Matrix f0, Matrix y, Matrix f0Test,
                               LearningRate rate, Flow flow) {
        this.kernel = kernel;
        this.testKernel = testKernel;
        this.f0 = f0;
        this.y = y;
        this.f0Test = f0Test;
        this.flow = flow;
        this.n = f0.rows() * f0.cols();
        this.rows = kernel.rows();
        this.cols = n / rows;
        this.eigen = LinearAlgebra.symmetricEigen(kernel);
        this.lr = rate.resolve(eigen::max, n);
        Matrix r0 = residualAsColumns(f0, y);
        this.coeff = LinearAlgebra.multiply(eigen.vectors(), false, r0, false);
    }

    /**
     * Starts a linearised model from backend kernels: {@code trainKernel} Θ(x_train, x_train) in TRACE (N, N) or
     * FULL (N, N, O, O) layout, the initial outputs f_0 on the training inputs and the targets y. The kernel is read,
     * not kept.
     *
     * @param trainKernel Θ(x_train, x_train), (N, N) in TRACE or (N, N, O, O) in FULL mode
     * @param f0Train     f_0(x_train), (N, O); kept by reference
     * @param yTrain      the targets y, (N, O); kept by reference
     * @return a builder: automatic learning rate, gradient flow, no test inputs until told otherwise
     * @throws InvalidInputException when an argument is missing or the kernel is neither layout
     */
    public static Builder builder(Tensor trainKernel, Matrix f0Train, Matrix yTrain) {
        requireTrain(trainKernel, f0Train, yTrain);
        return new Builder(asMatrix(trainKernel, f0Train.cols()), f0Train, yTrain);
    }

    /**
     * As {@link #builder(Tensor, Matrix, Matrix)}, with the kernel as a matrix: Θ(x_train, x_train) either (N, N),
     * used as Θ ⊗ I_O, or the full kernel in matrix layout (N·O, N·O) as {@link org.ntk4j.Ntk#kernelMatrix} returns
     * it (no reordering). The matrix is kept by reference and never written: do not change it while the model is in
     * use.
     *
     * @param trainKernel Θ(x_train, x_train), (N, N) or (N·O, N·O)
     * @param f0Train     f_0(x_train), (N, O); kept by reference
     * @param yTrain      the targets y, (N, O); kept by reference
     * @return a builder: automatic learning rate, gradient flow, no test inputs until told otherwise
     * @throws InvalidInputException when an argument is missing
     */
    public static Builder builder(Matrix trainKernel, Matrix f0Train, Matrix yTrain) {
        requireTrain(trainKernel, f0Train, yTrain);
        return new Builder(trainKernel, f0Train, yTrain);
    }

    private static void requireTrain(Object trainKernel, Matrix f0Train, Matrix yTrain) {
        if (trainKernel == null || f0Train == null || yTrain == null) {
            throw new InvalidInputException("train kernel, initial outputs and targets must be given");
        }
    }

    /**
     * The optional parts of a {@link LinearizedDynamics}: the test inputs' kernel and initial outputs, the learning
     * rate (automatic unless set) and the flow (gradient flow unless set).
     */
    public static final class Builder {
        private final Matrix trainKernel;
        private final Matrix f0Train;
        private final Matrix yTrain;
        private Matrix testTrainKernel;
        private Matrix f0Test;
        private LearningRate rate = LearningRate.automatic();
        private Flow flow = Flow.GRADIENT_FLOW;

        private Builder(Matrix trainKernel, Matrix f0Train, Matrix yTrain) {
            this.trainKernel = trainKernel;
            this.f0Train = f0Train;
            this.yTrain = yTrain;
        }

        /**
         * Test inputs to predict: Θ(x_test, x_train) in the train kernel's layout, (Nt, N) or (Nt, N, O, O), read,
         * not kept; and f_0(x_test), (Nt, O), kept by reference.
         *
         * @param testTrainKernel Θ(x_test, x_train)
         * @param f0Test          f_0(x_test)
         * @return this builder
         * @throws InvalidInputException when either is missing or the kernel is neither layout
         */
        public Builder test(Tensor testTrainKernel, Matrix f0Test) {
            if (testTrainKernel == null) {
                throw new InvalidInputException("the test-train kernel must be given with the test outputs");
            }
            return test(asMatrix(testTrainKernel, f0Train.cols()), f0Test);
        }

        /**
         * As {@link #test(Tensor, Matrix)}, with the kernel as a matrix, (Nt, N) or (Nt·O, N·O) to match the train
         * kernel; kept by reference and never written.
         *
         * @param testTrainKernel Θ(x_test, x_train)
         * @param f0Test          f_0(x_test), (Nt, O); kept by reference
         * @return this builder
         * @throws InvalidInputException when either is missing
         */
        public Builder test(Matrix testTrainKernel, Matrix f0Test) {
            if (testTrainKernel == null || f0Test == null) {
                throw new InvalidInputException("test inputs need both the test-train kernel and the initial test "
                        + "outputs");
            }
            this.testTrainKernel = testTrainKernel;
            this.f0Test = f0Test;
            return this;
        }

        /**
         * The step size: {@link LearningRate#fixed} (the network's own η, so t counts its steps) or
         * {@link LearningRate#automatic} from λ_max of this kernel (the default; read the value back with
         * {@link LinearizedDynamics#learningRate()}).
         *
         * @param rate the learning rate
         * @return this builder
         * @throws InvalidInputException when rate is null
         */
        public Builder learningRate(LearningRate rate) {
            if (rate == null) {
                throw new InvalidInputException("learning rate must be given");
            }
            this.rate = rate;
            return this;
        }

        /**
         * Continuous gradient flow (the default) or discrete gradient-descent steps.
         *
         * @param flow the flow
         * @return this builder
         * @throws InvalidInputException when flow is null
         */
        public Builder flow(Flow flow) {
            if (flow == null) {
                throw new InvalidInputException("flow must be given");
            }
            this.flow = flow;
            return this;
        }

        /**
         * Checks the shapes and builds the model.
         *
         * @return the model, its eigendecomposition done
         * @throws InvalidInputException when shapes do not match
         */
        public LinearizedDynamics build() {
            int nTrain = f0Train.rows();
            int o = f0Train.cols();
            if (yTrain.rows() != nTrain || yTrain.cols() != o) {
                throw new InvalidInputException("targets (" + yTrain.rows() + ", " + yTrain.cols() + ") do not match "
                        + "the initial outputs (" + nTrain + ", " + o + ")");
            }
            boolean trace = requireKernel(trainKernel, nTrain, nTrain, o, "train kernel");
            if (testTrainKernel != null) {
                if (f0Test.cols() != o) {
                    throw new InvalidInputException("the initial test outputs have " + f0Test.cols() + " columns; "
                            + "expected " + o);
                }
                if (requireKernel(testTrainKernel, f0Test.rows(), nTrain, o, "test-train kernel") != trace) {
                    throw new InvalidInputException("the train kernel and the test-train kernel must both be "
                            + "trace-mode (N, N) kernels or both full kernels");
                }
            }
            return new LinearizedDynamics(trainKernel, testTrainKernel, f0Train, yTrain, f0Test, rate, flow);
        }
    }

    /** A trace-mode (N1, N2) kernel as is, a full (N1, N2, O, O) one in matrix layout. */
    private static Matrix asMatrix(Tensor k, int o) {
        if (k.rank() == 2) {
            return k.asMatrix();
        }
        if (k.rank() == 4 && k.dim(2) == o && k.dim(3) == o) {
            return KernelLayout.fullToMatrix(k);
        }
        throw new InvalidInputException("a kernel of shape " + java.util.Arrays.toString(k.shape()) + " is neither a "
                + "trace-mode (N1, N2) kernel nor a full (N1, N2, " + o + ", " + o + ") one");
    }

    /** Checks the shape; true for a trace-mode kernel (n1, n2), false for a full one (n1·o, n2·o). */
    private static boolean requireKernel(Matrix k, int n1, int n2, int o, String what) {
        if (k.rows() == n1 && k.cols() == n2) {
            return true;
        }
        if ((long) k.rows() == (long) n1 * o && (long) k.cols() == (long) n2 * o) {
            return false;
        }
        throw new InvalidInputException(what + " has shape (" + k.rows() + ", " + k.cols() + "); expected (" + n1
                + ", " + n2 + ") in trace mode or (" + (long) n1 * o + ", " + (long) n2 * o + ") in full mode");
    }

    /**
     * Eigenvalues of the kernel matrix, ascending.
     *
     * @return a new array, N or N·O values
     */
    public double[] eigenvalues() {
        return eigen.values().clone();
    }

    /**
     * λ_max/λ_min of the kernel matrix (infinite if not positive definite).
     *
     * @return λ_max/λ_min, or ∞
     */
    public double conditionNumber() {
        return eigen.conditionNumber();
    }

    /**
     * Whether the kernel is used as Θ ⊗ I_O (trace mode) rather than in full.
     *
     * @return true for a trace-mode kernel
     */
    public boolean traceMode() {
        return rows == f0.rows();
    }

    /**
     * The learning rate η in use (the one given, or the one chosen from λ_max).
     *
     * @return η
     */
    public double learningRate() {
        return lr;
    }

    /**
     * The flow in use.
     *
     * @return gradient flow or gradient descent
     */
    public Flow flow() {
        return flow;
    }

    /**
     * f_train at time t (steps for GRADIENT_DESCENT, time in units of η for GRADIENT_FLOW); t may be ∞.
     *
     * @param t the time: steps for GRADIENT_DESCENT, units of η for GRADIENT_FLOW; ≥ 0, may be ∞
     * @return a new (N, O) matrix
     */
    public Matrix predictTrain(double t) {
        requireTime(t);
        if (t == Double.POSITIVE_INFINITY) {
            return y.copy();
        }
        Matrix scaled = scaledCoefficients(t, false);
        Matrix delta = LinearAlgebra.multiply(eigen.vectors(), true, scaled, false);
        return plusColumns(f0, delta);
    }

    /**
     * f_test at time t; t = ∞ uses a Cholesky solve.
     *
     * @param t the time: steps for GRADIENT_DESCENT, units of η for GRADIENT_FLOW; ≥ 0, may be ∞
     * @return a new (Nt, O) matrix
     * @throws InvalidInputException when no test kernel was given
     */
    public Matrix predictTest(double t) {
        requireTime(t);
        if (testKernel == null) {
            throw new InvalidInputException("no test kernel was given");
        }
        Matrix delta;
        if (t == Double.POSITIVE_INFINITY) {
            Matrix alpha = LinearAlgebra.choleskySolve(kernel, residualAsColumns(f0, y));
            delta = LinearAlgebra.multiply(testKernel, false, alpha, false);
            negate(delta);
        } else {
            // Right to left, Θ_ts·(V·(diag(g/λ)·C)): two thin products, not the (testRows × rows × rows) Θ_ts·V.
            Matrix alpha = LinearAlgebra.multiply(eigen.vectors(), true, scaledCoefficients(t, true), false);
            delta = LinearAlgebra.multiply(testKernel, false, alpha, false);
        }
        return plusColumns(f0Test, delta);
    }

    /**
     * ½·mean((f_train(t) − y)²).
     *
     * @param t the time: steps for GRADIENT_DESCENT, units of η for GRADIENT_FLOW; ≥ 0, may be ∞
     * @return the loss of the linearised model on the training set
     */
    public double trainLoss(double t) {
        return GradientDescent.halfMeanSquaredError(predictTrain(t), y);
    }

    /**
     * NTK kernel regression, the mean prediction of the infinite ensemble trained to convergence:
     * Θ_test,train·(Θ + ridge·I)⁻¹·y by Cholesky. Kernels as in {@link #builder}; ridge ≥ 0.
     *
     * @param trainKernel     Θ(x_train, x_train), (N, N) or (N, N, O, O); read, not kept
     * @param testTrainKernel Θ(x_test, x_train) in the same mode; read, not kept
     * @param yTrain          the targets, (N, O)
     * @param ridge           added to Θ's diagonal, ≥ 0
     * @return the predictions on the test inputs, a new (Nt, O) matrix
     * @throws InvalidInputException when shapes do not match or ridge is negative
     */
    public static Matrix kernelRegression(Tensor trainKernel, Tensor testTrainKernel, Matrix yTrain, double ridge) {
        if (trainKernel == null || testTrainKernel == null || yTrain == null) {
            throw new InvalidInputException("train kernel, test-train kernel and targets must be given");
        }
        return kernelRegression(asMatrix(trainKernel, yTrain.cols()), asMatrix(testTrainKernel, yTrain.cols()), yTrain,
                ridge);
    }

    /**
     * {@link #kernelRegression(Tensor, Tensor, Matrix, double)} with the kernels as matrices, as in
     * {@link #builder(Matrix, Matrix, Matrix)}; they are read, not changed.
     *
     * @param trainKernel     Θ(x_train, x_train), (N, N) or (N·O, N·O)
     * @param testTrainKernel Θ(x_test, x_train), (Nt, N) or (Nt·O, N·O) to match
     * @param yTrain          the targets, (N, O)
     * @param ridge           added to Θ's diagonal, ≥ 0
     * @return the predictions on the test inputs, a new (Nt, O) matrix
     * @throws InvalidInputException when shapes do not match or ridge is negative
     */
    public static Matrix kernelRegression(Matrix trainKernel, Matrix testTrainKernel, Matrix yTrain, double ridge) {
        if (trainKernel == null || testTrainKernel == null || yTrain == null) {
            throw new InvalidInputException("train kernel, test-train kernel and targets must be given");
        }
        if (!(ridge >= 0) || !Double.isFinite(ridge)) {
            throw new InvalidInputException("ridge must be non-negative and finite, got " + ridge);
        }
        int nTrain = yTrain.rows();
        int o = yTrain.cols();
        boolean trace = requireKernel(trainKernel, nTrain, nTrain, o, "train kernel");
        int testRows = trace ? testTrainKernel.rows() : testTrainKernel.rows() / o;
        if (requireKernel(testTrainKernel, testRows, nTrain, o, "test-train kernel") != trace) {
            throw new InvalidInputException("the train kernel and the test-train kernel must both be trace-mode "
                    + "(N, N) kernels or both full kernels");
        }
        Matrix reg = plusDiagonal(trainKernel, ridge);
        Matrix alpha = LinearAlgebra.choleskySolve(reg, residualAsColumns(yTrain, null, reg.rows()));
        Matrix pred = LinearAlgebra.multiply(testTrainKernel, false, alpha, false);
        return new Matrix(testRows, o, pred.data());
    }

    /**
     * The covariance of f_test(t) over random initialisations — the infinite ensemble of networks linearised at
     * their initialisation and trained on MSE with this kernel (neural-tangents' {@code gradient_descent_mse_ensemble}
     * with {@code compute_cov=True}) — when the initial outputs f_0 on the train and test inputs are jointly Gaussian
     * with mean zero and covariance the NNGP K (the network's output covariance at initialisation):
     *
     * <pre>
     *   Σ(t) = K_tt + Θ_tx M K M Θ_xt − (Θ_tx M K_xt + K_tx M Θ_xt),   M = Θ⁻¹ (I − e^{−Θ t'/n})
     * </pre>
     *
     * (M from the eigendecomposition at finite t, with (1 − ηλ/n)^t for discrete steps; M = Θ⁻¹ by Cholesky at
     * t = ∞). With Θ the NTK this is the NTK ensemble's covariance; with Θ = K (only the read-out trained, or the
     * Bayesian network) it is K_tt − K_tx K⁻¹ (I − e^{−2K t'/n}) K_xt, at t = ∞ the GP posterior K_tt − K_tx K⁻¹ K_xt.
     * The prior's blocks must be in this kernel's layout: (N, N)-shaped for a trace-mode kernel (the covariance is
     * then that of each output column, the same for all), or (N·O)-shaped in full. The targets do not enter.
     *
     * @param t     the time: steps for GRADIENT_DESCENT, units of η for GRADIENT_FLOW; ≥ 0, may be ∞
     * @param prior the NNGP on train, test-train and test inputs; read, not kept
     * @return a new (Nt, Nt) matrix (trace mode) or (Nt·O, Nt·O) matrix (full), symmetric
     * @throws InvalidInputException when no test kernel was given or the prior's shapes do not fit
     * @throws NotPositiveDefiniteException at t = ∞ when the kernel is not positive definite
     */
    public Matrix predictTestCovariance(double t, PriorCovariance prior) {
        requireTime(t);
        if (testKernel == null) {
            throw new InvalidInputException("no test kernel was given");
        }
        requirePrior(prior, rows, testKernel.rows());
        Matrix mThetaXt;
        if (t == Double.POSITIVE_INFINITY) {
            mThetaXt = LinearAlgebra.choleskySolve(kernel, transpose(testKernel));
        } else {
            // M·Θ_xt = V·diag(−g(λ)/λ)·Vᵀ·Θ_xt, with Vᵀ the rows of eigen.vectors().
            Matrix b = LinearAlgebra.multiply(eigen.vectors(), false, testKernel, true);
            double[] lam = eigen.values();
            double[] bv = b.data();
            int c = b.cols();
            for (int i = 0; i < rows; i++) {
                double f = -gOverLambda(lam[i], t);
                for (int j = 0; j < c; j++) {
                    bv[i * c + j] *= f;
                }
            }
            mThetaXt = LinearAlgebra.multiply(eigen.vectors(), true, b, false);
        }
        return ensembleCovariance(mThetaXt, prior);
    }

    /**
     * The covariance that goes with {@link #kernelRegression(Matrix, Matrix, Matrix, double)}: that of the infinite
     * ensemble trained to convergence on the kernel Θ + ridge·I, with the initial outputs distributed as the NNGP K,
     *
     * <pre>
     *   Σ = K_tt + Θ_tx A⁻¹ K A⁻¹ Θ_xt − (Θ_tx A⁻¹ K_xt + K_tx A⁻¹ Θ_xt),   A = Θ + ridge·I
     * </pre>
     *
     * as {@link #predictTestCovariance} at t = ∞. Pass the NNGP itself as the kernel for the NNGP regime: at ridge 0
     * this is the GP posterior K_tt − K_tx K⁻¹ K_xt; with a ridge it stays the ensemble's covariance (smaller terms
     * subtracted, not the posterior of noisy observations). The prior's blocks are in the kernel's layout.
     *
     * @param trainKernel     Θ(x_train, x_train), (N, N) or (N·O, N·O); read, not changed
     * @param testTrainKernel Θ(x_test, x_train), (Nt, N) or (Nt·O, N·O) to match; read, not changed
     * @param prior           the NNGP blocks in the same layout; read, not kept
     * @param ridge           added to Θ's diagonal, ≥ 0
     * @return a new (Nt, Nt) or (Nt·O, Nt·O) matrix, symmetric
     * @throws InvalidInputException when shapes do not match or ridge is negative
     * @throws NotPositiveDefiniteException when Θ + ridge·I is not positive definite
     */
    public static Matrix kernelRegressionCovariance(Matrix trainKernel, Matrix testTrainKernel, PriorCovariance prior,
                                                    double ridge) {
        if (trainKernel == null || testTrainKernel == null || prior == null) {
            throw new InvalidInputException("train kernel, test-train kernel and prior covariance must be given");
        }
        if (!(ridge >= 0) || !Double.isFinite(ridge)) {
            throw new InvalidInputException("ridge must be non-negative and finite, got " + ridge);
        }
        if (trainKernel.rows() != trainKernel.cols() || testTrainKernel.cols() != trainKernel.rows()) {
            throw new InvalidInputException("train kernel (" + trainKernel.rows() + ", " + trainKernel.cols()
                    + ") and test-train kernel (" + testTrainKernel.rows() + ", " + testTrainKernel.cols()
                    + ") do not fit together");
        }
        requirePrior(prior, trainKernel.rows(), testTrainKernel.rows());
        return ensembleCovariance(LinearAlgebra.choleskySolve(plusDiagonal(trainKernel, ridge),
                transpose(testTrainKernel)), prior);
    }

    /** K_tt + (MΘ_xt)ᵀ·K·(MΘ_xt) − C − Cᵀ with C = (MΘ_xt)ᵀ·K_xt, made exactly symmetric. */
    private static Matrix ensembleCovariance(Matrix mThetaXt, PriorCovariance prior) {
        Matrix kTerm = LinearAlgebra.multiply(prior.train(), false, mThetaXt, false);
        Matrix cov = prior.test().copy();
        LinearAlgebra.gemm(1.0, mThetaXt, true, kTerm, false, 1.0, cov);
        Matrix cross = LinearAlgebra.multiply(mThetaXt, true, prior.testTrain(), true);
        int m = cov.rows();
        double[] c = cov.data();
        double[] x = cross.data();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j <= i; j++) {
                double v = 0.5 * ((c[i * m + j] + c[j * m + i]) - 2 * (x[i * m + j] + x[j * m + i]));
                c[i * m + j] = v;
                c[j * m + i] = v;
            }
        }
        return cov;
    }

    private static void requirePrior(PriorCovariance prior, int trainRows, int testRows) {
        if (prior == null) {
            throw new InvalidInputException("the prior covariance must be given");
        }
        if (prior.train().rows() != trainRows || prior.train().cols() != trainRows
                || prior.testTrain().rows() != testRows || prior.testTrain().cols() != trainRows
                || prior.test().rows() != testRows || prior.test().cols() != testRows) {
            throw new InvalidInputException("the prior covariance's blocks (" + prior.train().rows() + "×"
                    + prior.train().cols() + ", " + prior.testTrain().rows() + "×" + prior.testTrain().cols() + ", "
                    + prior.test().rows() + "×" + prior.test().cols() + ") do not match the kernel's layout ("
                    + trainRows + "×" + trainRows + ", " + testRows + "×" + trainRows + ", " + testRows + "×"
                    + testRows + ")");
        }
    }

    private static Matrix transpose(Matrix a) {
        Matrix t = Matrix.zeros(a.cols(), a.rows());
        double[] s = a.data();
        double[] d = t.data();
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < a.cols(); j++) {
                d[j * a.rows() + i] = s[i * a.cols() + j];
            }
        }
        return t;
    }

    private static Matrix plusDiagonal(Matrix a, double v) {
        Matrix reg = a.copy();
        double[] r = reg.data();
        for (int i = 0; i < reg.rows(); i++) {
            r[i * reg.cols() + i] += v;
        }
        return reg;
    }

    /** diag(g(λ)) or diag(g(λ)/λ) times the coefficients Vᵀ(f_0 − y). */
    private Matrix scaledCoefficients(double t, boolean overLambda) {
        double[] lam = eigen.values();
        Matrix out = coeff.copy();
        double[] v = out.data();
        for (int i = 0; i < rows; i++) {
            double f = overLambda ? gOverLambda(lam[i], t) : g(lam[i], t);
            for (int j = 0; j < cols; j++) {
                v[i * cols + j] *= f;
            }
        }
        return out;
    }

    /** e^{−λ η t/n} − 1, or (1 − ηλ/n)^t − 1. */
    double g(double lambda, double t) {
        double a = lr * lambda / n;
        if (flow == Flow.GRADIENT_FLOW) {
            return Math.expm1(-a * t);
        }
        double b = 1 - a;
        return b > 0 ? Math.expm1(t * Math.log1p(-a)) : Math.pow(b, t) - 1;
    }

    /** g(λ)/λ, with its λ → 0 limit −η t/n for tiny or (by rounding) negative eigenvalues. */
    double gOverLambda(double lambda, double t) {
        double limit = -lr * t / n;
        double a = lr * lambda / n;
        if (Math.abs(a * t) < 1e-300 || lambda <= 0) {
            return limit;
        }
        return g(lambda, t) / lambda;
    }

    private void requireTime(double t) {
        if (!(t >= 0)) {
            throw new InvalidInputException("time must be non-negative, got " + t);
        }
        if (flow == Flow.GRADIENT_DESCENT && Double.isFinite(t) && t != Math.rint(t)) {
            // (1 − ηλ/n)^t of a fraction t is not a step count, and NaN where ηλ/n > 1
            throw new InvalidInputException("gradient descent counts whole steps: the time must be a whole number, got "
                    + t + " (gradient flow takes any time)");
        }
    }

    /**
     * Whether gradient descent diverges at this learning rate: η above the stability limit 2n/λ_max, where the top
     * mode grows by |1 − ηλ_max/n| &gt; 1 each step (gradient flow never does).
     *
     * @return true when the discrete dynamics are unstable
     */
    public boolean diverges() {
        if (flow != Flow.GRADIENT_DESCENT) {
            return false;
        }
        for (double lambda : eigenvalues()) {
            if (Math.abs(1 - lr * lambda / n) > 1) {
                return true;
            }
        }
        return false;
    }

    /** f − y reshaped so each column is one right-hand side for the kernel: (N, O) for trace mode, (N·O, 1) full. */
    private Matrix residualAsColumns(Matrix f, Matrix target) {
        return residualAsColumns(f, target, rows);
    }

    private static Matrix residualAsColumns(Matrix f, Matrix target, int rows) {
        double[] r = f.data().clone();
        if (target != null) {
            for (int i = 0; i < r.length; i++) {
                r[i] -= target.data()[i];
            }
        }
        return new Matrix(rows, r.length / rows, r);
    }

    private static Matrix plusColumns(Matrix base, Matrix delta) {
        double[] out = base.data().clone();
        double[] d = delta.data();
        for (int i = 0; i < out.length; i++) {
            out[i] += d[i];
        }
        return new Matrix(base.rows(), base.cols(), out);
    }

    private static void negate(Matrix m) {
        double[] d = m.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = -d[i];
        }
    }
}
