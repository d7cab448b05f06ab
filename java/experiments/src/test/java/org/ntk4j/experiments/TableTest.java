package org.ntk4j.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.InvalidInputException;

class TableTest {
    @Test
    void csvMarkdownAndSeries(@TempDir Path dir) throws Exception {
        Table t = new Table("t", "width", "note", "value").meta("title", "A table").meta("unit", "s");
        t.add(16, "a,b", 0.125).add(32, "plain", 1.0 / 3).add(16, "q\"x", 2.5e-7);
        assertEquals("width,note,value\n16,\"a,b\",0.125\n32,plain,0.3333333333333333\n16,\"q\"\"x\",2.5E-7\n", t.toCsv());
        String md = t.toMarkdown();
        assertTrue(md.startsWith("### A table\n\n- unit: s\n\n| width | note | value |"), md);
        assertTrue(md.contains("| 32 | plain | 0.3333 |"), md);
        assertEquals(List.of(16L, 32L), t.distinct("width"));
        assertArrayEquals(new double[] {0.125, 2.5e-7}, t.where("width", 16).numbers("value"));
        Report r = new Report("r").add(t).summary("one line");
        r.writeTo(dir);
        assertEquals(t.toCsv(), Files.readString(dir.resolve("t.csv")));
        assertTrue(Files.readString(dir.resolve("r.md")).contains("one line"));
        assertThrows(InvalidInputException.class, () -> t.add(1, 2));
        assertThrows(InvalidInputException.class, () -> t.numbers("note"));
        assertThrows(InvalidInputException.class, () -> t.numbers("missing"));
        assertThrows(InvalidInputException.class, () -> r.add(new Table("t", "x")));
        assertThrows(InvalidInputException.class, () -> new Table("d", "x", "x"));
    }

    @Test
    void logLogFitRecoversAPowerLaw() {
        double[] x = {16, 64, 256, 1024};
        double[] y = new double[4];
        for (int i = 0; i < 4; i++) {
            y[i] = 3.0 * Math.pow(x[i], -0.75);
        }
        LogLogFit f = LogLogFit.of(x, y);
        assertEquals(-0.75, f.slope(), 1e-14);
        assertEquals(Math.log(3), f.intercept(), 1e-13);
        assertEquals(1.0, f.r2(), 1e-14);
        assertEquals(3.0 * Math.pow(100, -0.75), f.predict(100), 1e-14);
        assertEquals(-0.75, LogLogFit.of(x, y, 60, 2000).slope(), 1e-14);
        assertThrows(InvalidInputException.class, () -> LogLogFit.of(new double[] {1, 2}, new double[] {1, -1}));
    }
}
