package org.ntk4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ParametersTest {

    @Test
    void layoutFollowsTheDesign() {
        Architecture arch = Architecture.builder(3).hidden(5, 4).output(2).sigmaB(0.1).build();
        assertEquals(3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2, arch.parameterCount());
        assertEquals(0, arch.weightOffset(0));
        assertEquals(15, arch.biasOffset(0));
        assertEquals(20, arch.weightOffset(1));
        assertEquals(40, arch.biasOffset(1));
        Architecture noBias = Architecture.builder(3).hidden(5).output(2).noBias().build();
        assertEquals(3 * 5 + 5 * 2, noBias.parameterCount());
        assertEquals(0.0, noBias.biasScale(0));
        assertEquals(1.0 / Math.sqrt(3), arch.weightScale(0), 1e-16);
        Architecture std = Architecture.builder(4).hidden(9).output(1).parameterization(Parameterization.STANDARD).sigmaW(2).build();
        assertEquals(1.0, std.weightScale(0));
        assertEquals(1.0, std.weightInitStd(0));
        assertEquals(2.0 / 3.0, std.weightInitStd(1), 1e-16);
    }

    @Test
    void initIsDeterministicRowAddressableAndSeedDependent() {
        Architecture arch = Architecture.builder(7).hidden(13).output(3).sigmaB(0.5).build();
        Parameters a = Parameters.init(arch, 42);
        Parameters b = Parameters.init(arch, 42);
        assertArrayEquals(a.toFlat(), b.toFlat());
        assertNotEquals(a.toFlat()[0], Parameters.init(arch, 43).toFlat()[0]);
        double[] row = new double[13];
        double bias = Parameters.initialRow(arch, 42, 1, 2, row);
        assertArrayEquals(row, java.util.Arrays.copyOfRange(a.weights(1), 2 * 13, 3 * 13));
        assertEquals(bias, a.bias(1)[2]);
        assertNull(a.firstNonFinite());
    }

    @Test
    void initHasTheDocumentedScale() {
        Architecture arch = Architecture.builder(400).hidden(300).output(1).parameterization(Parameterization.STANDARD)
                .sigmaW(1.5).build();
        double[] w = Parameters.init(arch, 7).weights(0);
        double s = 0;
        for (double v : w) {
            s += v * v;
        }
        assertEquals(1.5 * 1.5 / 400, s / w.length, 0.05 * 1.5 * 1.5 / 400);
    }

    @Test
    void flatRoundTripAndDistances() {
        Architecture arch = Architecture.builder(2).hidden(3).output(2).build();
        Parameters p = Parameters.init(arch, 1);
        Parameters q = p.copy();
        double[] step = new double[(int) arch.parameterCount()];
        step[0] = 3;
        step[step.length - 1] = 4;
        q.addScaled(1.0, step);
        assertEquals(5.0, q.distance(p), 1e-12);
        assertEquals(3.0, q.layerDistance(0, p), 1e-12);
        assertEquals(4.0, q.layerDistance(1, p), 1e-12);
        Parameters r = Parameters.zeros(arch);
        r.setFlat(q.toFlat());
        assertArrayEquals(q.toFlat(), r.toFlat());
    }
}
