package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.dynamics.GradientDescent;
import org.ntk4j.linalg.ConjugateGradient;
import org.ntk4j.linalg.Preconditioner;
import org.ntk4j.linalg.SymmetricOperator;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/** "No progress" is {@link ProgressListener#NONE}; a null listener is refused by name, not taken for none. */
class ProgressListenerTest {
    private static final Matrix A = Matrix.of(new double[][] {{4, 1}, {1, 3}});
    private static final Matrix B = Matrix.of(new double[][] {{1}, {2}});

    @Test
    void solveRefusesANullListenerAndReportsToAGivenOne() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ConjugateGradient.solve(
                SymmetricOperator.dense(A, 0), B, Preconditioner.IDENTITY, 1e-10, 10, null));
        assertTrue(e.getMessage().contains("ProgressListener.NONE"), e.getMessage());
        List<ProgressListener.Progress> seen = new ArrayList<>();
        ConjugateGradient.solve(SymmetricOperator.dense(A, 0), B, Preconditioner.IDENTITY, 1e-10, 10, seen::add);
        assertTrue(!seen.isEmpty() && seen.getFirst().task().equals("pcg"), seen.toString());
    }

    @Test
    void trainRefusesANullListenerOnBothEntryPoints() {
        Architecture arch = Architecture.builder(2).hidden(3).output(1).build();
        Parameters p0 = Parameters.init(arch, 1);
        Matrix x = Matrix.of(new double[][] {{1, 0}, {0, 1}});
        Matrix y = Matrix.of(new double[][] {{1}, {-1}});
        GradientDescent.Options opt = GradientDescent.Options.of(2);
        try (Ntk ntk = Ntk.builder().backend("reference").open()) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> GradientDescent.train(ntk, p0, x, y, opt, null));
            assertTrue(e.getMessage().contains("ProgressListener.NONE"), e.getMessage());
            try (PreparedModel model = ntk.prepare(p0)) {
                assertThrows(InvalidInputException.class, () -> GradientDescent.train(model, x, y, opt, null));
            }
            List<ProgressListener.Progress> seen = new ArrayList<>();
            GradientDescent.train(ntk, p0, x, y, opt, seen::add);
            assertTrue(seen.size() >= 2, seen.toString());
        }
    }
}
