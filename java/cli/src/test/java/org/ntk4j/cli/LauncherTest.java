package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

    /**
     * A name whose bytes are not UTF-8 (café in Latin-1) is read and written byte for byte where an ISO-8859-1 locale
     * exists (here one of the test's own, through LOCPATH: machines seldom have one installed); where none does, it
     * is refused in one line that says what to do. Bash makes the byte 0xE9, which a Java string cannot carry.
     */
    @Test
    void aNameThatIsNotUtf8PassesByteForByteUnderALatin1Locale() throws Exception {
        Path locales = Files.createDirectory(dir.resolve("locales"));
        Cli.Result def = Processes.run(new ProcessBuilder("localedef", "-i", "C", "-f", "ISO-8859-1",
                locales.resolve("C.ISO-8859-1").toString()));
        assertEquals(0, def.code(), "localedef builds an ISO-8859-1 locale: " + def);
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 5, 3, 1, false);
        assertEquals(0, Cli.run("kernel", "--x", x, "--arch", "3,4,2", "--seed", 4, "-q", "--out",
                dir.resolve("k.npy")).code());
        String script = "cd \"$1\" && cp x.npy $'in-\\xe9.npy' && bash \"$2\" kernel --x $'in-\\xe9.npy' --arch 3,4,2"
                + " --seed 4 -q --out $'caf\\xe9.npy' && cmp k.npy $'caf\\xe9.npy' && echo same"
                + " && ls | grep -c $'\\xef\\xbf\\xbd' || true";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script, "_", dir.toString(),
                Processes.root().resolve("ntk").toString());
        Map<String, String> env = pb.environment();
        cLocale(env);
        env.put("LOCPATH", locales.toString());
        env.put("NTK4J_CLASSPATH", System.getProperty("java.class.path"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("NTK_JAVA_OPTS");
        Cli.Result r = Processes.run(pb);
        assertEquals("same\n0\n", r.out(), "the output has the name given, byte for byte, and no U+FFFD name: " + r);

        // No ISO-8859-1 locale: one line, exit 2, naming the cure
        env.remove("LOCPATH");
        pb.command().set(2, "cd \"$1\" && bash \"$2\" kernel --x x.npy --arch 3,4,2 -q --out $'other-\\xe9.npy'");
        Cli.Result refused = Processes.run(pb);
        assertEquals(2, refused.code(), refused.toString());
        assertEquals(1, refused.err().strip().lines().count(), refused.err());
        assertTrue(refused.err().contains("not a valid UTF-8 name") && refused.err().contains("ISO-8859-1 locale"),
                refused.err());
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

    @ParameterizedTest
    @ValueSource(strings = {"KILL", "QUIT"})
    void theJvmEndsWithItsLauncher(String signal) throws Exception {
        Path big = dir.resolve("big.npy");
        Cli.randomInputs(big, 600, 16, 3, false);
        Path out = dir.resolve("k.npy");
        Process p = Processes.launcher("kernel", "--x", big, "--arch", "16,64,64,4", "--device", "reference", "--mode",
                "full", "--memory", "4m", "--out", out).redirectError(dir.resolve("stderr.txt").toFile()).start();
        List<ProcessHandle> jvms = new ArrayList<>();
        try {
            Processes.awaitTemporaryFile(dir, p);
            jvms.addAll(p.toHandle().children().filter(c -> c.info().command().orElse("").endsWith("/java")).toList());
            assertEquals(1, jvms.size(), "the launcher's JVM among " + p.toHandle().children().toList());
            Processes.signal(p, signal);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the launcher ended");
            ProcessHandle jvm = jvms.get(0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (running(jvm) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertFalse(running(jvm), "the JVM outlived its launcher (kill -" + signal + ") by a second");
        } finally {
            p.destroyForcibly();
            jvms.forEach(ProcessHandle::destroyForcibly);
        }
        assertFalse(Files.exists(out));
        assertEquals(List.of(), Cli.leftovers(dir), "unfinished files removed");
        // Nothing holds the output any more: the next run writes it.
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 5, 3, 1, false);
        Cli.Result r = Processes.run(Processes.launcher("kernel", "--x", x, "--arch", "3,4,2", "-q", "--out", out));
        assertEquals(0, r.code(), r.toString());
    }

    /** Alive and not a zombie (an orphan that exited waits for whoever adopted it to reap it). */
    private static boolean running(ProcessHandle h) throws java.io.IOException {
        Path stat = Path.of("/proc", String.valueOf(h.pid()), "stat");
        if (!h.isAlive() || !Files.exists(stat)) {
            return h.isAlive();
        }
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    @Test
    void moreMemoryThanTheMachineHasIsOneLine() throws Exception {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 5, 3, 1, false);
        Cli.Result r = Processes.run(Processes.launcher("kernel", "--x", x, "--arch", "3,4,2", "--memory", "900t",
                "--out", dir.resolve("k.npy")));
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().matches("ntk kernel: --memory 900t is more than this machine has \\([0-9.]+ GiB\\): give at"
                + " most that\n"), r.err());
    }

    @Test
    void aDeletedWorkingDirectoryOrAMemoryLimitIsSaidAsSuch() throws Exception {
        Path gone = Files.createDirectory(dir.resolve("gone"));
        Cli.Result deleted = Processes.run(shell("cd '" + gone + "' && rmdir '" + gone + "' && exec bash \"$NTK\" --version"));
        assertEquals(2, deleted.code(), deleted.toString());
        // bash itself says "shell-init: error retrieving current directory" as it starts: then one line of ours
        assertEquals(List.of("ntk: the current directory no longer exists (deleted?): cd to an existing folder and run"
                + " ntk again"), deleted.err().lines().filter(l -> !l.startsWith("shell-init: ")).toList());

        Cli.Result limited = Processes.run(shell("ulimit -v 1000000 && exec bash \"$NTK\" --version"));
        assertEquals(2, limited.code(), limited.toString());
        assertEquals(1, limited.err().lines().count(), limited.err());
        assertTrue(limited.err().contains("does not start") && limited.err().contains("ulimit -v, is 1000000 KiB"),
                limited.err());
        assertFalse(limited.err().contains("needs a JDK"), limited.err());
    }

    /** The launcher run by {@code bash -c script}, its path in $NTK. */
    private static ProcessBuilder shell(String script) {
        ProcessBuilder pb = Processes.launcher();
        pb.environment().put("NTK", pb.command().get(1));
        return pb.command("bash", "-c", script);
    }

    @Test
    void quotedJavaOptionsStayWhole() throws Exception {
        ProcessBuilder pb = Processes.launcher("--version");
        pb.environment().put("NTK_JAVA_OPTS", "-Dntk4j.test.a=\"a b\"  -Dntk4j.test.b='c  d' -XshowSettings:properties");
        Cli.Result r = Processes.run(pb);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("ntk4j.test.a = a b\n"), r.err());
        assertTrue(r.err().contains("ntk4j.test.b = c  d\n"), r.err());

        pb.environment().put("NTK_JAVA_OPTS", "-Dntk4j.test.a=\"a b");
        Cli.Result unclosed = Processes.run(pb);
        assertEquals(2, unclosed.code(), unclosed.toString());
        assertEquals("ntk: NTK_JAVA_OPTS has an unclosed \" quote: -Dntk4j.test.a=\"a b\n", unclosed.err());
    }
}
