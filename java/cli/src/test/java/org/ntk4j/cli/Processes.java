package org.ntk4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the command line in a separate JVM (or through the ./ntk launcher) when a test needs a real process. */
final class Processes {
    private Processes() {
    }

    /** The repository root (the tests run in java/cli). */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("ntk"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no ntk launcher above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /** {@code java … org.ntk4j.cli.Main args} with this JVM's class path, as the launcher would start it. */
    static ProcessBuilder java(Object... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        return new ProcessBuilder(cmd);
    }

    /** {@code bash ./ntk args} running this build's classes (NTK4J_CLASSPATH: no build, no jar). */
    static ProcessBuilder launcher(Object... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", root().resolve("ntk").toString()));
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("NTK4J_CLASSPATH", System.getProperty("java.class.path"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("NTK_JAVA_OPTS");
        return pb;
    }

    /** Runs to the end (at most two minutes) and returns what it printed. */
    static Cli.Result run(ProcessBuilder pb) throws IOException, InterruptedException {
        Path out = Files.createTempFile("ntk-out", ".txt");
        Path err = Files.createTempFile("ntk-err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + pb.command());
            }
            return new Cli.Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Sends a signal (e.g. "INT", "STOP", "CONT") to a process. */
    static void signal(Process p, String signal) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
        if (rc != 0) {
            throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed");
        }
    }

    /** Waits (at most a minute) until {@code folder} has the (locked) temporary file of an unfinished output. */
    static void awaitTemporaryFile(Path folder, Process p) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (Cli.leftovers(folder).stream().noneMatch(n -> n.endsWith(".tmp"))) {
            if (!p.isAlive()) {
                throw new AssertionError("the process ended (exit " + p.exitValue() + ") before writing: "
                        + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no temporary file appeared in " + folder);
            }
            Thread.sleep(5);
        }
    }
}
