package org.ntk4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.ntk4j.Implementation;
import org.ntk4j.InputLayout;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npz;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Tolerances;

/**
 * An oracle from outside the project, committed: PyTorch {@code nn.Sequential} CNNs (Conv2d, AvgPool2d with
 * count_include_pad, Flatten, Linear; same, valid and circular padding, stride 2, σ_w ≠ 1) with their weights
 * {@code W0, b0, …} in PyTorch's layouts, outputs and full NTKs in float64 (src/test/resources/torch-cnn/README.md says
 * how they were made). The reference must give the same outputs and kernels from the same weights and NHWC inputs.
 */
class TorchFixtureTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "standard; standard; 7x6x2:conv(3,3x3,same,stride=2,1.5,0.1),relu,avgpool(3x3,same,stride=1),"
                + "conv(4,2x2,valid,stride=1,1.2,0.2),relu,flatten,dense(2,1.0,0.0)",
        "ntk; ntk; 5x4x3:conv(3,3x2,circular,stride=1,1.5,0.3),tanh,avgpool(3x3,same,stride=1),"
                + "conv(2,1x1,valid,stride=1,0.8),gelu,gap,dense(2,1.2,0.2)",
    })
    void outputsAndKernelEqualPyTorchs(String file, String parameterization, String spec) throws Exception {
        Path path = Path.of(TorchFixtureTest.class.getResource("/torch-cnn/" + file + ".npz").toURI());
        Architecture arch = Architecture.parse(spec, Parameterization.parse(parameterization));
        Parameters p = ParametersIO.load(path, arch);
        Tensor xs;
        Tensor f;
        Tensor ntk;
        try (Npz.Archive a = Npz.open(path)) {
            xs = a.array("x");
            f = a.array("f");
            ntk = a.array("ntk");
        }
        Matrix x = InputLayout.NHWC.examples(xs, arch.inputShape());
        Matrix out = ref.forward(p, x);
        assertArrayEquals(f.shape(), new int[] {out.rows(), out.cols()});
        Tensor k = ref.kernel(p, x, NtkMode.FULL, Implementation.AUTO);
        assertArrayEquals(ntk.shape(), k.shape());
        double outErr = maxAbs(out.data(), f.doubles()) / maxAbs(f.doubles(), new double[f.doubles().length]);
        double kErr = maxAbs(k.data(), ntk.doubles()) / maxAbs(ntk.doubles(), new double[ntk.doubles().length]);
        assertTrue(outErr <= Tolerances.TORCH_FP64, file + ": outputs differ from PyTorch's by " + outErr
                + " of the largest");
        assertTrue(kErr <= Tolerances.TORCH_FP64, file + ": NTK differs from PyTorch's by " + kErr + " of the largest");
        assertTrue(ntk.relativeDistance(k) <= Tolerances.TORCH_FP64, file + ": relative Frobenius error "
                + ntk.relativeDistance(k));
    }

    /** max_i |a_i − b_i|. */
    private static double maxAbs(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
