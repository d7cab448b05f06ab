package org.ntk4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.NtkCase;

/**
 * {@link Ntk#kernelMatrix}: on every backend in core, each implementation and precision, it holds exactly the values
 * of the full kernel, in matrix layout — the CPU backend takes them straight from its accumulator, the others
 * reorder {@link Ntk#kernel}'s tensor — and the symmetric one is exactly symmetric.
 */
class KernelMatrixTest {

    @Test
    void kernelMatrixIsTheFullKernelInMatrixLayout() {
        String[][] backends = {{"cpu", "FP32"}, {"cpu", "FP64"}, {"reference", "FP64"}};
        for (String[] b : backends) {
            try (Ntk ntk = Ntk.builder().backend(b[0]).precision(Precision.valueOf(b[1])).threads(2).open()) {
                for (int o : new int[] {1, 3}) {
                    Architecture arch = Architecture.builder(5).hidden(7, 3).output(o).activation(Activation.TANH)
                            .sigmaB(0.2).build();
                    Parameters p = Parameters.init(arch, 41 + o);
                    Matrix x1 = NtkCase.gaussianInputs(9, 5, 1);
                    Matrix x2 = NtkCase.gaussianInputs(4, 5, 2);
                    for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                            Implementation.JACOBIAN_CONTRACTION}) {
                        String what = ntk.description() + " O=" + o + " " + impl;
                        Matrix sym = ntk.kernelMatrix(p, x1, impl);
                        assertEquals(9 * o, sym.rows(), what);
                        assertEquals(KernelLayout.fullToMatrix(ntk.kernel(p, x1, NtkMode.FULL, impl)), sym, what);
                        for (int i = 0; i < sym.rows(); i++) {
                            for (int j = 0; j < i; j++) {
                                assertEquals(sym.get(j, i), sym.get(i, j), what + " symmetric at " + i + ", " + j);
                            }
                        }
                        Matrix cross = ntk.kernelMatrix(p, x1, x2, impl);
                        assertEquals(9 * o, cross.rows(), what);
                        assertEquals(4 * o, cross.cols(), what);
                        assertArrayEquals(KernelLayout.fullToMatrix(ntk.kernel(p, x1, x2, NtkMode.FULL, impl)).data(),
                                cross.data(), what + " cross");
                    }
                }
            }
        }
    }

    @Test
    void kernelMatrixValidatesLikeKernel() {
        Architecture arch = Architecture.builder(3).hidden(4).output(2).build();
        Parameters p = Parameters.init(arch, 1);
        Ntk ntk = Ntk.builder().backend("cpu").open();
        assertThrows(InvalidInputException.class, () -> ntk.kernelMatrix(p, Matrix.zeros(2, 4)));
        assertThrows(InvalidInputException.class, () -> ntk.kernelMatrix(p, Matrix.zeros(2, 3), (Implementation) null));
        ntk.close();
        assertThrows(BackendClosedException.class, () -> ntk.kernelMatrix(p, Matrix.zeros(2, 3)));
    }
}
