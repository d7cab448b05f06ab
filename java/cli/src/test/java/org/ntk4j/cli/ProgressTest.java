package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Progress where stderr is a log or a pipe: plain lines, few of them, each with rate and ETA, and an honest end. */
class ProgressTest {
    @TempDir
    Path dir;

    /** A clock the test moves by hand, in nanoseconds. */
    private static final class Clock {
        long now;

        void advance(double seconds) {
            now += (long) (seconds * 1e9);
        }
    }

    @Test
    void aLongTaskPrintsARateAndAnEtaAtMostEveryFewSecondsThenWhatItDid() {
        Clock clock = new Clock();
        StringWriter log = new StringWriter();
        Progress.LogBar bar = new Progress.LogBar(new PrintWriter(log), "train", 1000, "steps", () -> clock.now);
        for (int step = 1; step <= 1000; step++) {
            clock.advance(0.06); // 60 s in all
            bar.setExtraMessage("loss " + (1.0 / step));
            bar.stepTo(step);
        }
        bar.close();
        List<String> lines = log.toString().lines().toList();
        assertTrue(lines.size() >= 10 && lines.size() <= 60 / Progress.LOG_INTERVAL_SECONDS + 1, log.toString());
        for (String l : lines.subList(0, lines.size() - 1)) {
            assertTrue(l.matches("train: \\d+/1000 steps \\(\\d+%\\), 17 steps/s, ETA [0-9.:]+( s)?; loss .*"), l);
        }
        assertTrue(lines.get(0).startsWith("train: 84/1000 steps (8%)"), "the first line after 5 s: " + lines.get(0));
        assertEquals("train: 1000 steps in 1:00, 17 steps/s; loss 0.001", lines.get(lines.size() - 1));
        assertFalse(log.toString().contains("?") || log.toString().contains("\r"), log.toString());
    }

    @Test
    void aSolverThatConvergesAtOnceSaysSoInOneLine() {
        Clock clock = new Clock();
        StringWriter log = new StringWriter();
        Progress.LogBar bar = new Progress.LogBar(new PrintWriter(log), "pcg", 1000, "it", () -> clock.now);
        clock.advance(0.012);
        bar.setExtraMessage("residual 3.000e-08");
        bar.stepTo(1);
        bar.finish("converged in 1 iteration");
        bar.close(); // a finished bar prints nothing more
        assertEquals("pcg: converged in 1 iteration in 0.01 s; residual 3.000e-08\n", log.toString().replace("\r\n", "\n"));
    }

    @Test
    void aTaskCutShortSaysWhereItStopped() {
        Clock clock = new Clock();
        StringWriter log = new StringWriter();
        Progress.LogBar bar = new Progress.LogBar(new PrintWriter(log), "kernel", 12, "tiles", () -> clock.now);
        clock.advance(2);
        bar.stepTo(3);
        bar.close();
        assertEquals("kernel: stopped at 3/12 tiles after 2.0 s", log.toString().strip());
    }

    @Test
    void throughAPipeTheLauncherPrintsPlainLinesAndTheOutcome() throws Exception {
        Path x = dir.resolve("x.npy");
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(x, 30, 4, 1, false);
        Cli.randomInputs(y, 30, 2, 2, false);
        Process p = Processes.launcher("regress", "--x", x, "--y", y, "--x-test", x, "--arch", "4,1,2", "--impl",
                "analytic", "--precision", "fp64", "--ridge", "1e-3", "--out", dir.resolve("p.npy")).start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8); // a pipe, not a terminal
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertFalse(err.contains("\r") || err.contains("?") || err.contains(" 0%"), err);
        List<String> pcg = err.lines().filter(l -> l.startsWith("pcg")).toList();
        assertEquals(1, pcg.size(), "a solve of under five seconds prints its outcome only: " + err);
        assertTrue(pcg.get(0).matches("pcg: converged in \\d+ iterations? in [0-9.]+ s; residual .*"), pcg.get(0));
    }
}
