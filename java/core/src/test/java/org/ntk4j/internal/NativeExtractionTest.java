package org.ntk4j.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.testing.TinyDisk;

/** A native library is written whole under its final name or not at all, and nothing partial is left. */
class NativeExtractionTest {
    @TempDir
    Path dir;

    private static byte[] library(int bytes) {
        byte[] b = new byte[bytes];
        new Random(7).nextBytes(b);
        return b;
    }

    @Test
    void aLibraryIsWrittenWholeAndATruncatedOneIsReplaced() throws IOException {
        byte[] lib = library(100_000);
        Path out = dir.resolve("libx.so");
        assertEquals(out, NativeExtraction.extract(new ByteArrayInputStream(lib), lib.length, out));
        assertArrayEquals(lib, Files.readAllBytes(out));
        assertEquals(List.of("libx.so"), listing(dir));

        // a file of another size under the name (e.g. cut short by a copy that wrote in place) is replaced
        Files.write(out, java.util.Arrays.copyOf(lib, 4096));
        NativeExtraction.extract(new ByteArrayInputStream(lib), lib.length, out);
        assertArrayEquals(lib, Files.readAllBytes(out));
        assertEquals(List.of("libx.so"), listing(dir));
    }

    @Test
    void aStreamThatEndsEarlyLeavesNothing() throws IOException {
        byte[] lib = library(50_000);
        Path out = dir.resolve("liby.so");
        IOException e = assertThrows(IOException.class,
                () -> NativeExtraction.extract(new ByteArrayInputStream(lib, 0, 30_000), lib.length, out));
        assertTrue(e.getMessage().contains("30000 of the 50000 bytes"), e.getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void aFullDiskLeavesNoPartialFile() throws Exception {
        try (TinyDisk disk = TinyDisk.mount(dir.resolve("disk"), "1m")) {
            Path out = disk.dir.resolve("libz.so");
            Path old = disk.dir.resolve("libold.so");
            Files.write(old, library(1000));
            disk.fill(16 << 10);
            byte[] lib = library(200_000);
            IOException e = assertThrows(IOException.class,
                    () -> NativeExtraction.extract(new ByteArrayInputStream(lib), lib.length, out));
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            assertEquals(List.of("filler", "libold.so"), listing(disk.dir), "no partial or temporary file left");
            // a replacement that does not fit leaves the old file as it was
            assertThrows(IOException.class, () -> NativeExtraction.extract(new ByteArrayInputStream(lib), lib.length, old));
            assertArrayEquals(library(1000), Files.readAllBytes(old));
            assertEquals(List.of("filler", "libold.so"), listing(disk.dir));
        }
    }

    private static List<String> listing(Path d) throws IOException {
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
