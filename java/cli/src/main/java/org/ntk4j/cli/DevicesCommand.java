package org.ntk4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.ntk4j.spi.BackendProvider;
import org.ntk4j.Ntk;
import org.ntk4j.Precision;
import picocli.CommandLine.Command;

/** {@code ntk devices}: what can compute here. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        header = "The backends, GPU, BLAS library and Java runtime found here.",
        description = "List the backends found (and why any cannot run), the GPU (name, memory, compute capability,"
                + " kernels loaded), the BLAS library in use and the Java runtime.",
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
        out.printf(Locale.ROOT, "blas     %s%n", blasDescription());
        out.println("backends:");
        String auto = null;
        for (BackendProvider p : Ntk.providers()) {
            String why = p.unavailableReason();
            if (why != null) {
                out.printf(Locale.ROOT, "  %-9s unavailable: %s%n", p.name(), why);
                printProperties(out, p);
                continue;
            }
            try (Ntk b = Ntk.builder().backend(p.name()).open()) {
                out.printf(Locale.ROOT, "  %-9s %s%n", p.name(), b.description());
                if (auto == null && p.autoSelectable()) {
                    auto = p.name();
                }
                printProperties(out, p);
            } catch (RuntimeException e) {
                out.printf(Locale.ROOT, "  %-9s failed to open: %s%n", p.name(), Errors.describe(e));
            }
        }
        out.println("--device auto uses: " + (auto == null ? "none (no cpu or cuda backend can run)" : auto));
        return 0;
    }

    private static void printProperties(java.io.PrintWriter out, BackendProvider p) {
        for (var e : p.properties().entrySet()) {
            out.printf(Locale.ROOT, "  %-9s   %-10s %s%n", "", e.getKey(), e.getValue());
        }
    }

    /** Which BLAS implementation dev.ludovic.netlib picked, and the native library behind it when there is one. */
    static String blasDescription() {
        String impl;
        try {
            impl = dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getSimpleName();
        } catch (Throwable t) {
            impl = "unavailable (" + t.getClass().getSimpleName() + ")";
        }
        String lib = nativeBlas();
        return switch (impl) {
            case "JNIBLAS" -> "native " + (lib == null ? "libblas.so.3" : lib) + " (through dev.ludovic.netlib)";
            case "VectorBLAS" -> "pure Java with the Vector API (no native BLAS found; install libopenblas0)";
            case "Java8BLAS", "Java11BLAS", "JavaBLAS" -> "pure Java (no native BLAS found; install libopenblas0)";
            default -> impl;
        };
    }

    private static String nativeBlas() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/usr/lib64", "/usr/lib"}) {
            Path p = Path.of(dir, "libblas.so.3");
            if (Files.exists(p)) {
                try {
                    Path real = p.toRealPath();
                    String s = real.toString();
                    String which = s.contains("openblas") ? "OpenBLAS" : s.contains("blis") ? "BLIS"
                            : s.contains("mkl") ? "MKL" : s.contains("atlas") ? "ATLAS" : "reference BLAS";
                    return which + " " + s;
                } catch (java.io.IOException e) {
                    return p.toString();
                }
            }
        }
        return null;
    }
}
