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

/** PNG plots through XChart: measured points, power-law fits drawn as dashed lines with the slope in the legend. */
final class Plots {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0xff7f0e), new Color(0x8c564b), new Color(0x17becf)};

    private Plots() {
    }

    /** y ≈ e^intercept · x^slope, fitted by least squares on (log x, log y). */
    record PowerLaw(double slope, double intercept, int points) {
        double at(double x) {
            return Math.exp(intercept) * Math.pow(x, slope);
        }
    }

    /** Least-squares fit of log y on log x over the points where both are positive and finite; null under 2 points. */
    static PowerLaw fitPowerLaw(double[] x, double[] y) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int n = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && y[i] > 0 && Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                double lx = Math.log(x[i]);
                double ly = Math.log(y[i]);
                sx += lx;
                sy += ly;
                sxx += lx * lx;
                sxy += lx * ly;
                n++;
            }
        }
        double den = n * sxx - sx * sx;
        if (n < 2 || !(Math.abs(den) > 1e-300)) {
            return null;
        }
        double slope = (n * sxy - sx * sy) / den;
        return new PowerLaw(slope, (sy - slope * sx) / n, n);
    }

    static XYChart chart(String title, String xTitle, String yTitle, boolean logX, boolean logY) {
        XYChart c = new XYChartBuilder().width(720).height(520).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        org.knowm.xchart.style.XYStyler s = c.getStyler();
        c.getStyler().setXAxisLogarithmic(logX);
        c.getStyler().setYAxisLogarithmic(logY);
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xdddddd));
        s.setLegendBorderColor(new Color(0xbbbbbb));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setAntiAlias(true);
        return c;
    }

    /** Measured values as markers joined by a thin line; non-positive values are dropped on a log axis. */
    static XYSeries points(XYChart c, String name, double[] x, double[] y) {
        double[][] xy = keep(c, x, y);
        XYSeries s = c.addSeries(name, xy[0], xy[1]);
        Color color = PALETTE[(c.getSeriesMap().size() - 1) % PALETTE.length];
        s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color).setLineColor(color)
                .setLineStyle(new BasicStroke(1.2f));
        return s;
    }

    /** A line without markers (for long curves such as a loss per step). */
    static XYSeries line(XYChart c, String name, double[] x, double[] y) {
        double[][] xy = keep(c, x, y);
        XYSeries s = c.addSeries(name, xy[0], xy[1]);
        Color color = PALETTE[(c.getSeriesMap().size() - 1) % PALETTE.length];
        s.setMarker(SeriesMarkers.NONE).setLineColor(color).setLineStyle(new BasicStroke(1.8f));
        return s;
    }

    /**
     * Fits a power law to the points and draws it dashed, in the color of the last series, with the slope in the
     * legend; returns the fit (null when fewer than two usable points).
     */
    static PowerLaw fitted(XYChart c, String name, double[] x, double[] y) {
        PowerLaw f = fitPowerLaw(x, y);
        if (f == null) {
            return null;
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (int i = 0; i < x.length; i++) {
            if (x[i] > 0 && y[i] > 0) {
                lo = Math.min(lo, x[i]);
                hi = Math.max(hi, x[i]);
            }
        }
        Color color = PALETTE[(c.getSeriesMap().size() - 1) % PALETTE.length];
        XYSeries s = c.addSeries(String.format(Locale.ROOT, "%s fit: slope %.2f", name, f.slope()),
                new double[] {lo, hi}, new double[] {f.at(lo), f.at(hi)});
        s.setMarker(SeriesMarkers.NONE).setLineColor(color).setLineStyle(SeriesLines.DASH_DASH);
        return f;
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

    private static double[][] keep(XYChart c, double[] x, double[] y) {
        boolean logX = c.getStyler().isXAxisLogarithmic();
        boolean logY = c.getStyler().isYAxisLogarithmic();
        List<double[]> kept = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logX || x[i] > 0) && (!logY || y[i] > 0)) {
                kept.add(new double[] {x[i], y[i]});
            }
        }
        if (kept.isEmpty()) {
            // XChart refuses empty series; a single NaN-free placeholder would mislead, so say it in the name instead.
            throw new UsageError("nothing to plot for '" + c.getTitle() + "': no finite"
                    + (logY ? " positive" : "") + " values");
        }
        double[][] xy = new double[2][kept.size()];
        for (int i = 0; i < kept.size(); i++) {
            xy[0][i] = kept.get(i)[0];
            xy[1][i] = kept.get(i)[1];
        }
        return xy;
    }
}
