package org.ntk4j.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ntk4j.BackendInfo;
import org.ntk4j.Ntk;
import org.ntk4j.Precision;
import picocli.CommandLine.Command;

/** {@code ntk devices}: what can compute here. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        header = "The backends, GPU, BLAS library and Java runtime found here.",
        description = "List the backends found (and why any cannot run), the GPU (name, memory, compute capability,"
                + " kernels loaded), the BLAS and LAPACK in use with their measured sgemm/dgemm GFLOP/s (and how the"
                + " BLAS was chosen: the system's or ntk4j's bundled OpenBLAS, whichever is faster) and the Java runtime.",
        footer = {"", "Example:", "  ntk devices"})
final class DevicesCommand extends BaseCommand {

    @Override
    protected int execute() {
        var out = out();
        Runtime rt = Runtime.getRuntime();
        out.printf(Locale.ROOT, "java     %s (%s), %d cores, max heap %s, Vector API %s%n", Runtime.version(),
                System.getProperty("java.vendor", "?"), rt.availableProcessors(), Converters.formatBytes(rt.maxMemory()),
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "on"
                        : "off (run with --add-modules jdk.incubator.vector)");
        printBlas(out);
        out.println("backends:");
        String auto = null;
        for (BackendInfo p : Ntk.backends()) {
            if (!p.available()) {
                out.printf(Locale.ROOT, "  %-9s unavailable: %s%n", p.name(), p.unavailableReason().orElseThrow());
                printProperties(out, p);
                continue;
            }
            try (Ntk b = Ntk.builder().backend(p.name()).open()) {
                out.printf(Locale.ROOT, "  %-9s %s%n", p.name(), b.description());
                if (auto == null && p.autoSelectable()) {
                    auto = p.name();
                }
                if (!p.name().equals("cpu")) {
                    printProperties(out, p); // the cpu backend's are the lines above
                }
            } catch (RuntimeException e) {
                out.printf(Locale.ROOT, "  %-9s failed to open: %s%n", p.name(), Errors.describe(e));
            }
        }
        out.println("--device auto uses: " + (auto == null ? "none (no cpu or cuda backend can run)" : auto));
        return 0;
    }

    private static void printProperties(java.io.PrintWriter out, BackendInfo p) {
        for (var e : p.properties().entrySet()) {
            out.printf(Locale.ROOT, "  %-9s   %-10s %s%n", "", e.getKey(), e.getValue());
        }
    }

    /** The CPU backend's BLAS and LAPACK (chosen once per process by measurement) and its measured GEMM rates. */
    private static void printBlas(java.io.PrintWriter out) {
        for (BackendInfo p : Ntk.backends()) {
            if (!p.name().equals("cpu")) {
                continue;
            }
            Map<String, String> props = p.properties();
            for (String key : List.of("blas", "lapack", "sgemm", "dgemm", "blas probe", "blas notes")) {
                if (props.containsKey(key)) {
                    out.printf(Locale.ROOT, "%-8s %s%n", key.replace("blas ", ""), props.get(key));
                }
            }
            return;
        }
        out.println("blas     no cpu backend on the class path");
    }
}
