package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.io.Npy;

/** The ./ntk launcher: what reaches stderr, the locale, the heap, stdin. Each test starts a real launcher. */
class LauncherTest {
    @TempDir
    Path dir;

    @Test
    void anErrorIsExactlyOneLineOnStderr() throws Exception {
        Path missing = dir.resolve("missing.npy");
        Cli.Result r = Processes.run(Processes.launcher("kernel", "--x", missing, "--arch", "4,5,2", "--out",
                dir.resolve("k.npy")));
        assertEquals(2, r.code(), r.toString());
        assertEquals("ntk kernel: file not found: " + missing + "\n", r.err(), "the JVM's incubator warning is gone");
        assertEquals("", r.out());
    }

    @Test
    void nonAsciiNamesWorkUnderANonUtf8Locale() throws Exception {
        Path x = dir.resolve("données-é.npy");
        Cli.randomInputs(x, 5, 3, 1, false);
        Path out = dir.resolve("noyau-θ.npy");
        ProcessBuilder pb = Processes.launcher("kernel", "--x", x, "--arch", "3,4,2", "-q", "--out", out);
        cLocale(pb.environment());
        Cli.Result r = Processes.run(pb);
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(new int[] {5, 5}, Npy.read(out).shape());

        // Without the launcher, a JVM in the C locale cannot represent the name: one line that says so.
        ProcessBuilder direct = Processes.java("kernel", "--x", x, "--arch", "3,4,2", "-q", "--out", dir.resolve("k2.npy"));
        cLocale(direct.environment());
        Cli.Result d = Processes.run(direct);
        assertEquals(2, d.code(), d.toString());
        List<String> lines = d.err().lines().filter(l -> !l.startsWith("WARNING: Using incubator")).toList();
        assertEquals(1, lines.size(), d.err());
        assertTrue(lines.get(0).contains("use a UTF-8 locale"), lines.get(0));
    }

    private static void cLocale(Map<String, String> env) {
        env.keySet().removeIf(k -> k.startsWith("LC_"));
        env.put("LANG", "C");
        env.put("LC_ALL", "C");
    }

    @Test
    void theKernelsHeapFollowsMemoryUnlessSetExplicitly() throws Exception {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 5, 3, 1, false);
        String[][] cases = {{"64m", "", "144M"}, {"", "", "2624M"}, {"64m", "-Xmx300m", "300M"}};
        for (String[] c : cases) {
            ProcessBuilder pb = c[0].isEmpty()
                    ? Processes.launcher("kernel", "--x", x, "--arch", "3,4,2", "-q", "--out", dir.resolve("k.npy"))
                    : Processes.launcher("kernel", "--x", x, "--arch", "3,4,2", "-q", "--memory", c[0], "--out",
                    dir.resolve("k.npy"));
            pb.environment().put("NTK_JAVA_OPTS", (c[1] + " -Xlog:gc+init=info:stdout").trim());
            Cli.Result r = Processes.run(pb);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("Heap Max Capacity: " + c[2]), "--memory " + c[0] + " " + c[1] + ": " + r.out());
        }
    }

    @Test
    void standardInputStillReachesTheCommand() throws Exception {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 6, 3, 1, false);
        Path out = dir.resolve("k.npy");
        ProcessBuilder pb = Processes.launcher("kernel", "--x", "/dev/stdin", "--arch", "3,4,2", "-q", "--out", out)
                .redirectInput(x.toFile());
        Cli.Result r = Processes.run(pb);
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(new int[] {6, 6}, Npy.read(out).shape());
        assertTrue(Files.exists(out));
    }
}
