package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Tensor;
import org.ntk4j.internal.io.OutputFile;
import org.ntk4j.io.Npy;

class MappedNpyWriterTest {
    @TempDir
    Path dir;

    @Test
    void piecesWrittenInAnyOrderThroughASmallWindowReadBackAsNumpyWould() throws IOException {
        for (boolean float32 : new boolean[] {true, false}) {
            int rows = 37;
            int cols = 1301; // a row is wider than the 4 KiB window in float64
            double[] want = new double[rows * cols];
            float[] wantF = new float[rows * cols];
            SplittableRandom rng = new SplittableRandom(3);
            for (int i = 0; i < want.length; i++) {
                want[i] = float32 ? (float) rng.nextGaussian() : rng.nextGaussian();
                wantF[i] = (float) want[i];
            }
            // a float32 file takes float32 tiles as they are (no double copy), a float64 file double tiles
            Tensor tile = float32 ? new Tensor(new int[] {want.length}, wantF) : new Tensor(new int[] {want.length}, want);
            Path f = dir.resolve("m" + float32 + ".npy");
            int[] shape = {rows, cols};
            try (OutputFile out = OutputFile.open(f, MappedNpyWriter.fileSize(shape, float32))) {
                try (MappedNpyWriter w = new MappedNpyWriter(out, shape, float32, 4096)) {
                    // Backwards, in uneven pieces, so the window moves in both directions and pieces straddle it.
                    int pos = want.length;
                    while (pos > 0) {
                        int len = Math.min(pos, 1 + rng.nextInt(3000));
                        pos -= len;
                        w.write(pos, tile, pos, len);
                    }
                }
                out.commit();
            }
            Tensor got = Npy.read(f);
            assertArrayEquals(new int[] {rows, cols}, got.shape());
            assertArrayEquals(want, got.doubles(), 0.0, float32 ? "float32" : "float64");
        }
    }

    @Test
    void aTileOfTheOtherTypeIsRoundedOrWidenedValueByValue() throws IOException {
        double[] d = {1 / 3.0, -2e-8, 1e30, 7};
        float[] f = {1 / 3f, -2e-8f, 1e30f, 7};
        for (boolean float32 : new boolean[] {true, false}) {
            Path file = dir.resolve("x" + float32 + ".npy");
            int[] shape = {4};
            try (OutputFile out = OutputFile.open(file, MappedNpyWriter.fileSize(shape, float32))) {
                try (MappedNpyWriter w = new MappedNpyWriter(out, shape, float32, 4096)) {
                    w.write(0, float32 ? new Tensor(shape, d) : new Tensor(shape, f), 0, 4);
                }
                out.commit();
            }
            Tensor got = Npy.read(file);
            assertEquals(float32, got.float32());
            for (int i = 0; i < 4; i++) {
                assertEquals(float32 ? (float) d[i] : (double) f[i], got.at(i), 0.0, "value " + i);
            }
        }
    }

    @Test
    void writesOutsideTheArrayAreRefused() throws IOException {
        try (OutputFile out = OutputFile.open(dir.resolve("s.npy"));
             MappedNpyWriter w = new MappedNpyWriter(out, new int[] {2, 3}, true, 4096)) {
            assertThrows(IllegalArgumentException.class, () -> w.write(4, new Tensor(new int[] {3}, new double[3]), 0, 3));
            assertThrows(IllegalArgumentException.class, () -> w.write(-1, new Tensor(new int[] {1}, new double[1]), 0, 1));
            assertThrows(IllegalArgumentException.class, () -> w.write(0, new Tensor(new int[] {2}, new float[2]), 1, 2));
        }
    }

    /**
     * An fp32 kernel written in tiles: the backend's tiles are float32 (the API's type for an fp32 kernel), reach the
     * file as they are, and the file equals the kernel computed whole, bit for bit, in every mode.
     */
    @Test
    void anFp32TiledKernelGoesFromFloat32TilesToTheFileUnwidened() throws IOException {
        org.ntk4j.model.Architecture arch = org.ntk4j.model.Architecture.builder(3).hidden(16).output(2).build();
        org.ntk4j.model.Parameters params = org.ntk4j.model.Parameters.init(arch, 5);
        int n = 45;
        org.ntk4j.Matrix x = Cli.randomInputs(dir.resolve("x.npy"), n, 3, 1, false);
        try (org.ntk4j.Ntk ntk = org.ntk4j.Ntk.builder().backend("cpu").precision(org.ntk4j.Precision.FP32).open()) {
            org.ntk4j.KernelFunction f = ntk.kernelFunction(params, org.ntk4j.KernelKind.NTK,
                    org.ntk4j.Implementation.STRUCTURED);
            int[] float32Tiles = {0};
            KernelSource source = new KernelSource(org.ntk4j.KernelFunction.of(org.ntk4j.KernelKind.NTK, 3, 2, "fp32",
                    (a, b, mode) -> {
                        Tensor k = f.kernel(a, b, mode);
                        float32Tiles[0] += k.float32() ? 1 : 0;
                        return k;
                    }), "fp32", 0, 0, null);
            for (org.ntk4j.NtkMode mode : org.ntk4j.NtkMode.values()) {
                float32Tiles[0] = 0;
                TiledKernel.Plan plan = new TiledKernel.Plan(false, org.ntk4j.tiling.TilePlan.of(n, n, 16, true), 4096);
                Path file = dir.resolve("k-" + mode + ".npy");
                int[] shape = mode.shape(n, n, 2);
                try (OutputFile out = OutputFile.open(file, MappedNpyWriter.fileSize(shape, true))) {
                    TiledKernel.write(source, x, x, mode, plan, out, true, null, new Overflow.Advice(true, ""));
                    out.commit();
                }
                assertEquals(plan.tileCount(), float32Tiles[0], mode + ": every tile came back float32");
                Tensor whole = f.kernel(x, x, mode);
                Tensor got = Npy.read(file);
                assertTrue(got.float32() && whole.float32(), mode.toString());
                assertArrayEquals(whole.floatData(), got.floatData(), mode + ": the file is the whole kernel, bit for bit");
            }
        }
    }

    @Test
    void aFaultOnAMappedPageIsAnIoErrorNamingTheFileNotAnInternalError() throws IOException {
        Path f = dir.resolve("k.npy");
        int n = 256;
        TiledKernel.Plan plan = new TiledKernel.Plan(false, org.ntk4j.tiling.TilePlan.of(n, n, 32, false), 1 << 16);
        int[] shape = {n, n};
        try (OutputFile out = OutputFile.open(f, MappedNpyWriter.fileSize(shape, false))) {
            // A source that truncates the file under the map after the first tile: later stores fault (SIGBUS).
            int[] calls = {0};
            KernelSource shrinking = new KernelSource(org.ntk4j.KernelFunction.of(org.ntk4j.KernelKind.NTK, 1, 1,
                    "test", (a, b, mode) -> {
                        if (calls[0]++ == 1) {
                            try {
                                out.channel().truncate(4096);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }
                        return new org.ntk4j.Tensor(new int[] {a.rows(), b.rows()}, new double[a.rows() * b.rows()]);
                    }), "test", 0, 0, null);
            org.ntk4j.Matrix x = org.ntk4j.Matrix.zeros(n, 2);
            java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class,
                    () -> TiledKernel.write(shrinking, x, x, org.ntk4j.NtkMode.TRACE, plan, out, false, null,
                            new Overflow.Advice(false, "")));
            assertEquals(f.toString(), e.getFile());
            assertTrue(e.getMessage().contains("memory-mapped"), e.getMessage());
        }
        assertEquals(java.util.List.of(), Cli.leftovers(dir));
    }
}
