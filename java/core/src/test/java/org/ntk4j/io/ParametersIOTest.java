package org.ntk4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/** Parameter files: their settings travel with them, layers have no gaps, archives are checked and read lazily. */
class ParametersIOTest {
    @TempDir
    Path dir;

    private static Tensor random(int rows, int cols, long seed, boolean float32) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] d = new double[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = float32 ? (float) r.nextGaussian() : r.nextGaussian();
        }
        return new Tensor(cols == 1 ? new int[] {rows} : new int[] {rows, cols}, d).toPrecision(float32 ? Precision.FP32 : Precision.FP64);
    }

    @Test
    void theSettingsAreStoredAndUsedAndDifferentOnesAreRefused() throws IOException {
        Architecture arch = Architecture.parseWidths("3,8,2").activation(Activation.TANH).sigmaW(1.5).sigmaB(0.5).build();
        Parameters p = Parameters.init(arch, 3);
        Path f = dir.resolve("p.npz");
        ParametersIO.save(p, f);
        assertEquals(new ParametersIO.Settings(Activation.TANH, Parameterization.NTK, 1.5, 0.5, true),
                ParametersIO.settings(f).orElseThrow());
        Parameters back = ParametersIO.load(f);
        assertEquals(arch, back.architecture());
        assertArrayEquals(p.toFlat(), back.toFlat());
        assertEquals(arch, ParametersIO.load(f, Activation.TANH, Parameterization.NTK, 1.5, 0.5).architecture());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ParametersIO.load(f, Activation.RELU, Parameterization.NTK, 1.0, 0.0));
        assertTrue(e.getMessage().contains("saved with activation tanh") && e.getMessage().contains("σ_w 1.5"),
                e.getMessage());
    }

    @Test
    void filesWithoutSettingsTakeTheCallersAndLoadWithoutThemIsRefused() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", random(4, 3, 1, true));
        m.put("W1", random(2, 4, 2, true));
        Path f = dir.resolve("torch.npz");
        Npz.write(f, m);
        assertTrue(ParametersIO.settings(f).isEmpty());
        Parameters p = ParametersIO.load(f, Activation.ERF, Parameterization.STANDARD, 2.0, 0.0);
        assertEquals(Activation.ERF, p.architecture().activation());
        assertArrayEquals(new int[] {3, 4, 2}, p.architecture().widths());
        assertThrows(InvalidInputException.class, () -> ParametersIO.load(f));
    }

    @Test
    void aGapInTheLayersIsRefusedNotReadAsAShorterNetwork() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", random(4, 3, 1, false));
        m.put("W1", random(4, 4, 2, false));
        m.put("W3", random(2, 4, 3, false));
        Path f = dir.resolve("gap.npz");
        Npz.write(f, m);
        NpyFormatException e = assertThrows(NpyFormatException.class,
                () -> ParametersIO.load(f, Activation.RELU, Parameterization.NTK, 1, 0));
        assertTrue(e.getMessage().contains("has W3 but no W2"), e.getMessage());
    }

    @Test
    void aFlippedBitIsACorruptMemberStoredOrDeflated() throws IOException {
        for (boolean deflate : new boolean[] {true, false}) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("W0", random(40, 30, 1, false));
            m.put("W1", random(2, 40, 2, false));
            byte[] zip = HostileFiles.zip(m, Map.of(), deflate);
            // a bit in the middle of W0's data (its local header is at offset 0)
            zip[30 + 6 + 128 + 4000] ^= 0x10;
            Path f = dir.resolve("flip" + deflate + ".npz");
            Files.write(f, zip);
            NpyFormatException e = assertThrows(NpyFormatException.class,
                    () -> ParametersIO.load(f, Activation.RELU, Parameterization.NTK, 1, 0));
            assertTrue(e.getMessage().contains("corrupt member W0"), (deflate ? "deflated: " : "stored: ") + e.getMessage());
        }
    }

    @Test
    void unusedMembersAreNotDecoded() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", random(4, 3, 1, false));
        m.put("W1", random(2, 4, 2, false));
        m.put("optimizer_state", random(1024, 1024, 3, true)); // 4 MiB of float32, 8 MiB as doubles
        Path f = dir.resolve("extra.npz");
        Npz.write(f, m);
        NpyTest.IoRunnable load = () -> ParametersIO.load(f, Activation.RELU, Parameterization.NTK, 1, 0);
        NpyTest.allocatedBy(load);
        long bytes = NpyTest.allocatedBy(load);
        assertTrue(bytes < 512 << 10, "allocated " + bytes + " bytes; the 4 MiB member must not be decoded");
        assertEquals(3, Npz.read(f).size(), "reading the whole archive still reads every array");
    }

    @Test
    void aZipBombIsRefusedBeforeItIsInflated() throws IOException {
        long zeros = 96L << 20;
        byte[] header = HostileFiles.npyHeader(1, HostileFiles.dict("<f4", false, "(" + zeros / 4 / 1024 + ", 1024)"));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(out)) {
            z.putNextEntry(new java.util.zip.ZipEntry("W0.npy"));
            z.write(header);
            byte[] block = new byte[1 << 20];
            for (long done = 0; done < zeros; done += block.length) {
                z.write(block);
            }
            z.closeEntry();
        }
        Path f = dir.resolve("bomb.npz");
        Files.write(f, out.toByteArray());
        assertTrue(Files.size(f) < 200_000, "a real bomb: " + Files.size(f) + " bytes");
        NpyTest.IoRunnable load = () -> {
            NpyFormatException e = assertThrows(NpyFormatException.class,
                    () -> ParametersIO.load(f, Activation.RELU, Parameterization.NTK, 1, 0));
            assertTrue(e.getMessage().contains("zip bomb"), e.getMessage());
        };
        load.run();
        long bytes = NpyTest.allocatedBy(load);
        assertTrue(bytes < 512 << 10, "allocated " + bytes + " bytes for a zip bomb");
    }

    @Test
    void aMemberDeclaringMoreThanItHoldsIsRefused() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", random(4, 3, 1, false));
        byte[] zip = HostileFiles.zip(m, Map.of(), false);
        // the central directory's uncompressed size of W0, 1000 times larger
        int cen = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN).getInt(zip.length - 22 + 16);
        ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN).putInt(cen + 24, 224 * 1000);
        Path f = dir.resolve("liar.npz");
        Files.write(f, zip);
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npz.read(f));
        assertTrue(e.getMessage().contains("corrupt member W0"), e.getMessage());
    }
}
