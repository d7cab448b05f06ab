package org.ntk4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;

class DigitsTest {
    @Test
    void loadsAndNormalisesAsDocumented() {
        Dataset d = Digits.load();
        assertEquals(1797, d.size());
        assertEquals(64, d.x().cols());
        assertEquals(10, d.y().cols());
        int[] counts = new int[10];
        for (int i = 0; i < d.size(); i++) {
            counts[d.labels()[i]]++;
            double norm = 0;
            double ysum = 0;
            for (int j = 0; j < 64; j++) {
                norm += d.x().get(i, j) * d.x().get(i, j);
            }
            for (int c = 0; c < 10; c++) {
                ysum += d.y().get(i, c);
                assertEquals(c == d.labels()[i] ? 0.9 : -0.1, d.y().get(i, c), 1e-15);
            }
            assertEquals(64.0, norm, 1e-9, "row " + i + " has ‖x‖² ≠ d");
            assertEquals(0.0, ysum, 1e-14);
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(counts[c] >= 170 && counts[c] <= 190, "class " + c + " has " + counts[c] + " images");
        }
        // Independent check of the first row against the raw file: standardise then rescale by hand.
        double[][] raw = Digits.readRaw();
        assertEquals(0, (int) raw[0][64]);
        double[] row = new double[64];
        for (int j = 0; j < 64; j++) {
            double mean = 0;
            double sq = 0;
            for (double[] r : raw) {
                mean += r[j] / 16 / raw.length;
                sq += (r[j] / 16) * (r[j] / 16) / raw.length;
            }
            double sd = Math.sqrt(Math.max(0, sq - mean * mean));
            row[j] = sd > 1e-9 ? (raw[5][j] / 16 - mean) / sd : 0;
        }
        double len = Math.sqrt(java.util.Arrays.stream(row).map(v -> v * v).sum());
        for (int j = 0; j < 64; j++) {
            assertEquals(8 * row[j] / len, d.x().get(5, j), 1e-9, "row 5, feature " + j);
        }
        Dataset oneHot = Digits.load(Digits.Targets.ONE_HOT);
        assertEquals(1.0, oneHot.y().get(0, 0));
        assertEquals(0.0, oneHot.y().get(0, 1));
        // Pixel 0 is always 0 in this data: constant features stay exactly 0.
        for (int i = 0; i < d.size(); i++) {
            assertEquals(0.0, d.x().get(i, 0));
        }
    }

    @Test
    void attributionShipsBesideTheData() {
        assertNotNull(Digits.class.getResource("/org/ntk4j/data/DIGITS-ATTRIBUTION.md"));
        assertNotNull(Digits.class.getResource("/org/ntk4j/data/digits.descr.txt"));
    }

    @Test
    void splitsAreSeededAndDisjoint() {
        Dataset d = Digits.load();
        Dataset.Split a = d.split(100, 50, 3);
        Dataset.Split b = d.split(100, 50, 3);
        Dataset.Split c = d.split(100, 50, 4);
        assertEquals(a.train().x(), b.train().x());
        assertTrue(!a.train().x().equals(c.train().x()));
        Set<String> rows = new HashSet<>();
        for (Dataset part : new Dataset[] {a.train(), a.test()}) {
            for (int i = 0; i < part.size(); i++) {
                rows.add(java.util.Arrays.toString(part.x().row(i)));
            }
        }
        assertTrue(rows.size() >= 149, "train and test overlap: " + rows.size() + " distinct rows of 150");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> d.split(1700, 200, 1));
        assertTrue(e.getMessage().contains("cannot split"), e.getMessage());
    }

    @Test
    void syntheticDataIsSeededAndOnTheSphere() {
        Dataset s = Synthetic.sphere(20, 7, 3, 5);
        assertEquals(s.x(), Synthetic.sphere(20, 7, 3, 5).x());
        assertEquals(s.y(), Synthetic.sphere(20, 7, 3, 5).y());
        Matrix x = s.x();
        for (int i = 0; i < 20; i++) {
            double n2 = 0;
            for (int j = 0; j < 7; j++) {
                n2 += x.get(i, j) * x.get(i, j);
            }
            assertEquals(7.0, n2, 1e-12);
            for (int a = 0; a < 3; a++) {
                assertTrue(Math.abs(s.y().get(i, a)) <= 1 + 0.5 / Math.sqrt(2));
            }
        }
    }
}
