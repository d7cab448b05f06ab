package org.ntk4j.dynamics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkMode;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Reference;

class GradientDescentTest {
    private static final Ntk REF = Reference.ntk();
    private static final Architecture ARCH = Architecture.builder(6).hidden(11, 9).output(2).sigmaW(1.4).sigmaB(0.1).build();
    private static final Matrix X = NtkCase.gaussianInputs(9, 6, 1);
    private static final Matrix Y = NtkCase.gaussianInputs(9, 2, 2);

    @Test
    void recordsMatchAnIndependentReplayOfTheSteps() {
        Parameters p0 = Parameters.init(ARCH, 5);
        double lr = 0.3;
        List<ProgressListener.Progress> seen = new ArrayList<>();
        GradientDescent.Run run = GradientDescent.train(REF, p0, X, Y,
                GradientDescent.Options.of(12).withLearningRate(LearningRate.fixed(lr))
                        .withKernel(new int[] {6, 12}, X, NtkMode.TRACE)
                        .withOutputs(new int[] {12}).withTask("t"), seen::add);
        // Replay with flat vectors: θ ← θ − η·∇L from the reference, norms by hand.
        double[] theta = p0.toFlat();
        double[] theta0 = theta.clone();
        Parameters q = Parameters.init(ARCH, 5);
        for (int t = 0; t <= 12; t++) {
            q.setFlat(theta);
            LossGradient lg = REF.mseLossGradient(q, X, Y);
            assertEquals(lg.loss(), run.loss()[t], 1e-14 * lg.loss(), "loss at step " + t);
            double num = 0;
            double den = 0;
            for (int i = 0; i < theta.length; i++) {
                num += (theta[i] - theta0[i]) * (theta[i] - theta0[i]);
                den += theta0[i] * theta0[i];
            }
            assertEquals(Math.sqrt(num / den), run.weightChange()[t], 1e-12, "weight change at step " + t);
            for (int i = 0; i < theta.length; i++) {
                theta[i] -= lr * lg.gradient()[i];
            }
        }
        // Per-layer changes combine to the total.
        for (int t = 0; t <= 12; t++) {
            double s = 0;
            for (int l = 0; l < ARCH.layers(); l++) {
                s += Math.pow(run.layerChange()[l][t] * p0.layerNorm(l), 2);
            }
            assertEquals(run.weightChange()[t], Math.sqrt(s) / p0.norm(), 1e-12);
        }
        assertEquals(0.0, run.kernelDrift()[0]);
        assertEquals(3, run.kernelSteps().length);
        Tensor k0 = REF.kernel(p0, X, NtkMode.TRACE, Implementation.AUTO);
        Tensor k12 = REF.kernel(run.finalParameters(), X, NtkMode.TRACE, Implementation.AUTO);
        assertEquals(k12.relativeDistance(k0), run.kernelDrift()[2], 1e-13);
        assertTrue(run.kernelDrift()[2] > 0);
        Compare.assertClose("final outputs", run.trainOutputs()[0], REF.forward(run.finalParameters(), X), 0);
        assertEquals(12, seen.size());
        assertEquals(12, seen.get(11).done());
        assertTrue(seen.get(0).detail().startsWith("loss"));
        assertArrayEquals(Parameters.init(ARCH, 5).toFlat(), p0.toFlat(), "the initial parameters are not modified");
    }

    @Test
    void defaultLearningRateIsHalfTheStabilityLimitAndDecreasesTheLoss() {
        Parameters p0 = Parameters.init(ARCH, 6);
        GradientDescent.Run run = GradientDescent.train(REF, p0, X, Y, GradientDescent.Options.of(30),
                ProgressListener.NONE);
        Tensor full = REF.kernel(p0, X, NtkMode.FULL, Implementation.AUTO);
        double[] ev = LinearAlgebra.symmetricEigenvalues(KernelLayout.fullToMatrix(full));
        assertEquals(0.5 * 2 * 18 / ev[ev.length - 1], run.learningRate(), 1e-12 * run.learningRate());
        for (int t = 1; t <= 30; t++) {
            assertTrue(run.loss()[t] < run.loss()[t - 1], "loss rose at step " + t);
        }
        assertTrue(run.lossReduction() > 2, "loss fell only " + run.lossReduction() + "×");
    }

    @Test
    void divergenceIsReportedWithTheLearningRate() {
        // A linear network cannot escape by saturating or killing its units, so a step far past 2n/λ_max blows up.
        Parameters p0 = Parameters.init(Architecture.builder(6).hidden(8).activation(org.ntk4j.model.Activation.IDENTITY)
                .output(2).build(), 7);
        double lr = LearningRates.safe(REF, p0, X, 0.5) * 5;
        DivergedException e = assertThrows(DivergedException.class,
                () -> GradientDescent.train(REF, p0, X, Y,
                        GradientDescent.Options.of(400).withLearningRate(LearningRate.fixed(lr)), ProgressListener.NONE));
        assertEquals(lr, e.learningRate());
        assertTrue(e.getMessage().contains("diverged") && e.getMessage().contains("learning rate"), e.getMessage());
    }

    @Test
    void optionsAreSetOneByOneAndMissingValuesAreRefusedWhereTheyAreGiven() {
        GradientDescent.Options o = GradientDescent.Options.of(5);
        assertEquals(LearningRate.automatic(), o.learningRate());
        assertTrue(o.kernelInputs().isEmpty() && o.testInputs().isEmpty(), "no tracking unless asked for");
        assertEquals(NtkMode.TRACE, o.kernelMode());
        assertEquals("train", o.task());
        GradientDescent.Options set = o.withOutputs(new int[] {5, 0, 5}, X).withKernel(new int[] {3}, X, NtkMode.FULL);
        assertArrayEquals(new int[] {0, 5}, set.outputSteps(), "sorted, without repeats");
        assertTrue(set.testInputs().orElseThrow() == X && set.kernelInputs().orElseThrow() == X);
        assertEquals(NtkMode.FULL, set.kernelMode());
        assertTrue(set.withOutputs(new int[] {1}).testInputs().isEmpty(), "outputs without test inputs");
        set.outputSteps()[0] = 4;
        assertArrayEquals(new int[] {0, 5}, set.outputSteps(), "the steps are the options' own");

        assertEquals("steps must be non-negative, got -1",
                assertThrows(InvalidInputException.class, () -> GradientDescent.Options.of(-1)).getMessage());
        assertEquals("output step 6 is outside 0..5",
                assertThrows(InvalidInputException.class, () -> o.withOutputs(new int[] {6})).getMessage());
        assertTrue(assertThrows(InvalidInputException.class, () -> o.withLearningRate(null)).getMessage()
                .startsWith("a learning rate must be given"));
        assertTrue(assertThrows(InvalidInputException.class, () -> o.withOutputs(new int[] {1}, null)).getMessage()
                .startsWith("test inputs must be given"));
        assertEquals("the kernel's inputs and mode must be given",
                assertThrows(InvalidInputException.class, () -> o.withKernel(new int[] {1}, X, null)).getMessage());
        assertEquals("a task name must be given",
                assertThrows(InvalidInputException.class, () -> o.withTask(null)).getMessage());
    }
}
