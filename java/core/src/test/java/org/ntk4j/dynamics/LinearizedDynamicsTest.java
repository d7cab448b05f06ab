package org.ntk4j.dynamics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.ProgressListener;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Reference;

class LinearizedDynamicsTest {
    private static final Ntk REF = Reference.ntk();
    private static final Architecture ARCH = Architecture.builder(5).hidden(13).activation(Activation.TANH).output(3)
            .sigmaW(1.3).sigmaB(0.2).build();
    private static final Parameters P = Parameters.init(ARCH, 3);
    private static final Matrix X = NtkCase.gaussianInputs(7, 5, 1);
    private static final Matrix XT = NtkCase.gaussianInputs(4, 5, 2);
    private static final Matrix Y = NtkCase.gaussianInputs(7, 3, 3);

    /** Explicit Euler steps of the linear model: f ← f − (η/n)·Θ·(f − y), f_t ← f_t − (η/n)·Θ_ts·(f − y). */
    private static Matrix[] euler(Matrix k, Matrix kts, Matrix f0, Matrix ft0, Matrix y, double lr, int steps) {
        int n = f0.rows() * f0.cols();
        int rows = k.rows();
        Matrix f = new Matrix(rows, n / rows, f0.data().clone());
        Matrix ft = new Matrix(kts.rows(), n / rows, ft0.data().clone());
        Matrix yc = new Matrix(rows, n / rows, y.data());
        for (int s = 0; s < steps; s++) {
            Matrix r = f.copy();
            for (int i = 0; i < r.data().length; i++) {
                r.data()[i] -= yc.data()[i];
            }
            LinearAlgebra.gemm(-lr / n, k, false, r, false, 1.0, f);
            LinearAlgebra.gemm(-lr / n, kts, false, r, false, 1.0, ft);
        }
        return new Matrix[] {new Matrix(f0.rows(), f0.cols(), f.data()), new Matrix(ft0.rows(), ft0.cols(), ft.data())};
    }

    private static Matrix asMatrix(Tensor k) {
        return k.rank() == 2 ? k.asMatrix() : KernelLayout.fullToMatrix(k);
    }

    @Test
    void discreteStepsMatchExplicitEulerStepsOfTheLinearModel() {
        for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.FULL}) {
            Tensor k = REF.kernel(P, X, mode, Implementation.AUTO);
            Tensor kts = REF.kernel(P, XT, X, mode, Implementation.AUTO);
            Matrix f0 = REF.forward(P, X);
            Matrix ft0 = REF.forward(P, XT);
            double[] ev = LinearAlgebra.symmetricEigenvalues(asMatrix(k));
            double lr = LearningRates.fromEigenvalue(ev[ev.length - 1], 21, 0.4);
            LinearizedDynamics lin = LinearizedDynamics.builder(k, f0, Y)
                    .test(kts, ft0)
                    .learningRate(LearningRate.fixed(lr))
                    .flow(LinearizedDynamics.Flow.GRADIENT_DESCENT)
                    .build();
            for (int steps : new int[] {0, 1, 5, 40}) {
                Matrix[] e = euler(asMatrix(k), asMatrix(kts), f0, ft0, Y, lr, steps);
                Compare.assertClose(mode + " train at step " + steps, lin.predictTrain(steps), e[0], 1e-11);
                Compare.assertClose(mode + " test at step " + steps, lin.predictTest(steps), e[1], 1e-11);
            }
        }
    }

    @Test
    void gradientFlowIsTheSmallStepLimitAndConvergesToTheCholeskySolution() {
        Tensor k = REF.kernel(P, X, NtkMode.TRACE, Implementation.AUTO);
        Tensor kts = REF.kernel(P, XT, X, NtkMode.TRACE, Implementation.AUTO);
        Matrix f0 = REF.forward(P, X);
        Matrix ft0 = REF.forward(P, XT);
        double lr = 0.7;
        LinearizedDynamics flow = LinearizedDynamics.builder(k, f0, Y)
                .test(kts, ft0)
                .learningRate(LearningRate.fixed(lr))
                .build();
        // Flow time T (units of η) = 1000 Euler steps of η/1000: first-order agreement, error ~ 1e-3 of the change.
        int sub = 1000;
        double t = 3;
        Matrix[] e = euler(k.asMatrix(), kts.asMatrix(), f0, ft0, Y, lr / sub, (int) (t * sub));
        Matrix flowTrain = flow.predictTrain(t);
        double change = Compare.relativeError(flowTrain.data(), f0.data());
        double err = Compare.relativeError(flowTrain.data(), e[0].data());
        assertTrue(err < 1e-3 * Math.max(change, 1e-3), "flow vs fine Euler: " + err + " (change " + change + ")");
        Compare.assertClose("flow vs fine Euler (test)", flow.predictTest(t), e[1], 1e-3);
        // t = ∞: train outputs are the targets; the test limit (Cholesky) is where the eigen formula heads.
        Compare.assertClose("train at ∞", flow.predictTrain(Double.POSITIVE_INFINITY), Y, 0);
        double slowest = flow.eigenvalues()[0];
        double tLong = 60 * 21 / (lr * slowest);
        Compare.assertClose("test at ∞ vs long time", flow.predictTest(Double.POSITIVE_INFINITY), flow.predictTest(tLong), 1e-10);
        Compare.assertClose("train at long time", flow.predictTrain(tLong), Y, 1e-10);
        assertTrue(flow.conditionNumber() >= 1 && flow.trainLoss(tLong) < 1e-20);
    }

    @Test
    void kernelRegressionSolvesTheRidgeSystem() {
        Tensor k = REF.kernel(P, X, NtkMode.FULL, Implementation.AUTO);
        Tensor kts = REF.kernel(P, XT, X, NtkMode.FULL, Implementation.AUTO);
        Matrix pred = LinearizedDynamics.kernelRegression(k, kts, Y, 0.1);
        // Independent: α from the eigendecomposition, α = V (Λ + 0.1)⁻¹ Vᵀ y.
        Matrix km = KernelLayout.fullToMatrix(k);
        LinearAlgebra.Eigen e = LinearAlgebra.symmetricEigen(km);
        Matrix yc = new Matrix(21, 1, Y.data());
        Matrix c = LinearAlgebra.multiply(e.vectors(), false, yc, false);
        for (int i = 0; i < 21; i++) {
            c.set(i, 0, c.get(i, 0) / (e.values()[i] + 0.1));
        }
        Matrix alpha = LinearAlgebra.multiply(e.vectors(), true, c, false);
        Matrix expected = LinearAlgebra.multiply(KernelLayout.fullToMatrix(kts), false, alpha, false);
        Compare.assertClose("kernel regression", pred.data(), expected.data(), 1e-10);
    }

    @Test
    void gradientDescentTakesWholeStepsAndSaysWhenItDiverges() {
        double safe = LearningRates.safe(REF, P, X, 0.5);
        LinearizedDynamics gd = dynamics(safe, LinearizedDynamics.Flow.GRADIENT_DESCENT);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> gd.predictTest(0.5));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
        assertFalse(gd.diverges());
        assertTrue(dynamics(safe * 5, LinearizedDynamics.Flow.GRADIENT_DESCENT).diverges(),
                "η at 2.5× the stability limit");
        LinearizedDynamics flow = dynamics(safe * 5, LinearizedDynamics.Flow.GRADIENT_FLOW);
        assertFalse(flow.diverges());
        assertTrue(Double.isFinite(flow.predictTest(0.5).data()[0]), "gradient flow takes any time");
    }

    /** The linearised dynamics of P on X (full kernel) at learning rate {@code lr}. */
    private static LinearizedDynamics dynamics(double lr, LinearizedDynamics.Flow flow) {
        return LinearizedDynamics.builder(REF.kernel(P, X, NtkMode.FULL, Implementation.AUTO), REF.forward(P, X), Y)
                .test(REF.kernel(P, XT, X, NtkMode.FULL, Implementation.AUTO), REF.forward(P, XT))
                .learningRate(LearningRate.fixed(lr)).flow(flow).build();
    }

    @Test
    void aLinearNetworkTrainsExactlyAsItsLinearization() {
        // One dense layer: f is linear in θ, so the trained network and the GD formula agree to rounding.
        Architecture lin = Architecture.builder(5).output(3).sigmaB(0.5).build();
        Parameters p = Parameters.init(lin, 9);
        Tensor k = REF.kernel(p, X, NtkMode.FULL, Implementation.AUTO);
        Tensor kts = REF.kernel(p, XT, X, NtkMode.FULL, Implementation.AUTO);
        double lr = LearningRates.safe(REF, p, X, 0.5);
        GradientDescent.Run run = GradientDescent.train(REF, p, X, Y,
                GradientDescent.Options.of(25).withLearningRate(LearningRate.fixed(lr))
                        .withOutputs(new int[] {0, 10, 25}, XT), ProgressListener.NONE);
        LinearizedDynamics ld = LinearizedDynamics.builder(k, REF.forward(p, X), Y)
                .test(kts, REF.forward(p, XT))
                .learningRate(LearningRate.fixed(lr))
                .flow(LinearizedDynamics.Flow.GRADIENT_DESCENT)
                .build();
        for (int i = 0; i < 3; i++) {
            int s = run.outputSteps()[i];
            Compare.assertClose("train at " + s, run.trainOutputs()[i], ld.predictTrain(s), 1e-11);
            Compare.assertClose("test at " + s, run.testOutputs()[i], ld.predictTest(s), 1e-11);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        Tensor k = REF.kernel(P, X, NtkMode.TRACE, Implementation.AUTO);
        Matrix f0 = REF.forward(P, X);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> LinearizedDynamics.builder(k, f0, Y.rowRange(0, 6))
                        .learningRate(LearningRate.fixed(0.1))
                        .build());
        assertTrue(e.getMessage().contains("targets"), e.getMessage());
        assertThrows(InvalidInputException.class,
                () -> LinearizedDynamics.builder(k, f0, Y).learningRate(LearningRate.fixed(-1)).build());
        LinearizedDynamics ok = LinearizedDynamics.builder(k, f0, Y).learningRate(LearningRate.fixed(0.1)).build();
        assertThrows(InvalidInputException.class, () -> ok.predictTest(1));
        assertThrows(InvalidInputException.class, () -> ok.predictTrain(-1));
    }

    @Test
    void automaticLearningRateIsTheAskedFractionOfTheStabilityLimit() {
        Tensor k = REF.kernel(P, X, NtkMode.FULL, Implementation.AUTO);
        Matrix f0 = REF.forward(P, X);
        double[] ev = LinearAlgebra.symmetricEigenvalues(asMatrix(k));
        int n = Y.rows() * Y.cols();
        LinearizedDynamics byDefault = LinearizedDynamics.builder(k, f0, Y).build();
        assertEquals(LearningRates.DEFAULT_FRACTION * 2 * n / ev[ev.length - 1], byDefault.learningRate(),
                1e-12 * byDefault.learningRate());
        assertEquals(LinearizedDynamics.Flow.GRADIENT_FLOW, byDefault.flow());
        LinearizedDynamics asked = LinearizedDynamics.builder(k, f0, Y).learningRate(LearningRate.automatic(0.2))
                .build();
        assertEquals(0.2 * 2 * n / ev[ev.length - 1], asked.learningRate(), 1e-12 * asked.learningRate());
        assertThrows(InvalidInputException.class, () -> LearningRate.automatic(1));
        assertThrows(InvalidInputException.class, () -> LearningRate.fixed(Double.NaN));
    }

    @Test
    void rejectsIncompleteOrMismatchedTestInputs() {
        Tensor k = REF.kernel(P, X, NtkMode.TRACE, Implementation.AUTO);
        Tensor kFullTest = REF.kernel(P, XT, X, NtkMode.FULL, Implementation.AUTO);
        Matrix f0 = REF.forward(P, X);
        Matrix ft0 = REF.forward(P, XT);
        assertThrows(InvalidInputException.class, () -> LinearizedDynamics.builder(k, f0, Y).test((Tensor) null, ft0));
        assertThrows(InvalidInputException.class,
                () -> LinearizedDynamics.builder(k, f0, Y).test(REF.kernel(P, XT, X, NtkMode.TRACE,
                        Implementation.AUTO), null));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> LinearizedDynamics.builder(k, f0, Y).test(kFullTest, ft0).build());
        assertTrue(e.getMessage().contains("both"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> LinearizedDynamics.builder((Tensor) null, f0, Y));
    }
}
