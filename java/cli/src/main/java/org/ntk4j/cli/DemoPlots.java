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
 * {@code plot.series}, {@code plot.logx}, {@code plot.logy}, {@code plot.xlabel}, {@code plot.ylabel}) gets its own figure, and the per-width quantities
 * of the lazy-training picture share one log-log figure, {@code scaling.png}, each with its fitted slope (the CNN's
 * against its channel count likewise in {@code cnn_scaling.png}). The
 * eigenmode experiment gets a two-panel figure per width ({@link #eigenmodeFigures}).
 */
final class DemoPlots {
    private DemoPlots() {
    }

    /** A per-width quantity of the scaling figure: the table, the column, and a row filter (final step) if any. */
    private record Quantity(String table, String column, String label, boolean finalStep) {
    }

    /** The CNN's per-channel-count quantities, in {@code cnn_scaling.png}. */
    private static final List<Quantity> CNN_SCALING = List.of(
            new Quantity("cnn_weight_movement_final", "change_total", "CNN weight change ‖θ_T − θ_0‖/‖θ_0‖", false),
            new Quantity("cnn_kernel_drift", "drift", "CNN kernel drift ‖Θ_T − Θ_0‖/‖Θ_0‖", true));

    private static final List<Quantity> SCALING = List.of(
            new Quantity("weight_movement_final", "change_total", "weight change ‖θ_T − θ_0‖/‖θ_0‖", false),
            new Quantity("kernel_drift", "drift", "kernel drift ‖Θ_T − Θ_0‖/‖Θ_0‖", true),
            new Quantity("linearization", "test_gap", "network − linearization (test)", true),
            new Quantity("ntk_convergence_summary", "mean_relative_error", "‖Θ_emp − Θ_∞‖/‖Θ_∞‖ at init", false),
            new Quantity("lazy_score_summary", "mean_score", "lazy-training score k(θ_0)", false),
            new Quantity("eigenmode_rate_deviation", "median_relative_deviation",
                    "eigenmode decay-rate deviation (median)", false));

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
        written.addAll(eigenmodeFigures(report, dir));
        Path mlp = scalingFigure(report, dir.resolve("scaling.png"), "Lazy training: what vanishes as the network widens",
                "hidden width", SCALING, slopes);
        Path cnn = scalingFigure(report, dir.resolve("cnn_scaling.png"), "Lazy training of a CNN: against its channels",
                "channels per conv layer", CNN_SCALING, slopes);
        written.addAll(0, java.util.stream.Stream.of(mlp, cnn).filter(java.util.Objects::nonNull).toList());
        return written;
    }

    /** One log-log figure of per-width quantities with their fitted slopes (added to {@code slopes}); null if empty. */
    private static Path scalingFigure(Report report, Path png, String title, String xLabel, List<Quantity> quantities,
                                      List<Slope> slopes) throws IOException {
        Plots.Figure scaling = Plots.chart(title, xLabel, "relative size", true, true, true);
        for (Quantity q : quantities) {
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
        if (scaling.isEmpty()) {
            return null;
        }
        Plots.save(png, scaling);
        return png;
    }

    /**
     * One PNG per width of the eigenmode experiment, {@code eigenmode_decay_w<width>.png}, with two panels: the
     * residual's components along Θ_0's eigenvectors over the steps (measured as markers, the linearized prediction
     * as a line of the same color; log y), and every resolved mode's fitted decay rate against its eigenvalue with
     * the discrete and the gradient-flow prediction (log-log).
     */
    static List<Path> eigenmodeFigures(Report report, Path dir) throws IOException {
        Table decay = find(report, "eigenmode_decay");
        Table rates = find(report, "eigenmode_rates");
        if (decay == null || rates == null || decay.rowCount() == 0) {
            return List.of();
        }
        Table dev = find(report, "eigenmode_rate_deviation");
        List<Path> written = new ArrayList<>();
        for (Object width : decay.distinct("width")) {
            Path png = dir.resolve("eigenmode_decay_w" + width + ".png");
            Plots.save(png, eigenmodeMagnitudes(decay.where("width", width), width),
                    eigenmodeRates(rates.where("width", width), dev == null ? null : dev.where("width", width), width));
            written.add(png);
        }
        return written;
    }

    private static Plots.Figure eigenmodeMagnitudes(Table t, Object width) {
        Map<String, String> m = t.meta();
        Plots.Figure f = Plots.chart("width " + width + ": " + m.getOrDefault("plot.title", t.name()),
                m.getOrDefault("plot.xlabel", "step"), m.getOrDefault("plot.ylabel", "measured"), false, true, true);
        // Predictions fall to 1e-30 and below within the run; the axis stops a little under the measured values.
        double floor = Double.POSITIVE_INFINITY;
        for (double v : t.numbers("measured")) {
            if (v > 0) {
                floor = Math.min(floor, v / 3);
            }
        }
        for (Object mode : t.distinct("mode")) {
            Table part = t.where("mode", mode);
            double[] steps = part.numbers("step");
            double[] predicted = part.numbers("predicted");
            double lambda = part.numbers("eigenvalue")[0];
            f.markers(String.format(Locale.ROOT, "mode %s: λ = %.3g", mode, lambda), steps, part.numbers("measured"));
            int keep = 0;
            while (keep < predicted.length && predicted[keep] >= floor) {
                keep++;
            }
            f.guide(java.util.Arrays.copyOf(steps, keep), java.util.Arrays.copyOf(predicted, keep));
        }
        return f;
    }

    private static Plots.Figure eigenmodeRates(Table t, Table dev, Object width) {
        Map<String, String> m = t.meta();
        String title = "width " + width + ": " + m.getOrDefault("plot.title", t.name());
        if (dev != null && dev.rowCount() == 1) {
            title += String.format(Locale.ROOT, " (median |ρ̂ − ρ|/ρ = %.2g)",
                    dev.numbers("median_relative_deviation")[0]);
        }
        Plots.Figure f = Plots.chart(title, m.getOrDefault("plot.xlabel", "eigenvalue"),
                m.getOrDefault("plot.ylabel", "rate"), true, true, true);
        double[] lambda = t.numbers("eigenvalue");
        double[] measured = t.numbers("rate_measured");
        long hidden = java.util.Arrays.stream(measured).filter(v -> !(v > 0)).count();
        f.markers("network: fitted ρ̂_k" + (hidden > 0 ? " (" + hidden + " ≤ 0 off the axis)" : ""), lambda,
                measured);
        f.line("linearized GD: −ln(1 − ηλ/n)", lambda, t.numbers("rate_predicted"));
        f.dashed("gradient flow: ηλ/n", lambda, t.numbers("rate_flow"));
        return f;
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
        Plots.Figure c = Plots.chart(title, m.getOrDefault("plot.xlabel", x.replace('_', ' ')), m.getOrDefault("plot.ylabel",
                yCols.length == 1 ? yCols[0].trim().replace('_', ' ') : ""), logx, logy);
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
