package org.ntk4j.cuda;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jcuda.JCudaVersion;
import jcuda.LibUtils;
import jcuda.driver.JCudaDriver;
import org.ntk4j.internal.NativeExtraction;

/**
 * JCuda's JNI library ({@code libJCudaDriver-VERSION-PLATFORM.so}), extracted by ntk4j instead of by JCuda.
 *
 * <p>JCuda 12.6.0's {@code LibUtils.loadLibrary} first tries {@code System.loadLibrary} (a copy on
 * {@code java.library.path}); failing that it copies the jar's {@code /lib/FILE} to {@code java.io.tmpdir/FILE} —
 * a fixed name, written in place, not deleted when the copy fails — unless a file of that name is already there,
 * which it then loads as it is. A copy cut short by a full temporary folder is therefore left behind and loaded by
 * every later run (so would be another user's file of that name in a shared {@code /tmp}). JCuda has no setting for
 * another folder, but it reads the {@code java.io.tmpdir} property at the moment it extracts. So before
 * {@link JCudaDriver} initialises, the library is extracted by {@link NativeExtraction} (a temporary beside it,
 * renamed atomically) into ntk4j's cache folder, and the property names that folder while the class initialises:
 * JCuda finds the whole file there, loads it by path and writes nothing. The JDK's own temporary files are
 * unaffected (it read the property once at startup). When the extraction fails, JCudaDriver is never touched, so
 * JCuda never writes its own copy either.
 */
final class JCudaLibrary {
    private static boolean loaded;

    private JCudaLibrary() {
    }

    /** The library's file name, as JCuda names it, e.g. {@code libJCudaDriver-12.6.0-linux-x86_64.so}. */
    static String fileName() {
        return LibUtils.createLibraryFileName(LibUtils.createPlatformLibraryName("JCudaDriver-" + JCudaVersion.get()));
    }

    /**
     * Extracts the library into {@code folder/jcuda-VERSION} (no-op when it is whole there already).
     *
     * @return the extracted file, or null when the jar of JCuda's natives for this platform is not on the class path
     * @throws IOException when it cannot be written (nothing partial is left)
     */
    static Path extract(Path folder) throws IOException {
        String file = fileName();
        try (InputStream in = LibUtils.class.getResourceAsStream("/lib/" + file)) {
            if (in == null) {
                return null;
            }
            byte[] bytes = in.readAllBytes(); // 1.2 MB: its size tells whether a file there is whole
            Path dir = Files.createDirectories(folder.resolve("jcuda-" + JCudaVersion.get()));
            return NativeExtraction.extract(new ByteArrayInputStream(bytes), bytes.length, dir.resolve(file));
        }
    }

    /**
     * Loads JCuda's library (once per process) from ntk4j's cache folder, or from {@code java.library.path} where it
     * is found there, then initialises {@link JCudaDriver}.
     *
     * @throws UncheckedIOException when the library cannot be extracted (a full or unwritable cache folder)
     */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        if (onLibraryPath()) {
            JCudaDriver.setExceptionsEnabled(false); // JCuda's System.loadLibrary finds it: nothing is extracted
            loaded = true;
            return;
        }
        Path extracted;
        try {
            extracted = extract(NativeExtraction.cacheRoot());
        } catch (IOException e) {
            throw new UncheckedIOException("JCuda's native library " + fileName() + " could not be extracted: "
                    + e.getMessage(), e);
        }
        if (extracted == null) {
            JCudaDriver.setExceptionsEnabled(false); // no natives jar: JCuda finds nothing to write and says so
            loaded = true;
            return;
        }
        String tmpdir = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", extracted.getParent().toString());
        try {
            JCudaDriver.setExceptionsEnabled(false); // initialises the class, which loads the library
        } finally {
            System.setProperty("java.io.tmpdir", tmpdir);
        }
        loaded = true;
    }

    private static boolean onLibraryPath() {
        String name = fileName();
        for (String dir : System.getProperty("java.library.path", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isRegularFile(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }
}
