package org.ntk4j.internal.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.io.OutputInUseException;

/** Outputs appear whole or not at all, replace only regular files, and one writer at a time. */
class OutputFileTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theTargetChangesOnlyOnCommitAndNothingIsLeftBehind() throws IOException {
        Path out = dir.resolve("k.npy");
        Files.writeString(out, "old");
        try (OutputFile f = OutputFile.open(out)) {
            f.stream().write("half".getBytes(StandardCharsets.UTF_8));
            assertEquals("old", Files.readString(out), "the target is untouched while written");
        }
        assertEquals("old", Files.readString(out), "closed without commit: the old file stays");
        assertEquals(List.of("k.npy"), names());
        try (OutputFile f = OutputFile.open(out)) {
            f.stream().write("new".getBytes(StandardCharsets.UTF_8));
            f.commit();
        }
        assertEquals("new", Files.readString(out));
        assertEquals(List.of("k.npy"), names());
        IOException failing = new IOException("disk on fire");
        assertThrows(IOException.class, () -> OutputFile.write(out, s -> {
            s.write("partial".getBytes(StandardCharsets.UTF_8));
            throw failing;
        }));
        assertEquals("new", Files.readString(out));
        assertEquals(List.of("k.npy"), names());
    }

    @Test
    void aSymbolicLinkIsFollowedAndKept() throws IOException {
        Path real = Files.createDirectory(dir.resolve("real")).resolve("data.npy");
        Files.writeString(real, "old");
        Path link = dir.resolve("link.npy");
        Files.createSymbolicLink(link, real);
        OutputFile.writeString(link, "new");
        assertTrue(Files.isSymbolicLink(link), "the link is still a link");
        assertEquals("new", Files.readString(real));
        Path dangling = dir.resolve("dangling.npy");
        Files.createSymbolicLink(dangling, dir.resolve("missing/nothing.npy"));
        FileSystemException e = assertThrows(FileSystemException.class, () -> OutputFile.writeString(dangling, "x"));
        assertEquals(dangling.toString(), e.getFile());
    }

    @Test
    void aFifoIsWrittenThroughNotReplaced() throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo is not available here");
        CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readString(fifo);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        OutputFile.writeString(fifo, "through the pipe");
        assertEquals("through the pipe", reader.get(10, TimeUnit.SECONDS));
        assertFalse(Files.isRegularFile(fifo), "still a FIFO");
    }

    @Test
    void aDeviceIsWrittenThroughNotReplaced() throws Exception {
        Path dev = dir.resolve("null");
        // A private copy of /dev/null (char device 1:3), so a failure here cannot touch the real one.
        Process mk = new ProcessBuilder("mknod", dev.toString(), "c", "1", "3").redirectErrorStream(true).start();
        String why = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (mk.waitFor() != 0) {
            System.out.println("skipped: cannot create a device node here (" + why + ")");
        }
        Assumptions.assumeTrue(Files.exists(dev), "cannot create a device node here: " + why);
        try (OutputFile f = OutputFile.open(dev, 1 << 20)) {
            assertFalse(f.isRegularFile());
            f.stream().write(new byte[4096]);
            f.commit();
        }
        assertFalse(Files.isRegularFile(dev), "still a device");
        assertTrue(Files.exists(dev));
        assertEquals(List.of("null"), names());
    }

    @Test
    void aSecondWriterOfTheSameFileIsRefusedWhileTheFirstWrites() throws Exception {
        Path out = dir.resolve("k.npy");
        try (OutputFile first = OutputFile.open(out)) {
            OutputInUseException e = assertThrows(OutputInUseException.class, () -> OutputFile.open(out));
            assertEquals(out.toString(), e.getFile());
            Path viaDotDot = dir.resolve("sub/../k.npy");
            Files.createDirectory(dir.resolve("sub"));
            assertThrows(OutputInUseException.class, () -> OutputFile.open(viaDotDot));
            first.stream().write(1);
            first.commit();
        }
        try (OutputFile again = OutputFile.open(out)) {
            again.commit();
        }
    }

    @Test
    void anotherProcessWritingTheFileIsRefusedAndAKilledOnesLeftoversAreRemoved() throws Exception {
        Path out = dir.resolve("k.npy");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Holder.class.getName(), out.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("writing", r.readLine());
            OutputInUseException e = assertThrows(OutputInUseException.class, () -> OutputFile.open(out));
            assertTrue(e.getMessage().contains("another process is writing it"), e.getMessage());
        } finally {
            holder.destroyForcibly().waitFor(); // SIGKILL: no hook runs, its temporary file stays
        }
        assertEquals(1, names().stream().filter(n -> n.endsWith(".tmp")).count(), "a killed writer leaves its file");
        OutputFile.writeString(out, "mine");
        assertEquals(List.of("k.npy"), names(), "the next writer removed the dead one's file");
        assertEquals("mine", Files.readString(out));
    }

    /** Opens an output, says so, and waits to be killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            OutputFile f = OutputFile.open(Path.of(args[0]));
            f.stream().write("theirs".getBytes(StandardCharsets.UTF_8));
            System.out.println("writing");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    @Test
    void longNamesWorkAndErrorsNameTheTargetNotATemporaryFile() throws IOException {
        Path longest = dir.resolve("k".repeat(250) + ".npy");
        OutputFile.writeString(longest, "ok");
        assertEquals("ok", Files.readString(longest));
        Path tooLong = dir.resolve("k".repeat(260) + ".npy");
        FileSystemException e = assertThrows(FileSystemException.class, () -> OutputFile.writeString(tooLong, "x"));
        assertEquals(tooLong.toString(), e.getFile());
        assertTrue(e.getMessage().contains("too long"), e.getMessage());
        assertEquals(1, names().size(), "only the first file: " + names());
        FileSystemException missing = assertThrows(FileSystemException.class,
                () -> OutputFile.writeString(dir.resolve("no/such/folder.npy"), "x"));
        assertTrue(missing.getMessage().contains("folder") && missing.getMessage().contains("does not exist"),
                missing.getMessage());
    }

    @Test
    void sameFileSeesThroughLinksDotDotAndHardLinks() throws IOException {
        Path a = dir.resolve("a.npy");
        Files.writeString(a, "x");
        Files.createDirectory(dir.resolve("sub"));
        Path link = dir.resolve("link.npy");
        Files.createSymbolicLink(link, a);
        Path hard = dir.resolve("hard.npy");
        Files.createLink(hard, a);
        assertTrue(OutputFile.sameFile(a, dir.resolve("sub/../a.npy")));
        assertTrue(OutputFile.sameFile(a, link));
        assertTrue(OutputFile.sameFile(hard, a));
        assertTrue(OutputFile.sameFile(dir.resolve("new.npy"), dir.resolve("sub/../new.npy")), "not yet existing");
        assertFalse(OutputFile.sameFile(a, dir.resolve("b.npy")));
    }
}
