package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Ntk;
import org.ntk4j.experiments.DemoConfig;

class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void quickDemoWritesPlotsTablesAndASummary() throws IOException {
        // The default device when a fast backend exists; the slow reference only on a build without one.
        boolean fast = Ntk.backends().stream().anyMatch(p -> p.autoSelectable() && p.available());
        Path out = dir.resolve("demo");
        Cli.Result r = fast ? Cli.run("demo", "--quick", "--out-dir", out, "-q")
                : Cli.run("demo", "--quick", "--out-dir", out, "-q", "--device", "reference");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("backend: "), r.out());
        assertTrue(r.out().contains("slopes vs hidden width") && r.out().contains("change_total "), r.out());
        assertTrue(r.out().contains("total ") && r.out().contains(" s;"), r.out());
        for (String f : new String[] {"weight_movement.csv", "weight_movement_final.csv", "kernel_drift.csv",
                "ntk_convergence_summary.csv", "lazy_score_summary.csv", "training_fits.csv"}) {
            assertTrue(Files.size(out.resolve(f)) > 20, f);
        }
        TrainAndDevicesTest.assertPng(out.resolve("scaling.png"), 1000);
        TrainAndDevicesTest.assertPng(out.resolve("weight_movement.png"), 700);
        TrainAndDevicesTest.assertPng(out.resolve("ntk_convergence_summary.png"), 700);
        // The decoupled flow: two panels per width side by side, the deviation table and its fitted slope printed.
        for (int w : DemoConfig.quick().eigenmodes().widths()) {
            TrainAndDevicesTest.assertPng(out.resolve("eigenmode_decay_w" + w + ".png"), 1400);
        }
        TrainAndDevicesTest.assertPng(out.resolve("eigenmode_rate_deviation.png"), 700);
        assertTrue(Files.readString(out.resolve("eigenmode_rate_deviation.csv")).startsWith("width,parameters,"));
        assertTrue(r.out().contains("eigenmode rate deviation (median)"), r.out());
        // The CNN against its channel count: its fitted lines printed, its scaling figure, its slopes beside the MLP's.
        assertTrue(r.out().contains("CNN change_total ") && r.out().contains("CNN kernel_drift (final step) "), r.out());
        TrainAndDevicesTest.assertPng(out.resolve("cnn_scaling.png"), 1000);
        TrainAndDevicesTest.assertPng(out.resolve("cnn_weight_movement.png"), 700);
        String both = Files.readString(out.resolve("cnn_vs_mlp_slopes.csv"));
        assertTrue(both.startsWith("quantity,mlp_slope_vs_width,mlp_r2,cnn_slope_vs_channels,cnn_r2")
                && both.contains("\nchange_total,") && both.contains("\nkernel_drift (final step),"), both);
        String md = Files.readString(out.resolve("lazy-training_demo.md"));
        assertTrue(md.contains("| width |") && md.contains("## Plots") && md.contains("![scaling.png](scaling.png)"), md);
        assertTrue(md.contains("![eigenmode_decay_w16.png](eigenmode_decay_w16.png)"), md);
        assertTrue(md.contains("![cnn_scaling.png](cnn_scaling.png)") && md.contains("| CNN weight change "), md);
    }

    @Test
    void outputThatIsAFileIsAUsageError() throws IOException {
        Path file = Files.writeString(dir.resolve("taken"), "x");
        Cli.Result r = Cli.run("demo", "--quick", "--out-dir", file);
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("not a folder"), r.err());
    }
}
