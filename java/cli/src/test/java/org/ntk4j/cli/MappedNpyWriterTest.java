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
            SplittableRandom rng = new SplittableRandom(3);
            for (int i = 0; i < want.length; i++) {
                want[i] = float32 ? (float) rng.nextGaussian() : rng.nextGaussian();
            }
            Path f = dir.resolve("m" + float32 + ".npy");
            int[] shape = {rows, cols};
            try (OutputFile out = OutputFile.open(f, MappedNpyWriter.fileSize(shape, float32))) {
                try (MappedNpyWriter w = new MappedNpyWriter(out, shape, float32, 4096)) {
                    // Backwards, in uneven pieces, so the window moves in both directions and pieces straddle it.
                    int pos = want.length;
                    while (pos > 0) {
                        int len = Math.min(pos, 1 + rng.nextInt(3000));
                        pos -= len;
                        w.write(pos, want, pos, len);
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
    void writesOutsideTheArrayAreRefused() throws IOException {
        try (OutputFile out = OutputFile.open(dir.resolve("s.npy"));
             MappedNpyWriter w = new MappedNpyWriter(out, new int[] {2, 3}, true, 4096)) {
            assertThrows(IllegalArgumentException.class, () -> w.write(4, new double[3], 0, 3));
            assertThrows(IllegalArgumentException.class, () -> w.write(-1, new double[1], 0, 1));
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
