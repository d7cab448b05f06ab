package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Ntk;

class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void quickBenchTimesABackendAndWritesCsv() throws IOException {
        boolean cpu = Ntk.backends().stream()
                .anyMatch(p -> p.name().equals("cpu") && p.unavailableReason() == null);
        Path csv = dir.resolve("bench.csv");
        Cli.Result r = Cli.run("bench", "--quick", "--device", cpu ? "cpu" : "reference", "--repeats", 1, "--peer", "off",
                "--csv", csv);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("32,128,128,4 N=64") && r.out().contains(" ms"), r.out());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(2, lines.size(), lines.toString());
        double seconds = Double.parseDouble(lines.get(1).split(",")[3]);
        assertTrue(seconds > 0 && seconds < 60, lines.get(1));
    }

    @Test
    void pyTorchPeerAgreesWhenTorchIsInstalledElseIsSkippedWithANote() throws IOException {
        Path csv = dir.resolve("peer.csv");
        Cli.Result r = Cli.run("bench", "--quick", "--device", "cpu", "--repeats", 1, "--csv", csv);
        assertEquals(0, r.code(), r.toString());
        List<String> lines = Files.readAllLines(csv);
        if (BenchCommand.torchPython() == null) {
            assertTrue(r.err().contains("PyTorch peer: skipped"), r.toString());
            assertEquals(2, lines.size(), lines.toString());
            // the note is right, but nothing was compared: a skip, not a pass (CI installs python3-torch)
            Assumptions.abort("PyTorch (torch, numpy, functorch) is not installed: the peer comparison did not run");
        } else {
            assertEquals(3, lines.size(), lines.toString());
            String[] peer = lines.get(2).split(",");
            assertTrue(lines.get(2).contains("pytorch"), lines.get(2));
            double err = Double.parseDouble(peer[4]);
            assertTrue(err < 1e-4, "PyTorch's kernel differs from ntk4j's by " + err);
        }
    }

    @Test
    void badDeviceIsAUsageError() {
        Cli.Result r = Cli.run("bench", "--device", "tpu");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("tpu"), r.err());
    }
}
