package org.ntk4j.bench;

import java.nio.file.Path;
import java.util.Locale;
import org.ntk4j.Ntk;
import org.ntk4j.Precision;
import org.ntk4j.experiments.DemoConfig;
import org.ntk4j.experiments.LazyTrainingDemo;
import org.ntk4j.experiments.Report;
import org.ntk4j.experiments.Table;

/**
 * Runs the lazy-training demo and prints its summary, fits and timings (the tables go to a directory as CSV).
 * Usage: {@code java -cp bench/target/benchmarks.jar org.ntk4j.bench.LazyTrainingDemoMain [quick|cpu|gpu]
 * [output-dir] [backend]}.
 */
public final class LazyTrainingDemoMain {
    private LazyTrainingDemoMain() {
    }

    public static void main(String[] args) {
        String size = args.length > 0 ? args[0] : "cpu";
        Path out = Path.of(args.length > 1 ? args[1] : "ntk-demo");
        String backend = args.length > 2 ? args[2] : Ntk.AUTO;
        try (Ntk b = Ntk.builder().backend(backend).precision(Precision.FP32).open()) {
            DemoConfig cfg = switch (size) {
                case "quick" -> DemoConfig.quick();
                case "gpu" -> DemoConfig.gpu();
                default -> DemoConfig.cpu();
            };
            long t0 = System.nanoTime();
            Report r = LazyTrainingDemo.run(b, cfg, p -> {
                if (p.done() == p.total()) {
                    System.err.printf(Locale.ROOT, "%7.1f s  %s done %s%n", (System.nanoTime() - t0) / 1e9, p.task(),
                            p.detail());
                }
            });
            r.writeTo(out);
            System.out.println(r.summary());
            for (Table t : r.tables()) {
                if (t.name().endsWith("_final") || t.name().endsWith("_fits") || t.name().endsWith("_summary")
                        || t.name().contains("throughput") || t.name().equals("demo_timings")) {
                    System.out.println(t.toMarkdown());
                }
            }
        }
    }
}
