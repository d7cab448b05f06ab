package org.ntk4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ntk4j.Ntk;
import org.ntk4j.experiments.DemoConfig;
import org.ntk4j.experiments.LazyTrainingDemo;
import org.ntk4j.experiments.Report;
import org.ntk4j.experiments.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ntk demo}: the lazy-training experiments on the digits data, as plots, tables and a summary. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        header = "The lazy-training experiments on digits: plots, tables, slopes.",
        description = {"Run the lazy-training experiments on the shipped digits data set (on the GPU when there is"
                + " one, else the CPU): how far weights move in training, how the kernel drifts, how close the"
                + " network stays to its linearisation, how fast the empirical NTK approaches the infinite-width one,"
                + " the lazy-training score, and how the training residual decays along the eigenvectors of the NTK"
                + " at initialisation against the linearized prediction — each against the hidden width; and the weight"
                + " change and kernel drift of a small CNN on the digits as 8×8×1 images against its channel count.",
                "Writes PNG plots (log-log with fitted slopes where it fits), CSV tables and a Markdown report to DIR,"
                        + " and prints the backend, each fitted slope and the total time."},
        footer = {"", "Examples:", "  ntk demo", "  ntk demo --quick --out-dir /tmp/demo", "  ntk demo --device cpu --precision fp64"})
final class DemoCommand extends BaseCommand {
    @Option(names = "--out-dir", converter = Converters.FolderConverter.class, defaultValue = "ntk-demo", paramLabel = "DIR",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--quick", description = "Small sizes (widths 16…128, 48 digits; CNN channels 8…32): seconds, for tests and CI.")
    boolean quick;

    @Mixin
    DeviceOptions compute;

    @Override
    protected int execute() throws Exception {
        long start = System.nanoTime();
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new UsageError("--out-dir " + outDir + " exists and is not a folder");
        }
        Report report;
        String backendName;
        try (Ntk backend = compute.openBackend();
             Progress.Bars bars = new Progress.Bars(quiet ? null : err(), "steps")) {
            backendName = backend.description();
            DemoConfig cfg = quick ? DemoConfig.quick() : DemoConfig.forBackend(backend);
            info("ntk demo: " + (quick ? "quick sizes" : "full sizes") + " on " + backendName);
            report = LazyTrainingDemo.run(backend, cfg, bars);
        }
        Files.createDirectories(outDir);
        report.writeTo(outDir);
        List<DemoPlots.Slope> slopes = new ArrayList<>();
        List<Path> pngs = DemoPlots.write(report, outDir, slopes);
        Path md = outDir.resolve(report.name().replaceAll("[^A-Za-z0-9_.-]", "_") + ".md");
        appendPlots(md, pngs, slopes);

        var out = out();
        out.println("backend: " + backendName);
        out.println("slopes vs hidden width, CNN lines vs channels (log-log fits; all widths, then the widest three"
                + " where present):");
        // One line per quantity: its fit over all widths and, when the report has it, over the widest three.
        java.util.Map<String, List<String>> lines = new java.util.LinkedHashMap<>();
        for (Table t : report.tables()) {
            if (t.name().endsWith("_fits")) {
                String label = t.meta().get("network.label");
                for (int i = 0; i < t.rowCount(); i++) {
                    String q = String.valueOf(t.get(i, "quantity"));
                    String key = (label == null ? "" : label + " ") + q.replace(" (widest 3)", "");
                    lines.computeIfAbsent(key, k -> new ArrayList<>()).add(String.format(Locale.ROOT,
                            "%+.3f (r² %.2f, %s…%s)", ((Number) t.get(i, "slope")).doubleValue(),
                            ((Number) t.get(i, "r2")).doubleValue(), fmt(t.get(i, "width_min")),
                            fmt(t.get(i, "width_max"))));
                }
            }
        }
        lines.forEach((q, fits) -> out.printf(Locale.ROOT, "  %-38s %s%n", q, String.join("   ", fits)));
        // Where the CNN sweep did not run on the demo's backend (ran elsewhere, or not at all), one line says why.
        report.summary().lines().filter(l -> l.startsWith("CNN sweep ")).forEach(out::println);
        out.printf(Locale.ROOT, "total %.1f s; wrote %d tables, %d plots and %s to %s%n",
                (System.nanoTime() - start) / 1e9, report.tables().size(), pngs.size(), md.getFileName(), outDir);
        return 0;
    }

    private static String fmt(Object v) {
        return v instanceof Number n ? String.valueOf((long) n.doubleValue()) : String.valueOf(v);
    }

    private static void appendPlots(Path md, List<Path> pngs, List<DemoPlots.Slope> slopes) throws java.io.IOException {
        StringBuilder sb = new StringBuilder("\n## Plots\n\n");
        if (!slopes.isEmpty()) {
            sb.append("| quantity (in scaling.png; CNN in cnn_scaling.png) | slope vs width (CNN: vs channels) | r² |\n"
                    + "|---|---|---|\n");
            for (DemoPlots.Slope s : slopes) {
                sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f |%n", s.label(), s.fit().slope(), s.fit().r2()));
            }
            sb.append('\n');
        }
        for (Path p : pngs) {
            sb.append("![").append(p.getFileName()).append("](").append(p.getFileName()).append(")\n\n");
        }
        // Rewritten whole (a small file) so that it, too, is replaced atomically.
        org.ntk4j.internal.io.OutputFile.writeString(md, Files.readString(md) + sb);
    }
}
