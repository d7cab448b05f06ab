package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An oracle from outside the project: {@code ntk kernel} in fp64 against PyTorch's functorch (torch.func), computing
 * the same network's empirical NTK by per-example Jacobians (bench/peers/torch_ntk.py), within 1e-9 relative. Several
 * activations, both parameterizations, σ_w ≠ 1, biases, depth and width, full and trace modes. Skipped (never passed)
 * where PyTorch is not installed; CI installs Debian's python3-torch and fails on that skip.
 */
class TorchOracleTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({
        "'5,16,3', relu, ntk, 1.4, 0.3, full",
        "'4,9,7,2', tanh, ntk, 0.8, 0.0, full",
        "'6,12,12,12,4', gelu, standard, 1.7, 0.5, trace",
        "'3,20,1', erf, standard, 1.0, 1.0, full",
        "'7,5,6,3', identity, ntk, 2.0, 0.2, trace",
    })
    void theKernelEqualsFunctorchs(String arch, String act, String param, double wstd, double bstd, String mode)
            throws Exception {
        String python = BenchCommand.torchPython();
        Assumptions.assumeTrue(python != null, "PyTorch (torch, numpy, functorch) is not installed");
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 9, Integer.parseInt(arch.split(",")[0]), 5, false);
        Path k = dir.resolve("k.npy");
        Path p = dir.resolve("p.npz");
        Cli.Result r = Cli.run("kernel", "--x", x, "--arch", arch, "--act", act, "--parameterization", param, "--wstd", wstd,
                "--bstd", bstd, "--seed", 11, "--precision", "fp64", "--mode", mode, "--save-weights", p, "-q",
                "--out", k);
        assertEquals(0, r.code(), r.toString());
        List<String> cmd = new ArrayList<>(List.of(python, Processes.root().resolve("bench/peers/torch_ntk.py")
                .toString(), "--weights", p.toString(), "--x", x.toString(), "--mode", mode, "--activation", act,
                "--parameterization", param, "--sigma-w", String.valueOf(wstd), "--sigma-b", String.valueOf(bstd),
                "--dtype", "float64", "--threads", "1", "--repeats", "0", "--expect", k.toString(), "--rtol", "1e-9"));
        Process torch = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(torch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(torch.waitFor(120, TimeUnit.SECONDS), "torch_ntk.py did not finish");
        assertEquals(0, torch.exitValue(), "functorch's kernel differs from ntk kernel's (or the peer failed): " + out);
        assertTrue(out.contains("rel_err"), out);
    }
}
