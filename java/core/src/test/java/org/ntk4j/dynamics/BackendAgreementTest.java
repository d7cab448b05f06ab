package org.ntk4j.dynamics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.ntk4j.ProgressListener;
import org.ntk4j.BackendInfo;
import org.ntk4j.Ntk;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Reference;
import org.ntk4j.testing.Tolerances;

/** The dynamics run on every available backend and agree with the fp64 reference. */
class BackendAgreementTest {
    private static final Architecture ARCH = Architecture.builder(7).hidden(23, 17).output(3).sigmaW(1.3).sigmaB(0.2).build();
    private static final Matrix X = NtkCase.gaussianInputs(11, 7, 1);
    private static final Matrix XT = NtkCase.gaussianInputs(5, 7, 2);
    private static final Matrix Y = NtkCase.gaussianInputs(11, 3, 3);

    @Test
    void trainingRecordsAgreeAcrossBackends() {
        Parameters p0 = Parameters.init(ARCH, 4);
        GradientDescent.Options opt = GradientDescent.Options.of(20).withLearningRate(LearningRate.fixed(0.4))
                .withKernel(new int[] {10, 20}, X, NtkMode.TRACE).withOutputs(new int[] {0, 20}, XT);
        GradientDescent.Run ref = GradientDescent.train(Reference.ntk(), p0, X, Y, opt, ProgressListener.NONE);
        int checked = 0;
        for (BackendInfo provider : Ntk.backends()) {
            if (!provider.autoSelectable() || !provider.available()) {
                continue;
            }
            for (Precision precision : new Precision[] {Precision.FP64, Precision.FP32}) {
                try (Ntk b = Ntk.builder().backend(provider.name()).precision(precision).open()) {
                    // Twenty steps amplify rounding a little: allow 20× the single-call tolerance.
                    double tol = 20 * Tolerances.of(precision);
                    GradientDescent.Run run = GradientDescent.train(b, p0, X, Y, opt, ProgressListener.NONE);
                    String what = b.description();
                    Compare.assertClose(what + " loss", run.loss(), ref.loss(), tol);
                    Compare.assertClose(what + " weight change", run.weightChange(), ref.weightChange(), tol);
                    Compare.assertClose(what + " kernel drift", run.kernelDrift(), ref.kernelDrift(), tol * 10);
                    Compare.assertClose(what + " test outputs", run.testOutputs()[1], ref.testOutputs()[1], tol);
                    LazyScore.Options lo = LazyScore.Options.defaults().withRounds(2).withTolerance(1e-8).withSeed(1)
                            .withRestarts(0);
                    double kRef = LazyScore.estimate(Reference.ntk(), p0, X, Y, lo).score();
                    double k = LazyScore.estimate(b, p0, X, Y, lo).score();
                    assertTrue(Math.abs(k - kRef) <= 10 * tol * kRef, what + " lazy score " + k + " vs " + kRef);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 2, "no fast backend was available to compare (" + checked + ")");
    }
}
