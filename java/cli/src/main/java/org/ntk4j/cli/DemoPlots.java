package org.ntk4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.ntk4j.experiments.LogLogFit;
import org.ntk4j.experiments.Report;
import org.ntk4j.experiments.Table;

/**
 * Turns the demo's tables into PNGs: every table with plot hints in its metadata ({@code plot.x}, {@code plot.y},
 * {@code plot.series}, {@code plot.logx}, {@code plot.logy}) gets its own figure, and the per-width quantities
 * of the lazy-training picture share one log-log figure, {@code scaling.png}, each with its fitted slope.
 */
final class DemoPlots {
    private DemoPlots() {
    }

    /** A per-width quantity of the scaling figure: the table, the column, and a row filter (final step) if any. */
    private record Quantity(String table, String column, String label, boolean finalStep) {
    }

    private static final List<Quantity> SCALING = List.of(
            new Quantity("weight_movement_final", "change_total", "weight change ‖θ_T − θ_0‖/‖θ_0‖", false),
            new Quantity("kernel_drift", "drift", "kernel drift ‖Θ_T − Θ_0‖/‖Θ_0‖", true),
            new Quantity("linearization", "test_gap", "network − linearization (test)", true),
            new Quantity("ntk_convergence_summary", "mean_relative_error", "‖Θ_emp − Θ_∞‖/‖Θ_∞‖ at init", false),
            new Quantity("lazy_score_summary", "mean_score", "lazy-training score k(θ_0)", false));

    /** One fitted line of the scaling figure. */
    record Slope(String label, LogLogFit fit) {
    }

    /** Writes the figures into dir; returns the files written and fills {@code slopes} with the scaling fits. */
    static List<Path> write(Report report, Path dir, List<Slope> slopes) throws IOException {
        List<Path> written = new ArrayList<>();
        for (Table t : report.tables()) {
            Plots.Figure c = fromHints(t);
            if (c != null && !c.isEmpty()) {
                Path png = dir.resolve(t.name() + ".png");
                Plots.save(png, c);
                written.add(png);
            }
        }
        Plots.Figure scaling = Plots.chart("Lazy training: what vanishes as the network widens", "hidden width",
                "relative size", true, true, true);
        for (Quantity q : SCALING) {
            Table t = find(report, q.table());
            if (t == null || !t.columns().contains(q.column())) {
                continue;
            }
            if (q.finalStep()) {
                double[] steps = t.numbers("step");
                double last = 0;
                for (double s : steps) {
                    last = Math.max(last, s);
                }
                t = t.where("step", (long) last);
            }
            double[] w = t.numbers("width");
            double[] v = t.numbers(q.column());
            LogLogFit f = scaling.pointsWithFit(q.label(), w, v);
            if (f != null) {
                slopes.add(new Slope(q.label(), f));
            }
        }
        if (!scaling.isEmpty()) {
            Path png = dir.resolve("scaling.png");
            Plots.save(png, scaling);
            written.add(0, png);
        }
        return written;
    }

    private static Table find(Report r, String name) {
        for (Table t : r.tables()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** The figure a table's plot hints describe, or null without hints. */
    static Plots.Figure fromHints(Table t) {
        Map<String, String> m = t.meta();
        String x = m.get("plot.x");
        String ys = m.get("plot.y");
        if (x == null || ys == null || t.rowCount() == 0) {
            return null;
        }
        boolean logx = "true".equals(m.get("plot.logx"));
        boolean logy = "true".equals(m.get("plot.logy"));
        String title = m.getOrDefault("plot.title", m.getOrDefault("title", t.name()));
        String[] yCols = ys.split(",");
        Plots.Figure c = Plots.chart(title, x.replace('_', ' '), yCols.length == 1 ? yCols[0].trim().replace('_', ' ') : "",
                logx, logy);
        String series = m.get("plot.series");
        List<Object> keys = series == null ? List.of("") : t.distinct(series);
        for (Object key : keys) {
            Table part = series == null ? t : t.where(series, key);
            double[] xv = part.numbers(x);
            for (String yc : yCols) {
                String col = yc.trim();
                String name = (series == null ? "" : series + " " + key) + (yCols.length > 1 || series == null
                        ? (series == null ? "" : " ") + col.replace('_', ' ') : "");
                double[] yv = part.numbers(col);
                if (series == null && logx && logy) {
                    c.pointsWithFit(name, xv, yv);
                } else if (xv.length > 40) {
                    c.line(name, xv, yv);
                } else {
                    c.points(name, xv, yv);
                }
            }
        }
        return c;
    }

    /** "-0.49 (r² 0.99)". */
    static String describe(LogLogFit f) {
        return String.format(Locale.ROOT, "%+.3f (r² %.3f)", f.slope(), f.r2());
    }
}
