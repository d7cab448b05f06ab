package org.ntk4j.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.ntk4j.experiments.LogLogFit;

/** PNG plots through XChart: measured points, log-log fits drawn as dashed lines with the slope in the legend. */
final class Plots {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0x17becf)};

    private Plots() {
    }

    /** A chart with its legend below the plot (a row of entries). */
    static XYChart chart(String title, String xTitle, String yTitle, boolean logX, boolean logY) {
        return chart(title, xTitle, yTitle, logX, logY, false);
    }

    /** A chart; {@code legendRight} puts long legend entries in a column right of the plot. */
    static XYChart chart(String title, String xTitle, String yTitle, boolean logX, boolean logY, boolean legendRight) {
        XYChart c = new XYChartBuilder().width(legendRight ? 1100 : 760).height(540).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        org.knowm.xchart.style.XYStyler s = c.getStyler();
        s.setXAxisLogarithmic(logX);
        s.setYAxisLogarithmic(logY);
        // Ticks between decades too: the sweeps span one or two decades only.
        s.setXAxisLogarithmicDecadeOnly(false);
        s.setYAxisLogarithmicDecadeOnly(false);
        s.setLegendPosition(legendRight ? Styler.LegendPosition.OutsideE : Styler.LegendPosition.OutsideS);
        s.setLegendLayout(legendRight ? Styler.LegendLayout.Vertical : Styler.LegendLayout.Horizontal);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xdddddd));
        s.setLegendBorderColor(new Color(0xbbbbbb));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setAntiAlias(true);
        return c;
    }

    /** Measured values as markers joined by a thin line (null when no point can be drawn: non-positive on a log axis). */
    static XYSeries points(XYChart c, String name, double[] x, double[] y) {
        double[][] xy = keep(c, x, y);
        if (xy[0].length == 0) {
            return null;
        }
        Color color = nextColor(c);
        XYSeries s = c.addSeries(name, xy[0], xy[1]);
        s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color).setLineColor(color)
                .setLineStyle(new BasicStroke(1.2f));
        return s;
    }

    /** A line without markers (for long curves such as a loss per step); null when no point can be drawn. */
    static XYSeries line(XYChart c, String name, double[] x, double[] y) {
        double[][] xy = keep(c, x, y);
        if (xy[0].length == 0) {
            return null;
        }
        Color color = nextColor(c);
        XYSeries s = c.addSeries(name, xy[0], xy[1]);
        s.setMarker(SeriesMarkers.NONE).setLineColor(color).setLineStyle(new BasicStroke(1.8f));
        return s;
    }

    /** The palette color for the next series shown in the legend (fit lines share their points' color). */
    private static Color nextColor(XYChart c) {
        long shown = c.getSeriesMap().values().stream().filter(XYSeries::isShowInLegend).count();
        return PALETTE[(int) (shown % PALETTE.length)];
    }

    /**
     * Measured points plus their log-log fit y ≈ e^b·x^slope (the library's least squares over the positive points),
     * drawn dashed in the same color; the legend entry is the points' name with the slope. Returns the fit, or null
     * when fewer than two usable points (then only the points are drawn, if any).
     */
    static LogLogFit pointsWithFit(XYChart c, String name, double[] x, double[] y) {
        LogLogFit f = fit(x, y);
        XYSeries pts = points(c, f == null ? name : String.format(Locale.ROOT, "%s (slope %.2f)", name, f.slope()), x, y);
        if (f == null || pts == null) {
            return null;
        }
        XYSeries line = c.addSeries(name + " fit", new double[] {f.xMin(), f.xMax()},
                new double[] {f.predict(f.xMin()), f.predict(f.xMax())});
        line.setMarker(SeriesMarkers.NONE).setLineColor(pts.getLineColor()).setLineStyle(SeriesLines.DASH_DASH)
                .setShowInLegend(false);
        return f;
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

    /** Saves one chart, or several side by side, as a PNG (written whole, then renamed into place). */
    static void save(Path png, XYChart... charts) throws IOException {
        Path tmp = png.resolveSibling(png.getFileName() + ".partial");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            if (charts.length == 1) {
                BitmapEncoder.saveBitmap(charts[0], out, BitmapEncoder.BitmapFormat.PNG);
            } else {
                BitmapEncoder.saveBitmap(List.of(charts), 1, charts.length, out, BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The finite points (positive on a log axis); possibly none. */
    static double[][] keep(XYChart c, double[] x, double[] y) {
        boolean logX = c.getStyler().isXAxisLogarithmic();
        boolean logY = c.getStyler().isYAxisLogarithmic();
        List<double[]> kept = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logX || x[i] > 0) && (!logY || y[i] > 0)) {
                kept.add(new double[] {x[i], y[i]});
            }
        }
        double[][] xy = new double[2][kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            xy[0][i] = kept.get(i)[0];
            xy[1][i] = kept.get(i)[1];
        }
        return xy;
    }
}
