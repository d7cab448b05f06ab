package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Reference;

class TrainAndDevicesTest {
    @TempDir
    Path dir;

    static void assertPng(Path png, int minWidth) throws IOException {
        assertTrue(Files.exists(png), png + " missing");
        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img != null && img.getWidth() >= minWidth && img.getHeight() >= 300, png + " is not a plot");
    }

    @Test
    void trainWritesCsvAndPlotMatchingPlainGradientDescent() throws IOException {
        Matrix x = Cli.randomInputs(dir.resolve("x.npy"), 11, 3, 1, false);
        Matrix y = Cli.randomInputs(dir.resolve("y.npy"), 11, 2, 2, false);
        Path out = dir.resolve("run");
        Cli.Result r = Cli.run("train", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--arch", "3,16,2",
                "--seed", 3, "--device", "reference", "--steps", 6, "--lr", 0.5, "--kernel-every", 3, "--out-dir", out,
                "--save-trained", dir.resolve("trained.npz"));
        assertEquals(0, r.code(), r.toString());
        List<String> lines = Files.readAllLines(out.resolve("train.csv"));
        assertEquals("step,loss,weight_change,kernel_change,layer0_change,layer1_change", lines.get(0));
        assertEquals(8, lines.size());

        // The same steps by hand on the reference backend.
        Parameters p = Parameters.init(Architecture.parseWidths("3,16,2").build(), 3);
        Parameters p0 = p.copy();
        org.ntk4j.spi.Backend ref = Reference.backend();
        for (int t = 0; t <= 6; t++) {
            LossGradient g = ref.mseLossGradient(p, x, y);
            String[] f = lines.get(t + 1).split(",", -1);
            assertEquals(t, Integer.parseInt(f[0]));
            assertEquals(g.loss(), Double.parseDouble(f[1]), 1e-8 * g.loss());
            assertEquals(p.distance(p0) / p0.norm(), Double.parseDouble(f[2]), 1e-8);
            assertEquals(t % 3 == 0, !f[3].isEmpty(), "kernel change every 3 steps: " + lines.get(t + 1));
            if (t < 6) {
                p.addScaled(-0.5, g.gradient());
            }
        }
        assertTrue(Double.parseDouble(lines.get(7).split(",")[1]) < Double.parseDouble(lines.get(1).split(",")[1]),
                "loss decreases");
        assertTrue(Double.parseDouble(lines.get(7).split(",")[3]) > 0, "kernel moved");
        Parameters trained = ParametersIO.load(dir.resolve("trained.npz"),
                ParametersIO.MlpUse.of(Activation.RELU, Parameterization.NTK));
        assertArrayEquals(p.toFlat(), trained.toFlat(), 0.0);
        assertPng(out.resolve("train.png"), 1000);
    }

    @Test
    void trainRejectsTargetsOfTheWrongShape() throws IOException {
        Cli.randomInputs(dir.resolve("x.npy"), 11, 3, 1, false);
        Npy.write(dir.resolve("y.npy"), new Tensor(new int[] {10, 2}, new double[20]));
        Cli.Result r = Cli.run("train", "--x", dir.resolve("x.npy"), "--y", dir.resolve("y.npy"), "--arch", "3,16,2",
                "--device", "reference", "--out-dir", dir.resolve("run"));
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("y.npy") && r.err().contains("(10, 2)") && r.err().contains("(11, 2)"), r.err());
        assertFalse(Files.exists(dir.resolve("run/train.csv")));
    }

    @Test
    void devicesListsBackendsAndBlas() {
        Cli.Result r = Cli.run("devices");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("reference fp64"), r.out());
        assertTrue(r.out().contains("blas "), r.out());
        assertTrue(r.out().contains("--device auto uses:"), r.out());
    }

    @Test
    void everyCommandHasHelpWithAnExample() {
        for (String cmd : List.of("kernel", "train", "predict", "devices", "bench", "demo")) {
            Cli.Result r = Cli.run(cmd, "--help");
            assertEquals(0, r.code(), cmd + ": " + r);
            assertTrue(r.out().contains("Usage: ntk " + cmd), r.out());
            assertTrue(r.out().contains("Example") && r.out().contains("ntk " + cmd), cmd + " help has no example");
        }
        Cli.Result top = Cli.run("--help");
        assertEquals(0, top.code());
        assertTrue(top.out().contains("kernel") && top.out().contains("demo"));
    }
}
