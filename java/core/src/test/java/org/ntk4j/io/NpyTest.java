package org.ntk4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/** .npy/.npz against files written by NumPy itself (test resources) and round trips. */
class NpyTest {
    @TempDir
    Path dir;

    static Path resource(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsWhatNumpyWrote() throws IOException {
        Tensor a = Npy.read(resource("f32_3x4.npy"));
        assertArrayEquals(new int[] {3, 4}, a.shape());
        assertTrue(a.float32());
        assertEquals(11 / 8.0, a.at(11));
        Tensor v = Npy.read(resource("f64_vec5.npy"));
        assertArrayEquals(new double[] {1.5, -2, 3, 4e-300, 1e300}, v.data());
        assertEquals(5, v.reshape(5, 1).asMatrix().rows());
        assertArrayEquals(new double[] {1, 2, 3, 4}, Npy.read(resource("f64_be_2x2.npy")).data());
    }

    @Test
    void refusesWhatItCannotRead() {
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(resource("fortran_2x3.npy")));
        assertTrue(e.getMessage().contains("Fortran order"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> Npy.read(resource("int64_2.npy")));
        assertTrue(e.getMessage().contains("dtype '<i8'"), e.getMessage());
        e = assertThrows(NpyFormatException.class, () -> Npy.read(resource("params_compressed.npz")));
        assertTrue(e.getMessage().contains("not a .npy file"), e.getMessage());
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> Npy.read(dir.resolve("absent.npy")));
        assertTrue(missing.getMessage().contains("absent.npy"));
    }

    @Test
    void truncatedFileIsReported() throws IOException {
        Path f = dir.resolve("t.npy");
        Npy.write(f, new Tensor(new int[] {4, 4}, new double[16]));
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 9));
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("t.npy: file ends early"), e.getMessage());
    }

    @Test
    void roundTripsBothPrecisionsAndHeadersAreAligned() throws IOException {
        double[] d = {1.0 / 3, -2.5, Math.PI, 0, 7, 1e-7};
        for (boolean f32 : new boolean[] {true, false}) {
            Path f = dir.resolve("r" + f32 + ".npy");
            Npy.write(f, new Tensor(new int[] {2, 3}, d).toPrecision(f32 ? Precision.FP32 : Precision.FP64));
            Tensor back = Npy.read(f);
            assertEquals(f32, back.float32());
            for (int i = 0; i < d.length; i++) {
                assertEquals(f32 ? (double) (float) d[i] : d[i], back.at(i));
            }
            assertEquals(0, Npy.header(new int[] {2, 3}, f32).length % 64);
        }
        assertEquals(0, Npy.header(new int[] {7}, true).length % 64);
    }

    @Test
    void readsNumpyNpzAndRoundTripsParameters() throws IOException {
        Map<String, Tensor> m = Npz.read(resource("params_compressed.npz"));
        assertEquals(java.util.List.of("W0", "b0", "W1", "b1"), java.util.List.copyOf(m.keySet()));
        Parameters p = ParametersIO.load(resource("params_compressed.npz"),
                ParametersIO.MlpUse.of(Activation.TANH, Parameterization.STANDARD).withSigmaB(1));
        assertArrayEquals(new int[] {2, 3, 1}, p.architecture().widths());
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, p.weights(0));

        Architecture arch = Architecture.builder(5).hidden(7, 3).output(2).sigmaB(0.2).build();
        Parameters q = Parameters.init(arch, 11);
        Path f = dir.resolve("q.npz");
        ParametersIO.save(q, f);
        Parameters back = ParametersIO.load(f,
                ParametersIO.MlpUse.of(arch.activation(), arch.parameterization())
                        .withSigmaW(arch.sigmaW()).withSigmaB(arch.sigmaB()));
        assertEquals(arch, back.architecture());
        assertArrayEquals(q.toFlat(), back.toFlat());

        Architecture nb = Architecture.builder(2).hidden(3).output(1).noBias().build();
        ParametersIO.save(Parameters.init(nb, 1), f);
        assertFalse(ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK)).architecture().bias());
    }

    @Test
    void inconsistentParameterFilesAreRefused() throws IOException {
        Path f = dir.resolve("bad.npz");
        Npz.write(f, Map.of("W0", new Tensor(new int[] {3, 2}, new double[6]),
                "W1", new Tensor(new int[] {1, 4}, new double[4])));
        NpyFormatException e = assertThrows(NpyFormatException.class,
                () -> ParametersIO.load(f, ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK)));
        assertTrue(e.getMessage().contains("W1 has n_in = 4"), e.getMessage());
        Files.writeString(f, "not a zip");
        e = assertThrows(NpyFormatException.class, () -> ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK)));
        assertTrue(e.getMessage().contains("not a .npz"), e.getMessage());
    }

    /** Bytes allocated by this thread while {@code r} runs. */
    static long allocatedBy(IoRunnable r) throws IOException {
        com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        long before = t.getCurrentThreadAllocatedBytes();
        r.run();
        return t.getCurrentThreadAllocatedBytes() - before;
    }

    @FunctionalInterface
    interface IoRunnable {
        void run() throws IOException;
    }

    private static IoRunnable refused(Path f, String fragment) {
        return () -> {
            NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
            assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(fragment), e.getMessage());
        };
    }

    @Test
    void aShortFileDeclaringAHugeShapeIsRefusedBeforeAnythingIsAllocated() throws IOException {
        Path f = dir.resolve("huge.npy");
        Files.write(f, java.util.Arrays.copyOf(HostileFiles.npy(1, HostileFiles.dict("<f8", false, "(20000, 20000)"),
                new byte[512]), 640));
        allocatedBy(refused(f, "needs 3200000000 bytes of data, the file has 512")); // warm-up
        long bytes = allocatedBy(refused(f, "needs 3200000000 bytes of data, the file has 512"));
        assertTrue(bytes < 256 << 10, "allocated " + bytes + " bytes for a 640-byte file");
    }

    @Test
    void theHeaderIsParsedAsALiteralWithExactlyNumpysKeys() throws IOException {
        byte[] data = new byte[48];
        String[][] refusedHeaders = {
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'extra': 1, }", "key 'extra'"},
            {"{'descr': '<f4', 'fortran_order': False, 'meta': {'shape': (20000, 20000)}, 'shape': (3, 4), }", "key 'meta'"},
            {"{'meta': {'shape': (12,)}, 'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}", "key 'meta'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'shape': (12,)}", "'shape' twice"},
            {"{'descr': '<f4', 'fortran_order': False}", "no 'shape'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4]}", "not a tuple"},
        };
        for (String[] h : refusedHeaders) {
            Path f = dir.resolve("h.npy");
            Files.write(f, HostileFiles.npy(1, h[0], data));
            refused(f, h[1]).run();
        }
        Path ok = dir.resolve("ok.npy");
        Files.write(ok, HostileFiles.npy(1, "{'shape': (3, 4), 'fortran_order': False, 'descr': '<f4'}", data));
        assertArrayEquals(new int[] {3, 4}, Npy.read(ok).shape(), "keys in any order, as NumPy accepts");
    }

    @Test
    void aHeaderCutShortNamesTheFile() throws IOException {
        byte[] whole = HostileFiles.npy(1, HostileFiles.dict("<f4", false, "(3, 4)"), new byte[48]);
        for (int cut : new int[] {3, 7, 9, 40}) {
            Path f = dir.resolve("cut" + cut + ".npy");
            Files.write(f, java.util.Arrays.copyOf(whole, cut));
            refused(f, "header cut short").run();
        }
        Path empty = dir.resolve("empty.npy");
        Files.write(empty, new byte[0]);
        refused(empty, "is empty").run();
    }

    @Test
    void readErrorsOfTheFileSystemNameTheFile() throws IOException {
        Path loop = dir.resolve("loop.npy");
        Files.createSymbolicLink(loop, loop);
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class, () -> Npy.read(loop));
        assertEquals(loop.toString(), e.getFile());
        assertTrue(e.getReason() != null && e.getReason().contains("symbolic links"), e.getMessage());
        e = assertThrows(java.nio.file.FileSystemException.class, () -> Npy.read(dir));
        assertEquals(dir.toString(), e.getFile());
        Path mem = Path.of("/proc/self/mem");
        if (Files.exists(mem)) {
            IOException io = assertThrows(IOException.class, () -> Npy.read(mem));
            assertTrue(io.getMessage().contains("/proc/self/mem"), io.getMessage());
        }
    }

    @Test
    void float32FilesStayFloat32() throws IOException {
        Tensor a = Npy.read(resource("f32_3x4.npy"));
        assertEquals(12, a.floatData().length, "a float32 file is held in a float[], not widened");
        Path f = dir.resolve("f.npy");
        Npy.write(f, a);
        assertEquals(Npy.header(new int[] {3, 4}, true).length + 12 * 4, Files.size(f), "4 bytes a value on disk");
        assertEquals(a, Npy.read(f), "float32 round trip");
    }

    @Test
    void mappingUsesTheFileInPlace() throws IOException {
        for (String name : new String[] {"f32_3x4.npy", "f64_vec5.npy", "f64_be_2x2.npy"}) {
            Tensor mapped = Npy.map(resource(name));
            assertEquals(Npy.read(resource(name)), mapped, name);
            assertTrue(mapped.isReadOnly(), name + " is mapped read-only");
            assertThrows(UnsupportedOperationException.class, () -> mapped.setAt(0, 1));
            Path copy = dir.resolve("copy-" + name);
            Npy.write(copy, mapped);
            assertEquals(Npy.read(resource(name)), Npy.read(copy), name + " written from its mapping");
        }
        Path f = dir.resolve("m.npy");
        Npy.write(f, new Tensor(new int[] {2, 2}, new double[] {1, 2, 3, 4}));
        Tensor m = Npy.map(f);
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putDouble(0, 9),
                    Npy.header(new int[] {2, 2}, false).length + 8);
        }
        assertEquals(9.0, m.get(0, 1), 0.0, "no copy: the mapping sees the file change");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 1));
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.map(f));
        assertTrue(e.getMessage().contains("file ends early"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> Npy.map(dir.resolve("absent.npy")));
        assertThrows(java.nio.file.FileSystemException.class, () -> Npy.map(dir));
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
        Tensor scoped = Npy.map(resource("f64_vec5.npy"), arena);
        assertEquals(1.5, scoped.at(0), 0.0);
        arena.close();
        assertThrows(IllegalStateException.class, () -> scoped.at(0), "unmapped with its arena");
    }

    /**
     * A float32 (3, 2³⁰) file, 12 GiB on paper and almost nothing on disk (sparse): mapped and indexed beyond 2³¹
     * values, refused by {@link Npy#read} (one Java array cannot hold it) with advice to map it.
     */
    @Test
    void mapsAndIndexesMoreThan2To31Values() throws IOException {
        int rows = 3;
        int cols = 1 << 30;
        Path f = dir.resolve("huge.npy");
        byte[] header = Npy.header(new int[] {rows, cols}, true);
        long last = (long) rows * cols - 1;
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(header.length + 4 * (last + 1));
            var ch = raf.getChannel();
            ch.write(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, 2.5f),
                    header.length + 4 * last);
            ch.write(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(0, -1.25f),
                    header.length + 4 * (2L * cols + 7));
        }
        Tensor t = Npy.map(f);
        assertEquals(3L << 30, t.size());
        assertTrue(t.size() > Integer.MAX_VALUE);
        assertTrue(t.float32());
        assertEquals(2.5, t.at(last), 0.0);
        assertEquals(2.5, t.get(2, cols - 1), 0.0);
        assertEquals(cols + 7, t.index(1, 7));
        assertThrows(ArithmeticException.class, () -> t.index(2, 7), "beyond an int: flat indices are at()'s");
        assertEquals(-1.25, t.get(2, 7), 0.0);
        assertEquals(0.0, t.get(1, 12345), 0.0);
        Tensor row = t.slice(2, 3);
        assertEquals(-1.25, row.get(0, 7), 0.0);
        assertEquals(2.5, row.at(cols - 1L), 0.0);
        assertThrows(IndexOutOfBoundsException.class, () -> t.at(last + 1));
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains("Npy.map"), e.getMessage());
        assertTrue(Files.size(f) > (8L << 30));
    }
}
