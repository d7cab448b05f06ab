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
 * activations, both parameterizations, σ_w ≠ 1, biases, depth and width, full and trace modes. CNNs too: the layer
 * --arch on the fp64 reference against the same network as a PyTorch {@code nn.Sequential} (bench/peers/torch_sequential.py:
 * Conv2d, AvgPool2d with count_include_pad, Flatten, Linear) from the weights ntk4j saved, within 1e-10. Skipped (never
 * passed) where PyTorch is not installed; CI installs Debian's python3-torch and fails on that skip.
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

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "standard; 7x6x2:conv(3,3x3,same,stride=2,1.5,0.1),relu,avgpool(3x3,same,stride=1),conv(4,2x2),relu,flatten,"
                + "dense(2,1.0,0.3)",
        "ntk; 5x4x3:conv(3,3x2,circular,1.5,0.3),tanh,avgpool(2x2,same),conv(2,1x1,valid,0.8),gelu,gap,dense(2,1.2,0.2)",
        "ntk; 6x5x1:conv(2,5x5,same,stride=2,1.3,0.4),erf,conv(3,3x1,valid,stride=1x2),relu,flatten,dense(3,0.9)",
    })
    void aCnnsKernelEqualsPyTorchs(String param, String arch) throws Exception {
        String python = BenchCommand.torchPython();
        Assumptions.assumeTrue(python != null, "PyTorch (torch, numpy, functorch) is not installed");
        org.ntk4j.model.Architecture a = org.ntk4j.model.Architecture.parse(arch,
                org.ntk4j.model.Parameterization.parse(param));
        Path x = dir.resolve("x.npy");
        long[] s = a.inputShape().dims();
        Cli.randomInputs(x, 4, (int) a.inputShape().size(), 5, false);
        Path images = dir.resolve("images.npy"); // the same values as (N, H, W, C)
        org.ntk4j.io.Npy.write(images, org.ntk4j.io.Npy.read(x).reshape(4, (int) s[0], (int) s[1], (int) s[2]));
        Path k = dir.resolve("k.npy");
        Path p = dir.resolve("p.npz");
        Cli.Result r = Cli.run("kernel", "--x", images, "--arch", arch, "--parameterization", param, "--seed", 11,
                "--device", "reference", "--precision", "fp64", "--mode", "full", "--save-weights", p, "-q", "--out", k);
        assertEquals(0, r.code(), r.toString());
        List<String> cmd = List.of(python, Processes.root().resolve("bench/peers/torch_sequential.py").toString(),
                "--arch", a.spec(), "--parameterization", param, "--weights", p.toString(), "--x", images.toString(),
                "--expect-kernel", k.toString(), "--rtol", "1e-10");
        Process torch = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(torch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(torch.waitFor(120, TimeUnit.SECONDS), "torch_sequential.py did not finish");
        assertEquals(0, torch.exitValue(), "PyTorch's kernel differs from ntk kernel's (or the peer failed): " + out);
        assertTrue(out.contains("kernel_rel_err"), out);
    }
}
