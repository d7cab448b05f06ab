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
import org.ntk4j.model.Layer;
import org.ntk4j.model.Shape;
import org.ntk4j.model.UnsupportedLayerException;
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
    void anMlpFileWithoutSettingsTakesSigmaWAndSigmaBByName() throws IOException {
        Architecture arch = Architecture.widths(3, 4, 2).activation(Activation.ERF).sigmaW(2.0).sigmaB(0.25).build();
        Parameters p = Parameters.init(arch, 5);
        Path f = dir.resolve("bare.npz");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", new Tensor(new int[] {4, 3}, p.weights(0)));
        m.put("b0", new Tensor(new int[] {4}, p.bias(0)));
        m.put("W1", new Tensor(new int[] {2, 4}, p.weights(1)));
        m.put("b1", new Tensor(new int[] {2}, p.bias(1)));
        Npz.write(f, m); // as NumPy writes it: no settings stored
        Architecture read = ParametersIO.load(f, ParametersIO.MlpUse.of(Activation.ERF, Parameterization.NTK)
                .withSigmaB(0.25).withSigmaW(2.0)).architecture();
        assertEquals(arch, read);
        ParametersIO.MlpUse use = ParametersIO.MlpUse.of(Activation.ERF, Parameterization.NTK);
        assertThrows(InvalidInputException.class, () -> use.withSigmaW(0));
        assertThrows(InvalidInputException.class, () -> use.withSigmaW(Double.NaN));
        assertThrows(InvalidInputException.class, () -> use.withSigmaB(-0.5));
        assertThrows(InvalidInputException.class, () -> ParametersIO.MlpUse.of(null, Parameterization.NTK));
        assertThrows(InvalidInputException.class, () -> ParametersIO.load(f, (ParametersIO.MlpUse) null));
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
        assertEquals(arch, ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.TANH, Parameterization.NTK)
                        .withSigmaW(1.5).withSigmaB(0.5)).architecture());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ParametersIO.load(f, ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK)));
        assertTrue(e.getMessage().contains("saved with activation tanh") && e.getMessage().contains("σ_w 1.5"),
                e.getMessage());
    }

    @Test
    void aLayerSequenceRoundTripsWithPerLayerScalesAndBiases() throws IOException {
        Architecture arch = Architecture.of(Shape.flat(4), Parameterization.STANDARD, Layer.dense(6, 1.3, 0.2),
                Layer.activation(Activation.ERF), Layer.denseNoBias(5, 0.9), Layer.dense(3, 1.7, 0.0),
                Layer.activation(Activation.TANH), Layer.activation(Activation.GELU), Layer.dense(2, 1.1, 0.4));
        Parameters p = Parameters.init(arch, 8);
        Path f = dir.resolve("seq.npz");
        ParametersIO.save(p, f);
        Parameters back = ParametersIO.load(f);
        assertEquals(arch, back.architecture());
        assertArrayEquals(p.toFlat(), back.toFlat());
        try (Npz.Archive a = Npz.open(f)) {
            assertEquals(java.util.Set.of("W0", "b0", "W1", "W2", "b2", "W3", "b3", ParametersIO.ARCHITECTURE),
                    new java.util.HashSet<>(a.names()));
            assertArrayEquals(new int[] {5, 6}, a.array("W1").shape());
        }
        // MLP settings cannot describe it: asking for them is refused, naming the layer
        UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class, () -> ParametersIO.settings(f));
        assertTrue(e.getMessage().startsWith("layer 2 (dense(5,0.9)) has other σ_w/σ_b"), e.getMessage());
        assertThrows(UnsupportedLayerException.class,
                () -> ParametersIO.load(f,
                        ParametersIO.MlpUse.of(Activation.ERF, Parameterization.STANDARD)
                                .withSigmaW(1.3).withSigmaB(0.2)));
    }

    @Test
    void aStoredSequenceThatDisagreesWithTheMembersIsRefused() throws IOException {
        Architecture arch = Architecture.of(Shape.flat(3), Parameterization.NTK, Layer.dense(4, 1, 0.1),
                Layer.activation(Activation.RELU), Layer.denseNoBias(2, 1));
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", random(4, 3, 1, false));
        m.put("b0", random(4, 1, 2, false));
        m.put("W1", random(2, 5, 3, false));
        Path f = dir.resolve("bad.npz");
        Npz.write(f, m, Map.of(ParametersIO.ARCHITECTURE, ("{\"format\": \"ntk4j.parameters\", \"version\": 2,"
                + " \"parameterization\": \"ntk\", \"architecture\": \"" + arch.spec() + "\"}").getBytes(
                java.nio.charset.StandardCharsets.UTF_8)));
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> ParametersIO.load(f));
        assertTrue(e.getMessage().contains("W1 has shape (2, 5) but layer 2 (dense(2,1.0)) needs (2, 4)"),
                e.getMessage());
        m.put("W1", random(2, 4, 3, false));
        m.put("b1", random(2, 1, 4, false));
        Npz.write(f, m, Map.of(ParametersIO.ARCHITECTURE, ("{\"format\": \"ntk4j.parameters\", \"version\": 2,"
                + " \"parameterization\": \"ntk\", \"architecture\": \"" + arch.spec() + "\"}").getBytes(
                java.nio.charset.StandardCharsets.UTF_8)));
        e = assertThrows(NpyFormatException.class, () -> ParametersIO.load(f));
        assertTrue(e.getMessage().contains("layer 2 (dense(2,1.0)) has no bias but the file has b1"), e.getMessage());
    }

    @Test
    void convWeightsInPyTorchLayoutLoadWithTheirArchitecture() throws IOException {
        Architecture arch = Architecture.parse("5x4x2:conv(3,3x2,same,stride=2,1.5,0.1),relu,flatten,dense(2,1.0,0.3)",
                Parameterization.STANDARD);
        Parameters p = Parameters.init(arch, 9);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", new Tensor(new int[] {3, 2, 3, 2}, p.weights(0)));
        m.put("b0", new Tensor(new int[] {3}, p.bias(0)));
        m.put("W1", new Tensor(new int[] {2, 3 * 2 * 3}, p.weights(1)));
        m.put("b1", new Tensor(new int[] {2}, p.bias(1)));
        Path f = dir.resolve("torch.npz"); // as np.savez writes a PyTorch model's W0, b0, …: no architecture.json
        Npz.write(f, m);
        Parameters back = ParametersIO.load(f, arch);
        assertEquals(arch, back.architecture());
        assertArrayEquals(p.toFlat(), back.toFlat());
        NpyFormatException e = assertThrows(NpyFormatException.class, () -> ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.RELU, Parameterization.STANDARD)));
        assertTrue(e.getMessage().contains("W0 must be 2-D (n_out, n_in), got (3, 2, 3, 2) (a Conv2d weight: load it"
                + " with its architecture)"), e.getMessage());
        Architecture other = Architecture.parse("5x4x2:conv(3,2x3,same,stride=2,1.5,0.1),relu,flatten,dense(2,1.0,0.3)",
                Parameterization.STANDARD);
        e = assertThrows(NpyFormatException.class, () -> ParametersIO.load(f, other));
        assertTrue(e.getMessage().contains("W0 has shape (3, 2, 3, 2) but layer 0 (conv(3,2x3,same,stride=2,1.5,0.1))"
                + " needs (3, 2, 2, 3)"), e.getMessage());
        // saved by ntk4j: the stored architecture must be the one asked for
        Path saved = dir.resolve("saved.npz");
        ParametersIO.save(p, saved);
        assertArrayEquals(p.toFlat(), ParametersIO.load(saved, arch).toFlat());
        assertEquals(arch, ParametersIO.load(saved).architecture());
        Architecture ntk = Architecture.parse(arch.spec(), Parameterization.NTK);
        e = assertThrows(NpyFormatException.class, () -> ParametersIO.load(saved, ntk));
        assertTrue(e.getMessage().contains("the same weights would be another network"), e.getMessage());
    }

    @Test
    void aSingleDenseLayerLoadsWithAnyActivationAskedFor() throws IOException {
        Architecture arch = Architecture.builder(3).output(2).activation(Activation.TANH).sigmaB(0.5).build();
        Path f = dir.resolve("linear.npz");
        ParametersIO.save(Parameters.init(arch, 2), f);
        assertEquals(arch, ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK).withSigmaB(0.5)).architecture());
        assertThrows(InvalidInputException.class, () -> ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK).withSigmaW(1.5).withSigmaB(0.5)));
    }

    @Test
    void version1SettingsStillRead() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", random(5, 3, 1, false));
        m.put("b0", random(5, 1, 2, false));
        m.put("W1", random(2, 5, 3, false));
        m.put("b1", random(2, 1, 4, false));
        Path f = dir.resolve("v1.npz");
        Npz.write(f, m, Map.of(ParametersIO.ARCHITECTURE, ("{\"format\": \"ntk4j.parameters\", \"version\": 1,"
                + " \"activation\": \"erf\", \"parameterization\": \"standard\", \"sigma_w\": 1.25,"
                + " \"sigma_b\": 0.5, \"bias\": true}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Architecture want = Architecture.builder(3).hidden(5).output(2).activation(Activation.ERF)
                .parameterization(Parameterization.STANDARD).sigmaW(1.25).sigmaB(0.5).build();
        Parameters p = ParametersIO.load(f);
        assertEquals(want, p.architecture());
        assertArrayEquals(m.get("W1").doubles(), p.weights(1));
        assertEquals(new ParametersIO.Settings(Activation.ERF, Parameterization.STANDARD, 1.25, 0.5, true),
                ParametersIO.settings(f).orElseThrow());
        // saved again, it is version 2 and reads back equal
        Path g = dir.resolve("v2.npz");
        ParametersIO.save(p, g);
        assertEquals(want, ParametersIO.load(g).architecture());
    }

    @Test
    void filesWithoutSettingsTakeTheCallersAndLoadWithoutThemIsRefused() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("W0", random(4, 3, 1, true));
        m.put("W1", random(2, 4, 2, true));
        Path f = dir.resolve("torch.npz");
        Npz.write(f, m);
        assertTrue(ParametersIO.settings(f).isEmpty());
        Parameters p = ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.ERF, Parameterization.STANDARD).withSigmaW(2.0));
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
                () -> ParametersIO.load(f, ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK)));
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
                    () -> ParametersIO.load(f, ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK)));
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
        NpyTest.IoRunnable load = () -> ParametersIO.load(f,
                ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK));
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
                    () -> ParametersIO.load(f, ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK)));
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

    @Test
    void theArchitectureJsonReadsBackAsTheSameArchitectureAndNothingElseDoes() {
        Architecture seq = Architecture.of(org.ntk4j.model.Shape.flat(4), Parameterization.STANDARD,
                org.ntk4j.model.Layer.dense(9, 1.25, 0.1), org.ntk4j.model.Layer.activation(Activation.TANH),
                org.ntk4j.model.Layer.denseNoBias(3, 0.8));
        String json = ParametersIO.architectureJson(seq);
        assertEquals(seq, ParametersIO.architecture(json));
        for (String bad : new String[] {"{}", "{\"format\": \"other\", \"version\": 2}",
                json.replace("\"version\": 2", "\"version\": 1"), "not json"}) {
            assertThrows(org.ntk4j.InvalidInputException.class, () -> ParametersIO.architecture(bad), bad);
        }
    }
}
