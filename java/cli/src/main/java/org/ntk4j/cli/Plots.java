package org.ntk4j.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.ntk4j.experiments.LogLogFit;
import org.ntk4j.internal.io.OutputFile;

/**
 * PNG plots through XChart: measured points or curves, and log-log fits drawn dashed with the slope in the legend.
 *
 * <p>Log axes are drawn as linear axes over log values, labelled with the values themselves: base 2 when every x is
 * a power of two (hidden widths: 16, 32, …, 2048 each get a labelled tick), base 10 otherwise. XChart's own log
 * axis labels either only whole decades or so many ticks that they collide, and a width sweep spans two decades.
 */
final class Plots {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0x17becf), new Color(0x7f7f7f)};

    static {
        // ImageIO buffers a PNG in a file in java.io.tmpdir by default: with that disk full (and the output's
        // with room) the PNG failed. Plots are small; they are encoded in memory and written beside the output.
        javax.imageio.ImageIO.setUseCache(false);
    }

    private Plots() {
    }

    /** A figure with its legend below the plot (a row of entries). */
    static Figure chart(String title, String xTitle, String yTitle, boolean logX, boolean logY) {
        return new Figure(title, xTitle, yTitle, logX, logY, false);
    }

    /** A figure; {@code legendRight} puts long legend entries in a column right of the plot. */
    static Figure chart(String title, String xTitle, String yTitle, boolean logX, boolean logY, boolean legendRight) {
        return new Figure(title, xTitle, yTitle, logX, logY, legendRight);
    }

    /** The library's log-log fit over the points where x and y are positive and finite; null under two distinct x. */
    static LogLogFit fit(double[] x, double[] y) {
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && y[i] > 0 && Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                pts.add(new double[] {x[i], y[i]});
            }
        }
        if (pts.stream().mapToDouble(p -> p[0]).distinct().count() < 2) {
            return null;
        }
        return LogLogFit.of(pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray());
    }

    /**
     * Saves one figure, or several side by side, as a PNG (written whole, then renamed into place). Side-by-side
     * figures are drawn each at its own size and placed in a row (XChart's own grid gives every cell the first
     * chart's size, which cuts off a wider neighbour's legend).
     */
    static void save(Path png, Figure... figures) throws IOException {
        List<XYChart> charts = new ArrayList<>();
        for (Figure f : figures) {
            charts.add(f.render());
        }
        OutputFile.write(png, out -> {
            if (charts.size() == 1) {
                BitmapEncoder.saveBitmap(charts.get(0), out, BitmapEncoder.BitmapFormat.PNG);
            } else {
                List<java.awt.image.BufferedImage> images = new ArrayList<>();
                for (XYChart c : charts) {
                    images.add(BitmapEncoder.getBufferedImage(c));
                }
                int width = images.stream().mapToInt(java.awt.image.BufferedImage::getWidth).sum();
                int height = images.stream().mapToInt(java.awt.image.BufferedImage::getHeight).max().orElse(1);
                java.awt.image.BufferedImage row = new java.awt.image.BufferedImage(width, height,
                        java.awt.image.BufferedImage.TYPE_INT_RGB);
                java.awt.Graphics2D g = row.createGraphics();
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, width, height);
                int x = 0;
                for (java.awt.image.BufferedImage im : images) {
                    g.drawImage(im, x, 0, null);
                    x += im.getWidth();
                }
                g.dispose();
                if (!javax.imageio.ImageIO.write(row, "png", out)) {
                    throw new IOException("no PNG writer is available");
                }
            }
        });
    }

    /**
     * The tick label at exponent v of base b: the value itself. On a base-2 axis (hidden widths) only the powers of
     * two are labelled; the other ticks get distinct blank labels, since XChart drops every label of an axis whose
     * labels repeat.
     */
    static String logTick(double v, double base, java.util.Map<Double, String> blanks) {
        double k = Math.rint(v);
        boolean whole = Math.abs(v - k) < 1e-6;
        if (base == 2 && !whole) {
            return blanks.computeIfAbsent(v, key -> " ".repeat(blanks.size() + 1));
        }
        double value = Math.pow(base, whole ? k : v);
        if (value >= 1e-3 && value < 1e6) {
            java.math.BigDecimal b = new java.math.BigDecimal(value).round(new java.math.MathContext(whole ? 6 : 2));
            return b.stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, whole ? "%.0e" : "%.1e", value);
    }

    /** The data and style of a chart, turned into an XChart chart when saved (the log bases depend on all the data). */
    static final class Figure {
        private record Series(String name, double[] x, double[] y, Style style, int color, boolean legend) {
        }

        private enum Style { POINTS, MARKERS, LINE, DASHED, GUIDE, FIT }

        private final String title;
        private final String xTitle;
        private final String yTitle;
        private final boolean logX;
        private final boolean logY;
        private final boolean legendRight;
        private final List<Series> series = new ArrayList<>();
        private int colors;

        private Figure(String title, String xTitle, String yTitle, boolean logX, boolean logY, boolean legendRight) {
            this.title = title;
            this.xTitle = xTitle;
            this.yTitle = yTitle;
            this.logX = logX;
            this.logY = logY;
            this.legendRight = legendRight;
        }

        boolean isEmpty() {
            return series.isEmpty();
        }

        /** Measured values as markers joined by a thin line; false when no point can be drawn (e.g. ≤ 0 on a log axis). */
        boolean points(String name, double[] x, double[] y) {
            return add(name, x, y, Style.POINTS);
        }

        /** A line without markers (long curves such as a loss per step); false when no point can be drawn. */
        boolean line(String name, double[] x, double[] y) {
            return add(name, x, y, Style.LINE);
        }

        /** A dashed line without markers, in the legend; false when no point can be drawn. */
        boolean dashed(String name, double[] x, double[] y) {
            return add(name, x, y, Style.DASHED);
        }

        /** Measured values as markers alone (no joining line); false when no point can be drawn. */
        boolean markers(String name, double[] x, double[] y) {
            return add(name, x, y, Style.MARKERS);
        }

        /**
         * A thin line in the color of the series added last and left out of the legend — a prediction drawn under
         * the measurement it belongs to; false when there is no earlier series or no point can be drawn.
         */
        boolean guide(double[] x, double[] y) {
            if (series.isEmpty()) {
                return false;
            }
            List<double[]> kept = drawable(x, y);
            if (kept.isEmpty()) {
                return false;
            }
            Series last = series.get(series.size() - 1);
            series.add(new Series(last.name() + " (guide " + series.size() + ")",
                    kept.stream().mapToDouble(p -> p[0]).toArray(), kept.stream().mapToDouble(p -> p[1]).toArray(),
                    Style.GUIDE, last.color(), false));
            return true;
        }

        /**
         * Measured points plus their log-log fit y ≈ e^b·x^slope (the library's least squares over the positive
         * points), dashed in the same color; the legend names the points with the slope. Returns the fit, or null
         * under two usable points (then only the points are drawn, if any).
         */
        LogLogFit pointsWithFit(String name, double[] x, double[] y) {
            LogLogFit f = fit(x, y);
            if (!points(f == null ? name : String.format(Locale.ROOT, "%s (slope %.2f)", name, f.slope()), x, y)
                    || f == null) {
                return null;
            }
            series.add(new Series(name + " fit", new double[] {f.xMin(), f.xMax()},
                    new double[] {f.predict(f.xMin()), f.predict(f.xMax())}, Style.FIT, colors - 1, false));
            return f;
        }

        private boolean add(String name, double[] x, double[] y, Style style) {
            List<double[]> kept = drawable(x, y);
            if (kept.isEmpty()) {
                return false;
            }
            series.add(new Series(name, kept.stream().mapToDouble(p -> p[0]).toArray(),
                    kept.stream().mapToDouble(p -> p[1]).toArray(), style, colors++, true));
            return true;
        }

        /** The points that can be drawn: finite, and positive on a log axis. */
        private List<double[]> drawable(double[] x, double[] y) {
            List<double[]> kept = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                if (Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logX || x[i] > 0) && (!logY || y[i] > 0)) {
                    kept.add(new double[] {x[i], y[i]});
                }
            }
            return kept;
        }

        private boolean allPowersOfTwo() {
            for (Series s : series) {
                for (double v : s.x()) {
                    double e = Math.log(v) / Math.log(2);
                    if (Math.abs(e - Math.rint(e)) > 1e-9) {
                        return false;
                    }
                }
            }
            return true;
        }

        XYChart render() {
            // Many entries do not fit in one row below the plot: then they go in a column to its right.
            long entries = series.stream().filter(Series::legend).count();
            int longest = series.stream().filter(Series::legend).mapToInt(d -> d.name().length()).max().orElse(0);
            boolean right = legendRight || entries > 6;
            int width = !right ? 760 : longest <= 16 ? 900 : 1100;
            XYChart c = new XYChartBuilder().width(width).height(540).title(title)
                    .xAxisTitle(xTitle + (logX ? " (log scale)" : "")).yAxisTitle(yTitle + (logY ? " (log scale)" : ""))
                    .build();
            XYStyler s = c.getStyler();
            s.setLegendPosition(right ? Styler.LegendPosition.OutsideE : Styler.LegendPosition.OutsideS);
            s.setLegendLayout(right ? Styler.LegendLayout.Vertical : Styler.LegendLayout.Horizontal);
            s.setChartBackgroundColor(Color.WHITE);
            s.setPlotBackgroundColor(Color.WHITE);
            s.setPlotGridLinesColor(new Color(0xdddddd));
            s.setLegendBorderColor(new Color(0xbbbbbb));
            s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            s.setAntiAlias(true);
            double xBase = logX && allPowersOfTwo() ? 2 : 10;
            if (logX) {
                java.util.Map<Double, String> blanks = new java.util.HashMap<>();
                c.setCustomXAxisTickLabelsFormatter(v -> logTick(v, xBase, blanks));
            }
            if (logY) {
                java.util.Map<Double, String> blanks = new java.util.HashMap<>();
                c.setCustomYAxisTickLabelsFormatter(v -> logTick(v, 10, blanks));
            }
            for (Series d : series) {
                double[] x = d.x().clone();
                double[] y = d.y().clone();
                for (int i = 0; i < x.length; i++) {
                    x[i] = logX ? Math.log(x[i]) / Math.log(xBase) : x[i];
                    y[i] = logY ? Math.log10(y[i]) : y[i];
                }
                Color color = PALETTE[d.color() % PALETTE.length];
                XYSeries xs = c.addSeries(d.name(), x, y);
                xs.setLineColor(color).setShowInLegend(d.legend());
                switch (d.style()) {
                    case POINTS -> xs.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color)
                            .setLineStyle(new BasicStroke(1.2f));
                    case MARKERS -> xs.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color)
                            .setLineStyle(SeriesLines.NONE);
                    case LINE -> xs.setMarker(SeriesMarkers.NONE).setLineStyle(new BasicStroke(1.8f));
                    case GUIDE -> xs.setMarker(SeriesMarkers.NONE).setLineStyle(new BasicStroke(1.4f));
                    case DASHED, FIT -> xs.setMarker(SeriesMarkers.NONE).setLineStyle(SeriesLines.DASH_DASH);
                }
            }
            return c;
        }
    }
}
