package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.Npz;
import org.ntk4j.testing.TinyDisk;

/**
 * The command line under hostile conditions: concurrent runs, kills, full and read-only disks, outputs that are
 * links, devices or inputs, overflowing results, singular kernels, broken and hostile files, odd names and flags.
 * Each test names the reliability promise it keeps (README, "Reliability"). Every failure is one line on stderr,
 * exit code 2, and leaves no file behind.
 */
class ReliabilityTest {
    @TempDir
    Path dir;
    Path x;

    @BeforeEach
    void inputs() throws IOException {
        x = dir.resolve("x.npy");
        Cli.randomInputs(x, 9, 4, 1, false);
    }

    /** Exit 2, exactly one line on stderr with these fragments, no stack trace, no unfinished file anywhere. */
    private void assertRefused(Cli.Result r, String... fragments) throws IOException {
        assertEquals(2, r.code(), r.toString());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception:"), "no stack trace: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "'" + f + "' missing in: " + err);
        }
        assertEquals(List.of(), Cli.leftovers(dir));
    }

    private static byte[] bytes(Path p) throws IOException {
        return Files.readAllBytes(p);
    }

    private Cli.Result kernel(Object... more) {
        Object[] base = {"kernel", "--x", x, "--arch", "4,7,3", "--seed", 2, "-q"};
        Object[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return Cli.run(all);
    }

    // ---- 1: concurrent runs and kills ------------------------------------------------------------------------

    /**
     * A run that takes a second or two after it has opened its output (a tiled full kernel on the reference
     * backend), so that it can be caught while writing: the temporary file appears, then the process is stopped.
     */
    private Object[] slowKernel(Path out) throws IOException {
        Path slow = dir.resolve("slow.npy");
        if (!Files.exists(slow)) {
            Cli.randomInputs(slow, 48, 16, 3, false);
        }
        return new Object[] {"kernel", "--x", slow, "--arch", "16,64,64,4", "--device", "reference", "--mode", "full",
            "--memory", "4m", "-q", "--out", out};
    }

    @Test
    void aSecondRunWritingTheSameOutputIsRefusedAndTheFirstFinishesWithItsOwnData() throws Exception {
        Path out = dir.resolve("k.npy");
        assertEquals(0, Cli.run(slowKernel(dir.resolve("want.npy"))).code());
        Process first = Processes.java(slowKernel(out)).start();
        try {
            Processes.awaitTemporaryFile(dir, first);
            Processes.signal(first, "STOP"); // holds its output while stopped
            Cli.Result second = Cli.run("kernel", "--x", x, "--arch", "4,7,3", "--seed", 99, "--out", out);
            assertEquals(2, second.code(), second.toString());
            assertTrue(second.err().contains("another process is writing it"), second.err());
            Processes.signal(first, "CONT");
            assertTrue(first.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, first.exitValue(), new String(first.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            first.destroyForcibly();
        }
        assertArrayEquals(bytes(dir.resolve("want.npy")), bytes(out), "the first run's kernel, whole");
        assertEquals(List.of(), Cli.leftovers(dir));
    }

    @Test
    void everyCommandClaimsItsOutputsAtStartSoASecondRunIsRefusedAtOnce() throws Exception {
        Path slow = dir.resolve("slow.npy");
        Cli.randomInputs(slow, 48, 16, 3, false);
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(y, 48, 4, 4, false);
        Path out = dir.resolve("pred.npy");
        Path run = dir.resolve("run");
        Object[][] commands = {
            {"regress", "--x", slow, "--y", y, "--x-test", slow, "--arch", "16,64,64,4", "--device", "reference",
                "--mode", "full", "--ridge", "1e-3", "-q", "--out", out},
            {"train", "--x", slow, "--y", y, "--arch", "16,64,64,4", "--device", "reference", "--steps", 400, "-q",
                "--out-dir", run},
        };
        for (Object[] command : commands) {
            Process first = Processes.java(command).start();
            Path folder = command[0].equals("train") ? run : dir;
            try {
                awaitTemporaryFile(folder, first);
                Processes.signal(first, "STOP");
                Cli.Result second = Cli.run(command);
                assertEquals(2, second.code(), second.toString());
                assertTrue(second.err().contains("another process is writing it"), second.err());
                Processes.signal(first, "CONT");
                assertTrue(first.waitFor(120, TimeUnit.SECONDS));
                assertEquals(0, first.exitValue(), new String(first.getErrorStream().readAllBytes(),
                        StandardCharsets.UTF_8));
            } finally {
                first.destroyForcibly();
            }
            assertEquals(List.of(), Cli.leftovers(folder));
        }
        assertArrayEquals(new int[] {48, 4}, Npy.read(out).shape());
    }

    /** As {@link Processes#awaitTemporaryFile}, for a folder the command creates itself. */
    private static void awaitTemporaryFile(Path folder, Process p) throws IOException, InterruptedException {
        while (!Files.isDirectory(folder) && p.isAlive()) {
            Thread.sleep(5);
        }
        Processes.awaitTemporaryFile(folder, p);
    }

    @Test
    void aKilledRunLeavesTheOldOutputAndTheNextRunCleansUp() throws Exception {
        Path out = dir.resolve("k.npy");
        Files.writeString(out, "previous result");
        Process run = Processes.java(slowKernel(out)).start();
        Processes.awaitTemporaryFile(dir, run);
        Processes.signal(run, "STOP");
        run.destroyForcibly().waitFor(); // SIGKILL: no cleanup of its own
        assertEquals("previous result", Files.readString(out));
        assertEquals(1, Cli.leftovers(dir).size(), "the killed run's temporary file: " + Cli.leftovers(dir));
        assertEquals(0, kernel("--out", out).code());
        assertEquals(List.of(), Cli.leftovers(dir), "the dead run's temporary file is gone");
        assertArrayEquals(new int[] {9, 9}, Npy.read(out).shape());
    }

    // ---- 2: outputs that are links or devices ---------------------------------------------------------------

    @Test
    void anOutputThatIsASymbolicLinkIsFollowedAndStaysALink() throws IOException {
        Path real = dir.resolve("real.npy");
        Files.writeString(real, "old");
        Path link = dir.resolve("link.npy");
        Files.createSymbolicLink(link, real);
        assertEquals(0, kernel("--out", link).code());
        assertTrue(Files.isSymbolicLink(link));
        assertArrayEquals(new int[] {9, 9}, Npy.read(real).shape());
    }

    @Test
    void anOutputThatIsADeviceIsWrittenThroughNeverReplaced() throws Exception {
        Path dev = dir.resolve("null");
        Process mk = new ProcessBuilder("mknod", dev.toString(), "c", "1", "3").redirectErrorStream(true).start();
        String why = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (mk.waitFor() != 0) {
            System.out.println("skipped: cannot create a device node (a copy of /dev/null) here: " + why);
        }
        Assumptions.assumeTrue(Files.exists(dev), "cannot create a device node here: " + why);
        assertEquals(0, kernel("--out", dev).code());
        assertEquals(0, kernel("--out", dir.resolve("p.npy"), "--save-weights", dev).code());
        assertFalse(Files.isRegularFile(dev), "still a device");
        assertRefused(Cli.run("kernel", "--x", x, "--arch", "4,7,3", "--memory", "8k", "--out", dev),
                "not a regular file", "tiles");
        assertFalse(Files.isRegularFile(dev));
    }

    @Test
    void anOutputThatIsAFifoIsWrittenThroughNeverReplaced() throws Exception {
        // mkfifo needs no privileges: this half runs everywhere, not only where device nodes can be made
        assertEquals(0, kernel("--out", dir.resolve("p.npy")).code());
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertEquals(0, kernel("--out", fifo).code());
        assertArrayEquals(bytes(dir.resolve("p.npy")), reader.get(30, TimeUnit.SECONDS), "the kernel came through");
    }

    /** The command line in a JVM of its own, its descriptors set up by a shell: {@code redirections} e.g. "1>>log". */
    private Cli.Result shell(String redirections, Object... args) throws IOException, InterruptedException {
        StringBuilder cmd = new StringBuilder("exec");
        for (String a : Processes.java(args).command()) {
            cmd.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        Path err = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd + " " + redirections + " 2>" + err).directory(dir.toFile());
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out");
        String e = Files.readString(err).replaceFirst("^WARNING: Using incubator modules: .*\n", "");
        Files.delete(err);
        return new Cli.Result(p.exitValue(), "", e);
    }

    @Test
    void anOutputNamingADescriptorIsWrittenThroughItAppendingNeverRenamedOver() throws Exception {
        Path want = dir.resolve("want.npy");
        assertEquals(0, kernel("--out", want).code());
        Path log = dir.resolve("log.txt");
        for (String name : new String[] {"/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"}) {
            Files.writeString(log, "old\n");
            Cli.Result r = shell(">>" + log, "kernel", "--x", x, "--arch", "4,7,3", "--seed", 2, "-q", "--out", name);
            assertEquals(0, r.code(), name + ": " + r);
            byte[] expected = java.util.Arrays.copyOf("old\n".getBytes(StandardCharsets.UTF_8), 4 + bytes(want).length);
            System.arraycopy(bytes(want), 0, expected, 4, bytes(want).length);
            assertArrayEquals(expected, bytes(log), name + ": appended to what the shell opened");
        }
        // A descriptor other than stdout, and a pipe.
        Files.writeString(log, "old\n");
        assertEquals(0, shell("3>>" + log, "kernel", "--x", x, "--arch", "4,7,3", "--seed", 2, "-q", "--out",
                "/dev/fd/3").code());
        assertEquals(4 + bytes(want).length, Files.size(log));
        Path piped = dir.resolve("piped.npy");
        Cli.Result r = shell("| cat > " + piped, "kernel", "--x", x, "--arch", "4,7,3", "--seed", 2, "-q", "--out",
                "/dev/stdout");
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(bytes(want), bytes(piped));
        assertEquals(List.of(), Cli.leftovers(dir));
    }

    @Test
    void anOutputNamingAClosedOrReadOnlyDescriptorIsRefusedAndNothingIsTouched() throws Exception {
        // Open for reading only: the file behind it is not an output the user named.
        Path input = dir.resolve("read-only-descriptor.txt");
        Files.writeString(input, "keep me");
        Cli.Result r = shell("1<" + input, "kernel", "--x", x, "--arch", "4,7,3", "-q", "--out", "/dev/stdout");
        assertRefused(r, "/dev/stdout", "descriptor 1 is not open for writing");
        assertEquals("keep me", Files.readString(input));
        // Closed: the JVM's first opened file (the runtime's own) got descriptor 1.
        Path modules = Path.of(System.getProperty("java.home"), "lib", "modules");
        long size = Files.size(modules);
        java.nio.file.attribute.FileTime modified = Files.getLastModifiedTime(modules);
        for (String name : new String[] {"/dev/stdout", "/proc/self/fd/1", "/dev/fd/1", "/dev/fd/7"}) {
            r = shell(">&- 7>&-", "kernel", "--x", x, "--arch", "4,7,3", "-q", "--out", name);
            assertRefused(r, name, "descriptor");
        }
        assertEquals(size, Files.size(modules));
        assertEquals(modified, Files.getLastModifiedTime(modules));
    }

    @Test
    void aFifoAsAnyInputIsRefusedAtOnceNeverWaitedOn() throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(y, 9, 3, 2, false);
        Path out = dir.resolve("out.npy");
        Object[][] runs = {
            {"kernel", "--x", fifo, "--arch", "4,7,3", "--out", out},
            {"kernel", "--x", x, "--x-test", fifo, "--arch", "4,7,3", "--out", out},
            {"kernel", "--x", x, "--weights", fifo, "--out", out},
            {"predict", "--x", x, "--y", fifo, "--x-test", x, "--arch", "4,7,3", "--out", out},
            {"regress", "--x", x, "--y", y, "--x-test", fifo, "--arch", "4,7,3", "--ridge", 1, "--out", out},
            {"train", "--x", x, "--y", fifo, "--arch", "4,7,3", "--out-dir", dir.resolve("run")},
        };
        for (Object[] run : runs) {
            // A run that did wait on the FIFO fails here after a minute (its thread, a daemon, stays blocked).
            Cli.Result r = CompletableFuture.supplyAsync(() -> Cli.run(run)).get(60, TimeUnit.SECONDS);
            assertRefused(r, fifo.toString(), "FIFO");
        }
    }

    // ---- 3: outputs never overwrite inputs (or each other) --------------------------------------------------

    @Test
    void everyCommandRefusesOutputsThatAreItsInputsOrEachOther() throws IOException {
        byte[] xBytes = bytes(x);
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(y, 9, 3, 2, false);
        Path p = dir.resolve("p.npz");
        assertEquals(0, kernel("--out", dir.resolve("k0.npy"), "--save-weights", p).code());
        byte[] pBytes = bytes(p);
        Files.createDirectory(dir.resolve("sub"));
        Path viaDotDot = dir.resolve("sub/../x.npy");
        Path link = dir.resolve("x-link.npy");
        Files.createSymbolicLink(link, x);

        assertRefused(kernel("--out", dir.resolve("k.npy"), "--save-weights", x), "--save-weights", "--x", "destroy the input");
        assertRefused(Cli.run("kernel", "--x", x, "--weights", p, "--out", p), "--out", "--weights");
        assertRefused(kernel("--out", viaDotDot), "--out", "same file as --x");
        assertRefused(kernel("--out", link), "--out", "same file as --x");
        assertRefused(kernel("--out", dir.resolve("k.npy"), "--save-weights", dir.resolve("sub/../k.npy")),
                "one output would overwrite the other");
        assertRefused(Cli.run("predict", "--x", x, "--y", y, "--x-test", x, "--arch", "4,7,3", "--out", x),
                "--out", "--x");
        assertRefused(Cli.run("train", "--x", x, "--y", y, "--arch", "4,7,3", "--steps", 1, "--out-dir",
                dir.resolve("run"), "--save-trained", y), "--save-trained", "--y");
        Files.createDirectory(dir.resolve("run"));
        Files.copy(x, dir.resolve("run/train.csv"));
        assertRefused(Cli.run("train", "--x", dir.resolve("run/train.csv"), "--y", y, "--arch", "4,7,3", "--steps", 1,
                "--out-dir", dir.resolve("run")), "train.csv");
        assertArrayEquals(xBytes, bytes(x), "the input is untouched");
        assertArrayEquals(pBytes, bytes(p));

        // An input named like an old-style partial file of the output is just an input.
        Path partial = dir.resolve("k.npy.partial");
        Files.copy(x, partial);
        assertEquals(0, Cli.run("kernel", "--x", partial, "--arch", "4,7,3", "--seed", 2, "-q", "--out",
                dir.resolve("k.npy")).code());
        assertArrayEquals(xBytes, bytes(partial));
        assertArrayEquals(bytes(dir.resolve("k0.npy")), bytes(dir.resolve("k.npy")));
    }

    // ---- 4, 5: full and read-only disks ---------------------------------------------------------------------

    @Test
    void aFullDiskIsOneLineAndTheOldOutputsSurviveIntact() throws Exception {
        Path mnt = dir.resolve("disk");
        try (TinyDisk disk = TinyDisk.mount(mnt, "1m")) {
            Path k = mnt.resolve("k.npy");
            Path pred = mnt.resolve("pred.npy");
            Path params = mnt.resolve("p.npz");
            Files.writeString(k, "old kernel");
            Files.writeString(pred, "old predictions");
            Files.writeString(params, "old parameters");
            disk.fill(32 << 10);
            Path big = dir.resolve("big.npy");
            Cli.randomInputs(big, 400, 4, 3, false);
            // tiled and memory-mapped: 400 × 400 float64 = 1.25 MB
            Cli.Result tiled = Cli.run("kernel", "--x", big, "--arch", "4,5,1", "--precision", "fp64", "--memory", "256k",
                    "--out", k);
            assertRefused(tiled, k.toString(), "No space left on device");
            assertEquals("old kernel", Files.readString(k));
            Path xt = dir.resolve("xt.npy");
            Cli.randomInputs(xt, 2000, 4, 4, false);
            Path y = dir.resolve("y.npy");
            Cli.randomInputs(y, 9, 8, 5, false);
            Cli.Result predict = Cli.run("predict", "--x", x, "--y", y, "--x-test", xt, "--arch", "4,7,8",
                    "--precision", "fp64", "--impl", "analytic", "--out", pred);
            assertRefused(predict, pred.toString(), "No space left on device");
            assertEquals("old predictions", Files.readString(pred));
            Cli.Result save = Cli.run("kernel", "--x", x, "--arch", "4,300,300,3", "--out", dir.resolve("k.npy"),
                    "--save-weights", params);
            assertRefused(save, params.toString(), "No space left on device");
            assertEquals("old parameters", Files.readString(params));
            assertEquals(List.of("filler", "k.npy", "p.npz", "pred.npy"), listing(mnt), "nothing left behind");
        }
    }

    @Test
    void aFullTemporaryFolderDoesNotStopOutputsThatHaveRoom() throws Exception {
        Path mnt = dir.resolve("tmp");
        try (TinyDisk disk = TinyDisk.mount(mnt, "1m")) {
            disk.fill(0);
            Path y = dir.resolve("y.npy");
            Cli.randomInputs(y, 9, 3, 2, false);
            ProcessBuilder pb = Processes.java("train", "--x", x, "--y", y, "--arch", "4,7,3", "--steps", 3, "-q",
                    "--out-dir", dir.resolve("run"));
            pb.command().add(1, "-Djava.io.tmpdir=" + mnt);
            Cli.Result r = Processes.run(pb);
            assertEquals(0, r.code(), r.toString());
            assertTrue(Files.size(dir.resolve("run/train.png")) > 1000);
            assertEquals(List.of("filler"), listing(mnt), "nothing left in the temporary folder");
        }
    }

    private static List<String> listing(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aReadOnlyFolderNamesTheUsersPath() throws Exception {
        Path mnt = dir.resolve("ro");
        try (TinyDisk disk = TinyDisk.mount(mnt, "1m", "ro")) {
            Path out = disk.dir.resolve("k.npy");
            assertRefused(kernel("--out", out), out.toString(), "Read-only file system");
        }
    }

    @Test
    void aLongLegalNameWorks() throws IOException {
        Path out = dir.resolve("k".repeat(250) + ".npy");
        Cli.Result r = kernel("--out", out);
        assertEquals(0, r.code(), r.toString());
        assertArrayEquals(new int[] {9, 9}, Npy.read(out).shape());
    }

    // ---- 9, 13: results that are not numbers, kernels that cannot be inverted --------------------------------

    @Test
    void overflowIsOneLineWithAdviceNeverAFileOfInfinities() throws IOException {
        Path huge = dir.resolve("huge.npy");
        Npy.write(huge, Matrix.of(new double[][] {{1e30, 0, 0, 1}, {0, 1e30, 1, 0}}).asTensor());
        Path out = dir.resolve("k.npy");
        assertRefused(Cli.run("kernel", "--x", huge, "--arch", "4,7,3", "--out", out), "overflow",
                "--precision fp64", "1.00e+30");
        Path enormous = dir.resolve("enormous.npy");
        Npy.write(enormous, Matrix.of(new double[][] {{1e300, 0, 0, 1}, {0, 1e300, 1, 0}}).asTensor());
        assertRefused(Cli.run("kernel", "--x", enormous, "--arch", "4,7,3", "--precision", "fp64", "--impl", "jacobian",
                "--out", out), "rescale");
        assertRefused(kernel("--wstd", "1e200", "--out", out), "σ_w = 1.00e+200");
        Path y = dir.resolve("y.npy");
        Cli.randomInputs(y, 2, 3, 7, false);
        assertRefused(Cli.run("predict", "--x", huge, "--y", y, "--x-test", huge, "--arch", "4,7,3", "--out", out),
                "overflow");
        Path yx = dir.resolve("yx.npy");
        Cli.randomInputs(yx, 9, 3, 8, false);
        assertRefused(Cli.run("train", "--x", x, "--y", yx, "--arch", "4,7,3", "--wstd", "1e200", "--steps", 2, "--out-dir",
                dir.resolve("run")), "overflowed", "σ_w = 1.00e+200");
        assertRefused(Cli.run("train", "--x", x, "--y", yx, "--arch", "4,7,3", "--wstd", "1e200", "--lr", "0.1",
                "--steps", 2, "--out-dir", dir.resolve("run")), "overflow", "σ_w = 1.00e+200");
        assertFalse(Files.exists(out));
    }

    @Test
    void aSingularTrainingKernelIsTheUsersDataAndRidgeFixesIt() throws IOException {
        // Duplicated rows of zeros in a network without biases: the kernel is exactly zero, singular on any
        // machine (duplicates of other rows are singular only up to rounding, which may or may not show).
        double[][] rows = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
        Path dup = dir.resolve("dup.npy");
        Npy.write(dup, Matrix.of(rows).asTensor());
        Path y = dir.resolve("y.npy");
        Npy.write(y, Matrix.of(new double[][] {{1}, {0}, {1}}).asTensor());
        Path out = dir.resolve("pred.npy");
        Object[] args = {"predict", "--x", dup, "--y", y, "--x-test", x, "--arch", "4,7,1", "--bstd", "none",
            "--precision", "fp64", "--out", out};
        assertRefused(Cli.run(args), "singular", "duplicated rows", "--ridge");
        Object[] ridged = java.util.Arrays.copyOf(args, args.length + 2);
        ridged[args.length] = "--ridge";
        ridged[args.length + 1] = "1e-6";
        Cli.Result ok = Cli.run(ridged);
        assertEquals(0, ok.code(), ok.toString());
    }

    @Test
    void numbersThatWouldBeWrongAreRefusedWithTheirRealCause() throws IOException {
        Path xs = dir.resolve("xs.npy");
        Cli.randomInputs(xs, 16, 4, 11, false);
        Path ys = dir.resolve("ys.npy");
        Matrix yv = Cli.randomInputs(ys, 16, 3, 12, false);
        Path out = dir.resolve("pred.npy");
        Object[] regress = {"regress", "--x", xs, "--y", ys, "--x-test", x, "--arch", "4,1,3", "--impl", "analytic",
            "-q", "--out", out};
        // A deep analytic kernel whose values exceed float32: refused, not written as infinities.
        assertRefused(Cli.run("kernel", "--x", x, "--arch", "4," + "8,".repeat(200) + "3", "--impl", "analytic",
                "--wstd", 2, "--out", out), "overflowed", "beyond float32", "201 layers");
        // Targets whose predictions exceed float32.
        double[] big = yv.data().clone();
        for (int i = 0; i < big.length; i++) {
            big[i] *= 1e40;
        }
        Path yBig = dir.resolve("y-big.npy");
        Npy.write(yBig, new Matrix(16, 3, big).asTensor());
        Object[] bigTargets = regress.clone();
        bigTargets[4] = yBig;
        assertRefused(Cli.run(cat(bigTargets, "--ridge", 1e-3)), "the predictions", "float32");
        // Inputs whose squared norms overflow: the cause, not "variance is Infinity" or "contains NaN".
        Path xHuge = dir.resolve("x-huge.npy");
        Npy.write(xHuge, Matrix.of(new double[][] {{1e200, 0, 0, 1}}).asTensor());
        assertRefused(Cli.run("kernel", "--x", xHuge, "--arch", "4,7,3", "--impl", "analytic", "--precision", "fp64",
                "--out", out), "squared norm", "overflows fp64", "rescale");
        // A ridge so large that Θ + λI overflows: exit 2 naming the overflow.
        assertRefused(Cli.run(cat(regress, "--ridge", "1.7e308", "--precision", "fp64")), "overflow");

        // Duplicated examples with different targets and no ridge: singular, whatever the preconditioner.
        double[] dupX = Npy.read(xs).toDoubleArray();
        System.arraycopy(dupX, 0, dupX, 4, 4); // row 1 := row 0
        Path xDup = dir.resolve("x-dup.npy");
        Npy.write(xDup, new Matrix(16, 4, dupX).asTensor());
        Object[] dup = regress.clone();
        dup[2] = xDup;
        for (String pre : new String[] {"nystrom", "none", "block-jacobi"}) {
            assertRefused(Cli.run(cat(dup, "--ridge", 0, "--precond", pre, "--precision", "fp64")), "singular",
                    "duplicated rows (0 and 1)", "--ridge");
        }
        assertRefused(Cli.run("predict", "--x", xDup, "--y", ys, "--x-test", x, "--arch", "4,1,3", "--impl", "analytic",
                "--precision", "fp64", "--out", out), "singular", "duplicated rows");
        Cli.Result noDuplicates = Cli.run("predict", "--x", xs, "--y", ys, "--x-test", x, "--arch", "4,1,3",
                "--act", "identity", "--bstd", "none", "--impl", "analytic", "--precision", "fp64", "--out", out);
        assertRefused(noDuplicates, "singular", "nearly linearly dependent");
        assertFalse(noDuplicates.err().contains("parameters"), "an infinite-width kernel has no parameter count");
        // The empirical kernel of a width-2 network: rank ≤ its 14 parameters < 16 examples · 3 outputs.
        assertRefused(Cli.run("regress", "--x", xs, "--y", ys, "--x-test", x, "--arch", "4,2,3", "--bstd", "none",
                "--precision", "fp64", "-q", "--out", out), "singular", "more targets to fit (N·O = 48)",
                "parameters (14)", "--ridge");

        // All-zero inputs with a ridge: K + λI = λI is well posed; the preconditioner degrades to none.
        Path zeros = dir.resolve("zeros.npy");
        Npy.write(zeros, Matrix.zeros(16, 4).asTensor());
        Object[] zero = regress.clone();
        zero[2] = zeros;
        zero[6] = zeros;
        Cli.Result r = Cli.run(cat(zero, "--ridge", 1, "--bstd", "none"));
        assertEquals(0, r.code(), r.toString());
        for (double v : Npy.read(out).toDoubleArray()) {
            assertEquals(0.0, v, "Θ(0, ·) = 0 without biases");
        }

        // A block size beyond int once multiplied by the outputs: one block, not a negative shape.
        Cli.Result huge = Cli.run("regress", "--x", xs, "--y", ys, "--x-test", x, "--arch", "4,5,3", "--mode", "full",
                "--precond", "block-jacobi", "--tile", 1073741824, "--ridge", "1e-2", "-q", "--out", out);
        assertEquals(0, huge.code(), huge.toString());

        // Gradient descent: whole steps only, and a diverging learning rate says so (not "use fp64").
        Object[] predict = {"predict", "--x", xs, "--y", ys, "--x-test", x, "--arch", "4,16,3", "--out", out};
        assertRefused(Cli.run(cat(predict, "--t", 0.5)), "whole number");
        assertRefused(Cli.run(cat(predict, "--t", 1000, "--lr", "1e6")), "diverges", "--lr");
        assertEquals(List.of(), Cli.leftovers(dir));
    }

    private static Object[] cat(Object[] a, Object... b) {
        Object[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    // ---- 10: parameter files keep their settings; gaps refused -------------------------------------------------

    @Test
    void savedParametersReloadAsTheSameNetworkAndConflictingFlagsAreRefused() throws IOException {
        Path p = dir.resolve("p.npz");
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        assertEquals(0, kernel("--act", "tanh", "--wstd", "1.5", "--bstd", "0.5", "--out", a, "--save-weights", p,
                "--precision", "fp64").code());
        assertEquals(0, Cli.run("kernel", "--x", x, "--weights", p, "--precision", "fp64", "-q", "--out", b).code());
        assertArrayEquals(bytes(a), bytes(b), "the file's settings, not the defaults");
        assertRefused(Cli.run("kernel", "--x", x, "--weights", p, "--act", "relu", "--out", dir.resolve("c.npy")),
                "was saved with --act tanh", "--act relu");
        Map<String, Tensor> gap = new java.util.LinkedHashMap<>(Npz.read(p));
        gap.put("W3", gap.remove("W1"));
        gap.remove("b1");
        Path gapFile = dir.resolve("gap.npz");
        Npz.write(gapFile, gap);
        assertRefused(Cli.run("kernel", "--x", x, "--weights", gapFile, "--out", dir.resolve("c.npy")), "has W3 but no W1");
    }

    // ---- 11, 12, 17: broken inputs, odd names and flags ------------------------------------------------------

    @Test
    void brokenAndHostileInputsAreOneLineNamingTheFile() throws IOException {
        Path out = dir.resolve("k.npy");
        byte[] good = bytes(x);
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, java.util.Arrays.copyOf(good, 40));
        assertRefused(Cli.run("kernel", "--x", cut, "--arch", "4,7,3", "--out", out), cut.toString(), "header cut short");
        Path extra = dir.resolve("extra.npy");
        String header = new String(good, 10, 118, StandardCharsets.ISO_8859_1);
        Files.write(extra, (new String(good, 0, 10, StandardCharsets.ISO_8859_1)
                + header.replace("'shape'", "'meta': {'shape': (1,)}, 'shape'").substring(0, 118)
                + new String(good, 128, good.length - 128, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1));
        assertRefused(Cli.run("kernel", "--x", extra, "--arch", "4,7,3", "--out", out), extra.toString(), "key 'meta'");
        Path huge = dir.resolve("huge.npy");
        Files.write(huge, java.util.Arrays.copyOf(good, 640));
        byte[] h = bytes(huge);
        String s = new String(h, StandardCharsets.ISO_8859_1).replace("(9, 4), ", "(20000, 20000), ").substring(0, 640);
        Files.write(huge, s.getBytes(StandardCharsets.ISO_8859_1));
        assertRefused(Cli.run("kernel", "--x", huge, "--arch", "4,7,3", "--out", out), huge.toString(), "needs");
        Path loop = dir.resolve("loop.npy");
        Files.createSymbolicLink(loop, loop);
        assertRefused(Cli.run("kernel", "--x", loop, "--arch", "4,7,3", "--out", out), loop.toString(),
                "symbolic link loop");
        assertRefused(Cli.run("kernel", "--x", "/proc/self/mem", "--arch", "4,7,3", "--out", out), "/proc/self/mem");
        assertRefused(Cli.run("kernel", "--x=", "--arch", "4,7,3", "--out", out), "--x", "empty file name");
        assertRefused(kernel("--memory", "1e30", "--out", out), "more memory than any machine has");
        assertRefused(kernel("--memory", "0.5", "--out", out), "less than one byte");
        assertRefused(Cli.run("kernel", "--x", x, "--arch", "8,32,2,", "--out", out), "width 4 is empty");
        assertRefused(Cli.run("kernel", "--x", x, "--arch", "4,1,50000", "--mode", "full", "--out", out),
                "values per pair", "tiles cannot split a pair", "--mode diagonal or trace");
        assertRefused(kernel("--wstd", "NaN", "--out", out), "--wstd");
    }

    // ---- 18: what the summary and the progress say -----------------------------------------------------------

    @Test
    void theSummaryNamesTheImplementationThatRan() {
        Cli.Result r = Cli.run("kernel", "--x", x, "--arch", "4,7,3", "--device", "cpu", "--out", dir.resolve("k.npy"));
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains(", structured]") && !r.err().contains("auto]"), r.err());
    }

    @Test
    void progressOffATerminalIsLinesNotCarriageReturns() throws IOException {
        Path big = dir.resolve("big.npy");
        Cli.randomInputs(big, 120, 4, 3, false);
        Cli.Result r = Cli.run("kernel", "--x", big, "--arch", "4,5,1", "--memory", "64k", "--out", dir.resolve("k.npy"));
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.err().contains("\r"), "no carriage returns: " + r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("kernel") && l.contains("tiles")), r.err());
        java.io.StringWriter tty = new java.io.StringWriter();
        try (Progress.Bar bar = Progress.bar(new java.io.PrintWriter(tty), "kernel", 3, "tiles", true)) {
            bar.step();
        }
        assertTrue(tty.toString().contains("\r"), "on a terminal the bar is redrawn in place");
    }

    @Test
    void ctrlCEndsTheProgressSaysInterruptedAndLeavesNothing() throws Exception {
        Path big = dir.resolve("big.npy");
        Cli.randomInputs(big, 600, 16, 3, false);
        Path out = dir.resolve("k.npy");
        Path err = dir.resolve("stderr.txt");
        Process p = Processes.launcher("kernel", "--x", big, "--arch", "16,64,64,4", "--device", "reference", "--mode",
                "full", "--memory", "4m", "--out", out).redirectError(err.toFile()).start();
        try {
            Processes.awaitTemporaryFile(dir, p);
            Thread.sleep(300);
            Processes.signal(p, "INT");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stopped");
        } finally {
            p.destroyForcibly();
        }
        String text = Files.readString(err);
        assertEquals(130, p.exitValue(), text);
        List<String> lines = text.lines().toList();
        assertEquals("ntk kernel: interrupted; unfinished output files removed", lines.get(lines.size() - 1), text);
        assertFalse(text.contains("WARNING: Using incubator"), text);
        assertFalse(Files.exists(out));
        assertEquals(List.of(), Cli.leftovers(dir));
    }

    @Test
    void overwritingAnOutputNeverShowsAHalfWrittenFile() throws Exception {
        // Readers polling the output while it is rewritten see the old or the new kernel, never anything else.
        Path big = dir.resolve("big.npy");
        Cli.randomInputs(big, 300, 4, 3, false);
        Path out = dir.resolve("k.npy");
        assertEquals(0, Cli.run("kernel", "--x", big, "--arch", "4,9,1", "-q", "--out", out).code());
        byte[] before = bytes(out);
        CompletableFuture<Cli.Result> rewrite = CompletableFuture.supplyAsync(() -> Cli.run("kernel", "--x", big,
                "--arch", "4,9,1", "--seed", 5, "-q", "--memory", "128k", "--out", out));
        int reads = 0;
        while (!rewrite.isDone()) {
            byte[] now = bytes(out);
            assertEquals(before.length, now.length, "a whole file");
            if (!java.util.Arrays.equals(before, now)) {
                Npy.read(out); // the new one, complete
            }
            reads++;
        }
        assertEquals(0, rewrite.get().code(), rewrite.get().toString());
        assertTrue(reads > 0);
        assertFalse(java.util.Arrays.equals(before, bytes(out)));
        assertEquals(List.of(), Cli.leftovers(dir));
    }
}
