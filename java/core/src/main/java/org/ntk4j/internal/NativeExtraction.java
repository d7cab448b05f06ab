package org.ntk4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Copying native libraries out of jars so that no partial file is ever left or loaded: each one is written to a
 * unique temporary name beside its destination and renamed over it in one step (a rename within one folder is
 * atomic), and the temporary is deleted on any failure (a full disk above all). A library under its final name is
 * therefore always whole, for this process and for every other JVM that finds it later. Internal: shared by the
 * bundled OpenBLAS (ntk4j-core) and JCuda's library (ntk4j-cuda).
 */
public final class NativeExtraction {
    /** System property naming the folder native libraries are extracted to. */
    public static final String CACHE_PROPERTY = "ntk4j.native.cache";

    private NativeExtraction() {
    }

    /**
     * Writes {@code bytes} bytes of {@code in} to {@code destination} atomically, unless a file of that size is
     * already there (whole, since nothing else ever writes under the final name). The caller closes {@code in}.
     *
     * @param in the library's contents
     * @param bytes the expected size, or -1 when unknown (then an existing file is always replaced)
     * @param destination the final file; its folder must exist
     * @return {@code destination}
     * @throws IOException when the copy or the rename fails (the temporary file is gone by then); a copy shorter
     *         than {@code bytes} is such a failure
     */
    public static Path extract(InputStream in, long bytes, Path destination) throws IOException {
        if (bytes >= 0 && Files.isRegularFile(destination) && Files.size(destination) == bytes) {
            return destination;
        }
        Path temp = Files.createTempFile(destination.getParent(), destination.getFileName().toString(), ".part");
        try {
            long copied = Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            if (bytes >= 0 && copied != bytes) {
                throw new IOException("copied " + copied + " of the " + bytes + " bytes of " + destination.getFileName());
            }
            Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return destination;
        } finally {
            Files.deleteIfExists(temp); // gone already after a successful rename
        }
    }

    /**
     * The folder native libraries are cached in: {@value #CACHE_PROPERTY} if set, else {@code $XDG_CACHE_HOME/ntk4j}
     * or {@code ~/.cache/ntk4j} when it can be created and written, else {@code java.io.tmpdir/ntk4j-USER}. It is
     * created if missing.
     *
     * @return the folder
     * @throws IOException when the chosen folder cannot be created
     */
    public static Path cacheRoot() throws IOException {
        String configured = System.getProperty(CACHE_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Files.createDirectories(Path.of(configured));
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        Path root = base.resolve("ntk4j");
        try {
            Files.createDirectories(root);
            if (Files.isWritable(root)) {
                return root;
            }
        } catch (IOException | SecurityException e) {
            // fall through to the temporary folder
        }
        return Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"),
                "ntk4j-" + System.getProperty("user.name", "user")));
    }
}
