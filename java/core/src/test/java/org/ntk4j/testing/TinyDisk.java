package org.ntk4j.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted on a folder, for tests that need a full (or read-only) file system. Where it cannot be
 * mounted (not root, no tmpfs, a container without the capability) the test is skipped — never passed — and the
 * reason printed.
 */
public final class TinyDisk implements AutoCloseable {
    /** Where it is mounted. */
    public final Path dir;

    private TinyDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} (e.g. "1m") with extra {@code options} (e.g. "ro") on {@code dir}. */
    public static TinyDisk mount(Path dir, String size, String... options) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", "tmpfs", "-o",
                String.join(",", "size=" + size, String.join(",", options)).replaceAll(",$", ""), "tmpfs",
                dir.toString()));
        String why;
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            why = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() == 0) {
                return new TinyDisk(dir);
            }
        } catch (IOException e) {
            why = e.getMessage();
        }
        String reason = "skipped: cannot mount a " + size + " tmpfs for a full-disk test (" + String.join(" ", cmd)
                + ": " + why + ")";
        System.out.println(reason);
        Assumptions.abort(reason);
        throw new AssertionError("unreachable");
    }

    /** Fills the disk with a file until at most {@code leave} bytes are free. */
    public void fill(long leave) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free > leave) {
            Files.write(dir.resolve("filler"), new byte[(int) (free - leave)]);
        }
    }

    @Override
    public void close() throws IOException {
        Process p = new ProcessBuilder("umount", "-l", dir.toString()).redirectErrorStream(true).start();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
