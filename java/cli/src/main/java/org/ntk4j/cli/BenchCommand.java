package org.ntk4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ntk4j.Ntk;
import org.ntk4j.BackendInfo;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ntk bench}: a quick timing of the NTK on each backend here, and of PyTorch when it is installed. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        header = "A quick NTK benchmark on each backend (and PyTorch when installed).",
        description = {"Time Θ(X, X) for a few network sizes on every backend that can run here (median of --repeats"
                + " after one warm-up call), and the same kernel in PyTorch (vmap(jacrev) Jacobians and einsum, on the CPU's"
                + " threads) when python3 with torch is found. 'vs first' is the relative Frobenius difference from the"
                + " first backend's kernel.",
                "For careful measurements use the JMH and GPU harnesses under bench/."},
        footer = {"", "Examples:", "  ntk bench", "  ntk bench --quick --device cpu --repeats 5 --csv bench.csv"})
final class BenchCommand extends BaseCommand {
    @Option(names = "--quick", description = "One small case (seconds).")
    boolean quick;

    @Option(names = "--device", defaultValue = "all", paramLabel = "all|cpu|cuda|reference",
            description = "Which backends: all (cpu and cuda where they run) or one (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|fp64|tf32",
            converter = Converters.PrecisionConverter.class, description = "Precision (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed calls per case (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--peer", defaultValue = "auto", paramLabel = "auto|off",
            description = "Run the PyTorch peer when python3 with torch is found (default: ${DEFAULT-VALUE}).")
    String peer;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write the results as CSV.")
    Path csv;

    /** The most memory the PyTorch peer may take for its Jacobians. */
    static final long PEER_MEMORY = 4L << 30;

    record Case(String arch, int n, NtkMode mode) {
        String label() {
            return arch + " N=" + n;
        }
    }

    record Row(Case c, String who, double medianS, double relErrVsNtk4j) {
    }

    static List<Case> cases(boolean quick) {
        if (quick) {
            return List.of(new Case("32,128,128,4", 64, NtkMode.TRACE));
        }
        return List.of(new Case("64,256,256,10", 256, NtkMode.TRACE), new Case("64,256,256,10", 256, NtkMode.FULL),
                new Case("64,2048,2048,10", 256, NtkMode.TRACE));
    }

    @Override
    protected int execute() throws Exception {
        if (repeats < 1) {
            throw new UsageError("--repeats must be at least 1");
        }
        if (!peer.equals("auto") && !peer.equals("off")) {
            throw new UsageError("--peer must be auto or off, got '" + peer + "'");
        }
        List<String> kinds = kinds();
        String python = peer.equals("off") ? null : torchPython();
        var out = out();
        out.printf(Locale.ROOT, "%-22s %-6s %-58s %12s %10s%n", "case", "mode", "implementation", "median", "vs first");
        List<Row> rows = new ArrayList<>();
        Path tmp = Files.createTempDirectory("ntk-bench");
        try {
            for (Case c : cases(quick)) {
                Architecture arch = Architecture.parseWidths(c.arch()).build();
                Parameters params = Parameters.init(arch, 1);
                Matrix x = gaussian(c.n(), arch.inputDim(), 2);
                Tensor first = null;
                for (String k : kinds) {
                    try (Ntk b = Ntk.builder().backend(k).precision(precision).open()) {
                        double[] t = new double[repeats];
                        Tensor r = b.kernel(params, x, c.mode(), Implementation.AUTO);
                        for (int i = 0; i < repeats; i++) {
                            long t0 = System.nanoTime();
                            r = b.kernel(params, x, c.mode(), Implementation.AUTO);
                            t[i] = (System.nanoTime() - t0) / 1e9;
                        }
                        double err = first == null ? Double.NaN : relErr(r.doubles(), first.doubles());
                        first = first == null ? r : first;
                        rows.add(print(new Row(c, b.description(), median(t), err)));
                    }
                }
                // Trace mode only: PyTorch's full-mode einsum over the Jacobians takes minutes at these sizes.
                if (python != null && first != null && c.mode() == NtkMode.TRACE) {
                    // The peer holds the whole (N, O, P) Jacobian (twice, with einsum's temporaries).
                    long jacobian = (long) c.n() * arch.outputDim() * arch.parameterCount()
                            * (precision == Precision.FP64 ? 8 : 4) * 2;
                    if (jacobian > PEER_MEMORY) {
                        info(String.format(Locale.ROOT, "PyTorch peer: skipped for %s (its Jacobians would take %s)",
                                c.label(), Converters.formatBytes(jacobian)));
                    } else {
                        rows.add(print(runPeer(python, tmp, c, params, x, first)));
                    }
                }
            }
        } finally {
            deleteTree(tmp);
        }
        if (python == null && !peer.equals("off")) {
            info("PyTorch peer: skipped (no python3 with torch found)");
        }
        if (csv != null) {
            Inputs.requireWritable(csv);
            StringBuilder sb = new StringBuilder("arch,n,mode,median_s,rel_err_vs_ntk4j,implementation\n");
            for (Row r : rows) {
                sb.append(String.format(Locale.ROOT, "%s,%d,%s,%.6g,%s,\"%s\"%n", r.c().arch().replace(',', '-'), r.c().n(),
                        r.c().mode().name().toLowerCase(Locale.ROOT), r.medianS(),
                        Double.isNaN(r.relErrVsNtk4j()) ? "" : String.format(Locale.ROOT, "%.3g", r.relErrVsNtk4j()),
                        r.who().replace("\"", "'")));
            }
            Files.writeString(csv, sb.toString());
        }
        return 0;
    }

    private Row print(Row r) {
        out().printf(Locale.ROOT, "%-22s %-6s %-58s %9.2f ms %10s%n", r.c().label(),
                r.c().mode().name().toLowerCase(Locale.ROOT), abbreviate(r.who(), 58), r.medianS() * 1e3,
                Double.isNaN(r.relErrVsNtk4j()) ? "" : String.format(Locale.ROOT, "%.1e", r.relErrVsNtk4j()));
        out().flush();
        return r;
    }

    private List<String> kinds() {
        List<String> kinds = new ArrayList<>();
        switch (device.toLowerCase(Locale.ROOT)) {
            case "all" -> {
                List<String> reasons = new ArrayList<>();
                for (BackendInfo p : Ntk.backends()) {
                    if (p.autoSelectable()) {
                        if (p.available()) {
                            kinds.add(p.name());
                        } else {
                            reasons.add(p.name() + ": " + p.unavailableReason().orElseThrow());
                        }
                    }
                }
                if (kinds.isEmpty()) {
                    throw new UsageError("no cpu or cuda backend can run here" + (reasons.isEmpty() ? ""
                            : " (" + String.join("; ", reasons) + ")") + "; try --device reference");
                }
                // CPU first: it is the baseline the GPU is compared with.
                kinds.sort((a, b) -> a.equals("cpu") ? -1 : b.equals("cpu") ? 1 : 0);
            }
            case "cpu" -> kinds.add("cpu");
            case "cuda", "gpu" -> kinds.add("cuda");
            case "reference" -> kinds.add("reference");
            default -> throw new UsageError("unknown --device '" + device + "' (expected all, cpu, cuda or reference)");
        }
        return kinds;
    }

    /**
     * Runs bench/peers/torch_ntk.py (packaged in this jar) on the same parameters and inputs: PyTorch's
     * vmap(jacrev) Jacobians contracted by einsum, on the CPU, compared with ntk4j's kernel.
     */
    private Row runPeer(String python, Path tmp, Case c, Parameters params, Matrix x, Tensor ours) throws IOException {
        Path xf = tmp.resolve("x.npy");
        Path pf = tmp.resolve("weights.npz");
        Path kf = tmp.resolve("expect.npy");
        Path script = tmp.resolve("torch_ntk.py");
        try (InputStream in = BenchCommand.class.getResourceAsStream("peers/torch_ntk.py")) {
            if (in == null) {
                throw new UsageError("this build has no PyTorch peer script; use --peer off");
            }
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        boolean fp64 = precision == Precision.FP64;
        Npy.write(xf, x.asTensor().toPrecision(!fp64 ? Precision.FP32 : Precision.FP64));
        Npy.write(kf, ours);
        ParametersIO.save(params, pf);
        Architecture a = params.architecture();
        List<String> cmd = List.of(python, script.toString(), "--weights", pf.toString(), "--x", xf.toString(),
                "--mode", c.mode().name().toLowerCase(Locale.ROOT), "--activation", a.activation().id(),
                "--parameterization", a.parameterization().id(), "--sigma-w", String.valueOf(a.sigmaW()),
                "--sigma-b", String.valueOf(a.sigmaB()), "--threads",
                String.valueOf(Runtime.getRuntime().availableProcessors()), "--repeats", String.valueOf(repeats),
                "--expect", kf.toString(), "--rtol", fp64 ? "1e-10" : "1e-4", "--dtype", fp64 ? "float64" : "float32");
        List<String> output = new ArrayList<>();
        int code = runProcess(cmd, output, 600);
        String json = "";
        for (String line : output) {
            if (line.startsWith("{")) {
                json = line;
            }
        }
        Matcher m = Pattern.compile("\"median_ms\":\\s*([0-9.eE+-]+)").matcher(json);
        Matcher p = Pattern.compile("\"peer\":\\s*\"([^\"]*)\"").matcher(json);
        Matcher e = Pattern.compile("\"rel_err_vs_ntk4j\":\\s*([0-9.eE+-]+)").matcher(json);
        if (!m.find()) {
            String last = output.isEmpty() ? "no output" : output.get(output.size() - 1);
            throw new UsageError("the PyTorch peer failed (exit " + code + "): " + last + "; use --peer off to skip it");
        }
        String who = (p.find() ? p.group(1) : "pytorch") + ", cpu";
        double err = e.find() ? Double.parseDouble(e.group(1)) : Double.NaN;
        return new Row(c, who, Double.parseDouble(m.group(1)) / 1e3, err);
    }

    /** python3 if it can import torch (checked once, quickly), else null. */
    static String torchPython() {
        // The first python3 on PATH, then the system one (Debian's python3-torch installs there).
        for (String py : new String[] {"python3", "/usr/bin/python3", "python"}) {
            try {
                List<String> out = new ArrayList<>();
                if (runProcess(List.of(py, "-c", "import torch, numpy, functorch"), out, 60) == 0) {
                    return py;
                }
            } catch (IOException e) {
                // not on PATH
            }
        }
        return null;
    }

    private static int runProcess(List<String> cmd, List<String> lines, int timeoutS) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return 124;
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    static Matrix gaussian(int n, int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return new Matrix(n, d, v);
    }

    static double relErr(double[] a, double[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    static double median(double[] t) {
        double[] s = t.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    private static String abbreviate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder; nothing more to do
        }
    }
}
