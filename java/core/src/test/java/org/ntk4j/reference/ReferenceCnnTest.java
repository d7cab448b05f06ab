package org.ntk4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Elementwise;
import org.ntk4j.model.Flatten;
import org.ntk4j.model.Layer;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.LayerSequences;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/** Convolutions, pooling and flatten on the reference: values worked out by hand, central differences, structure. */
class ReferenceCnnTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    private static double f(ReferenceBackend ref, Parameters p, double[] x) {
        return ref.forward(p, new Matrix(1, x.length, x)).get(0, 0);
    }

    /**
     * A 2×3×2 image, conv(2 channels, 2×2, valid, σ_w 2, σ_b 0.5) in the ntk parameterization (c = 2/√(2·2·2) = 1/√2),
     * flatten in PyTorch's (C, H, W) order, dense(1, σ_w 1.5, no bias) (c = 1.5/√4): every value by hand.
     */
    @Test
    void aTwoChannelConvolutionFlattenAndDenseByHand() {
        Architecture arch = Architecture.parse("2x3x2:conv(2,2x2,valid,2.0,0.5),flatten,dense(1,1.5)",
                Parameterization.NTK);
        // W[o][i][dy][dx]: o = 0: i = 0 [[1, 0], [0, 1]], i = 1 [[0, 1], [1, 0]]; o = 1: i = 0 [[1, 1], [0, 0]],
        // i = 1 [[0, 0], [−1, 1]]; b = (1, −2); the dense weights v = (1, 2, 3, 4)
        Parameters p = Parameters.of(arch, new double[][] {{1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 0, -1, 1},
                {1, 2, 3, 4}}, new double[][] {{1, -2}, null});
        // x[y][x][c], NHWC: row 0 (1,0) (2,1) (0,−1); row 1 (−1,2) (1,1) (3,0)
        double[] x = {1, 0, 2, 1, 0, -1, -1, 2, 1, 1, 3, 0};
        double r2 = Math.sqrt(2);
        // window sums Σ W·patch: (y 0, x 0, o 0) 2 + 3 = 5; (0, 1, 0) 5 + 0 = 5; (0, 0, 1) 3 − 1 = 2; (0, 1, 1) 2 − 1 = 1
        double[] flat = {5 / r2 + 0.5, 5 / r2 + 0.5, 2 / r2 - 1, 1 / r2 - 1}; // (C, H, W): channel 0's positions first
        double out = 0.75 * (flat[0] + 2 * flat[1] + 3 * flat[2] + 4 * flat[3]);
        assertEquals(out, f(ref, p, x), 1e-14);
        // Θ(x, x): dense 0.75²·|flat|²; δ at the conv's output 0.75·v, so ∂f/∂b = 0.5·(0.75·(1 + 2), 0.75·(3 + 4)); and
        // ∂f/∂W[o,i,dy,dx] = (1/√2)·Σ_x' δ(x', o)·x[dy][x' + dx][i], whose 16 sums are listed here
        double[] sums = {3.75, 1.5, 0.75, 5.25, 1.5, -0.75, 3.0, 0.75, 8.25, 4.5, 0.75, 11.25, 3.0, -0.75, 7.5, 2.25};
        double ww = 0;
        for (double s : sums) {
            ww += 0.5 * s * s;
        }
        double theta = 0.5625 * (flat[0] * flat[0] + flat[1] * flat[1] + flat[2] * flat[2] + flat[3] * flat[3])
                + 1.125 * 1.125 + 2.625 * 2.625 + ww;
        assertEquals(171.5625, ww, 1e-12);
        Matrix xm = new Matrix(1, 12, x);
        assertEquals(theta, ref.kernel(p, xm, NtkMode.FULL, Implementation.JACOBIAN_CONTRACTION).get(0, 0, 0, 0), 1e-11);
        assertEquals(theta, ReferenceBackend.structuredNtk(p, xm, xm).get(0, 0, 0, 0), 1e-11);
    }

    /** Zeros (same) or the other side (circular) beyond the border, the extra padding after (same's rule). */
    @Test
    void paddingByHand() {
        // a 1×3×1 image (1, 2, 3), kernel W = (1, 10, 100) in the standard parameterization: one entry padded each side
        double[] x = {1, 2, 3};
        for (String[] c : new String[][] {{"same", "563"}, {"circular", "666"}, {"valid", "321"}}) {
            Architecture arch = Architecture.parse("1x3x1:conv(1,1x3," + c[0] + ",1.0),flatten,dense(1,1.0)",
                    Parameterization.STANDARD);
            int outputs = c[0].equals("valid") ? 1 : 3;
            double[] ones = new double[outputs];
            java.util.Arrays.fill(ones, 1.0);
            Parameters p = Parameters.of(arch, new double[][] {{1, 10, 100}, ones}, null);
            // same: (0 + 10 + 200) + (1 + 20 + 300) + (2 + 30 + 0); circular: 213 + 321 + 132; valid: 321
            assertEquals(Double.parseDouble(c[1]), f(ref, p, x), 0.0, c[0]);
        }
        // stride 2 on 4 entries: ⌈4/2⌉ = 2 outputs need 1 padded entry, which goes after: (1 + 20 + 300) + (3 + 40 + 0)
        Architecture strided = Architecture.parse("1x4x1:conv(1,1x3,same,stride=2,1.0),flatten,dense(1,1.0)",
                Parameterization.STANDARD);
        Parameters p = Parameters.of(strided, new double[][] {{1, 10, 100}, {1, 1}}, null);
        assertEquals(364, f(ref, p, new double[] {1, 2, 3, 4}), 0.0);
    }

    /** The window's area divides, padding zeros included (count_include_pad); circular pools the other side. */
    @Test
    void averagePoolingByHand() {
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9}; // a 3×3×1 image, row by row
        // same, 2×2, stride 2: windows (1+2+4+5)/4, (3+6)/4, (7+8)/4, 9/4, mean 2.8125, times the dense weight 2
        // circular: 3, (3+1+6+4)/4, (7+8+1+2)/4, (9+7+3+1)/4, mean 4, times 2
        for (String[] c : new String[][] {{"same", "5.625"}, {"circular", "8"}}) {
            Architecture arch = Architecture.parse("3x3x1:avgpool(2x2," + c[0] + "),gap,dense(1,1.0)",
                    Parameterization.NTK);
            Parameters p = Parameters.of(arch, new double[][] {{2}}, null);
            assertEquals(Double.parseDouble(c[1]), f(ref, p, x), 1e-15, c[0]);
        }
    }

    @Test
    void jacobianMatchesCentralDifferencesOnRandomCnns() {
        for (long seed = 1; seed <= 30; seed++) {
            Architecture arch = LayerSequences.randomCnn(seed, true);
            Parameters p = Parameters.init(arch, seed);
            Matrix x = NtkCase.gaussianInputs(2, arch.inputDim(), seed + 100);
            Compare.assertClose("reference Jacobian vs central differences, " + arch, ref.jacobian(p, x).data(),
                    ReferenceBackendTest.centralDifferenceJacobian(ref, p, x), 1e-6);
        }
    }

    /** relu CNNs whose relu inputs all sit at least 1e-3 from the kink for these inputs. */
    @Test
    void reluJacobianMatchesCentralDifferencesAwayFromTheKink() {
        int checked = 0;
        for (long seed = 1; seed <= 200 && checked < 6; seed++) {
            Architecture arch = LayerSequences.randomCnn(seed, false);
            if (arch.sequence().stream().noneMatch(l -> l instanceof Elementwise e && e.activation() == Activation.RELU)) {
                continue;
            }
            Parameters p = Parameters.init(arch, seed);
            Matrix x = NtkCase.gaussianInputs(2, arch.inputDim(), seed + 100);
            if (nearestToKink(p, x) < 1e-3) {
                continue; // a step of 1e-6 could cross the kink
            }
            checked++;
            Compare.assertClose("relu reference Jacobian vs central differences, " + arch, ref.jacobian(p, x).data(),
                    ReferenceBackendTest.centralDifferenceJacobian(ref, p, x), 1e-6);
        }
        assertEquals(6, checked, "too few relu CNNs away from the kink to check");
    }

    /** The smallest |input| of any relu layer: the prefix before it, flattened, on the same weights. */
    private double nearestToKink(Parameters p, Matrix x) {
        Architecture arch = p.architecture();
        double nearest = Double.POSITIVE_INFINITY;
        for (int i = 0; i < arch.sequence().size(); i++) {
            if (!(arch.sequence().get(i) instanceof Elementwise e && e.activation() == Activation.RELU)) {
                continue;
            }
            int weighted = 0;
            while (weighted < arch.layers() && arch.sequenceIndex(weighted) < i) {
                weighted++;
            }
            double[] z;
            if (weighted == 0) {
                z = x.data();
            } else {
                List<Layer> prefix = new java.util.ArrayList<>(arch.sequence().subList(0, i));
                prefix.add(new Flatten());
                Architecture pa = Architecture.of(arch.inputShape(), arch.parameterization(), prefix);
                double[][] w = new double[weighted][];
                double[][] b = new double[weighted][];
                for (int l = 0; l < weighted; l++) {
                    w[l] = p.weights(l);
                    b[l] = p.bias(l);
                }
                z = ref.forward(Parameters.of(pa, w, b), x).data();
            }
            for (double v : z) {
                nearest = Math.min(nearest, Math.abs(v));
            }
        }
        return nearest;
    }

    @Test
    void theStructuredTermsSumToJacobianProductsAndCrossEqualsSymmetric() {
        for (long seed = 1; seed <= 30; seed++) {
            Architecture arch = LayerSequences.randomCnn(seed, false);
            Parameters p = Parameters.init(arch, seed);
            Matrix x1 = NtkCase.gaussianInputs(3, arch.inputDim(), seed + 1);
            Matrix x2 = NtkCase.gaussianInputs(2, arch.inputDim(), seed + 2);
            Tensor product = ref.kernel(p, x1, x2, NtkMode.FULL, Implementation.JACOBIAN_CONTRACTION);
            Compare.assertClose("structured terms vs J1·J2ᵀ, " + arch, ReferenceBackend.structuredNtk(p, x1, x2),
                    product, Tolerances.FP64);
            Compare.assertClose("symmetric vs cross with X2 = X1, " + arch, ref.kernel(p, x1, NtkMode.FULL,
                    Implementation.AUTO), ref.kernel(p, x1, x1, NtkMode.FULL, Implementation.AUTO), Tolerances.FP64);
        }
    }

    @Test
    void theRandomCnnsCoverEveryKindAndPadding() {
        java.util.Set<String> seen = new java.util.TreeSet<>();
        for (long seed = 1; seed <= 30; seed++) {
            for (Layer l : LayerSequences.randomCnn(seed, false).sequence()) {
                String s = l.spec();
                seen.add(s.replaceAll("\\(.*", ""));
                for (String pad : new String[] {"same", "valid", "circular", "stride=2", "5x"}) {
                    if (s.contains(pad)) {
                        seen.add(s.substring(0, s.indexOf('(')) + " " + pad);
                    }
                }
            }
        }
        for (String want : new String[] {"conv", "avgpool", "gap", "flatten", "dense", "relu", "conv same",
                "conv valid", "conv circular", "conv stride=2", "conv 5x", "avgpool same", "avgpool valid",
                "avgpool circular"}) {
            assertTrue(seen.contains(want), want + " not drawn: " + seen);
        }
    }
}
