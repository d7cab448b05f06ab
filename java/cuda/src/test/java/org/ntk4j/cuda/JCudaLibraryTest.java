package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.testing.TinyDisk;

/**
 * JCuda's native library is extracted by ntk4j, whole or not at all, into ntk4j's cache folder: JCuda itself never
 * writes into java.io.tmpdir (where it would leave a partial copy on a full disk and load it on every later run).
 * Each case runs in a JVM of its own, since JCuda's class initialises once per process. No GPU is needed: where
 * {@code libcuda.so.1} is missing the library fails to load after extraction, which changes nothing here.
 */
class JCudaLibraryTest {
    @TempDir
    Path dir;

    /** The child JVM: loads JCuda's library, prints how it ended. */
    public static void main(String[] args) {
        try {
            JCudaLibrary.load();
            System.out.println("loaded");
        } catch (java.io.UncheckedIOException e) {
            System.out.println("extraction failed: " + e.getMessage());
        } catch (Throwable e) {
            System.out.println("load failed: " + e); // no libcuda.so.1 here: fine (the message names the file tried)
        }
    }

    private String child(Path tmp, Path cache) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp, "-Dntk4j.native.cache=" + cache,
                "-cp", System.getProperty("java.class.path"), JCudaLibraryTest.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out;
    }

    private static byte[] resource() throws IOException {
        try (InputStream in = jcuda.LibUtils.class.getResourceAsStream("/lib/" + JCudaLibrary.fileName())) {
            assertTrue(in != null, "JCuda's natives for this platform are on the test class path");
            return in.readAllBytes();
        }
    }

    @Test
    void theLibraryGoesWholeIntoTheCacheAndNothingIntoTheTemporaryFolder() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        Path cache = dir.resolve("cache");
        String out = child(tmp, cache);
        assertTrue(out.contains("loaded") || out.contains("load failed"), out);
        assertEquals(List.of(), listing(tmp), "JCuda wrote nothing into java.io.tmpdir: " + out);
        Path lib = cache.resolve("jcuda-" + jcuda.JCudaVersion.get()).resolve(JCudaLibrary.fileName());
        assertArrayEquals(resource(), Files.readAllBytes(lib));
        assertEquals(List.of(JCudaLibrary.fileName()), listing(lib.getParent()));
    }

    @Test
    void aFullCacheIsAReasonAndLeavesNoPartialFileAnywhere() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        try (TinyDisk disk = TinyDisk.mount(dir.resolve("cache"), "1m")) {
            disk.fill(64 << 10); // the library is 1.2 MB
            String out = child(tmp, disk.dir);
            assertTrue(out.contains("extraction failed: JCuda's native library " + JCudaLibrary.fileName()
                    + " could not be extracted") && out.contains("No space left on device"), out);
            assertEquals(List.of(), listing(tmp), "JCuda did not extract its own copy instead: " + out);
            assertEquals(List.of("filler", "jcuda-" + jcuda.JCudaVersion.get()), listing(disk.dir));
            assertEquals(List.of(), listing(disk.dir.resolve("jcuda-" + jcuda.JCudaVersion.get())));
        }
    }

    @Test
    void aPartialCopyLeftByJCudaInTheTemporaryFolderIsNeverLoaded() throws Exception {
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        byte[] lib = resource();
        Path partial = tmp.resolve(JCudaLibrary.fileName());
        Files.write(partial, java.util.Arrays.copyOf(lib, 4096)); // what JCuda's own copy leaves on a full disk
        Path cache = dir.resolve("cache");
        String out = child(tmp, cache);
        assertTrue(out.contains("loaded") || out.contains("load failed: java.lang.UnsatisfiedLinkError"), out);
        assertTrue(!out.contains(partial.toString()), "the partial copy was loaded: " + out);
        assertArrayEquals(java.util.Arrays.copyOf(lib, 4096), Files.readAllBytes(partial), "and left alone");
        assertArrayEquals(resource(), Files.readAllBytes(cache.resolve("jcuda-" + jcuda.JCudaVersion.get())
                .resolve(JCudaLibrary.fileName())));
    }

    private static List<String> listing(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
