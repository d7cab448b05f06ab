package org.ntk4j.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.text.DecimalFormat;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.ntk4j.dynamics.ProgressListener;

/** Progress bars on stderr (count, rate, ETA), and a bridge from the library's progress reports to them. */
final class Progress {
    private Progress() {
    }

    static ProgressBar bar(PrintWriter err, String task, long total, String unit) {
        PrintStream ps = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                err.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                err.write(new String(b, off, len, StandardCharsets.UTF_8));
            }

            @Override
            public void flush() {
                err.flush();
            }
        }, true, StandardCharsets.UTF_8);
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                .showSpeed(new DecimalFormat("0.0")).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(ps)).setUpdateIntervalMillis(500).build();
    }

    /**
     * A listener that draws one bar per task name (a new task closes the previous bar); {@code close()} ends the
     * last. With {@code err} null it ignores everything.
     */
    static final class Bars implements ProgressListener, AutoCloseable {
        private final PrintWriter err;
        private final String unit;
        private ProgressBar bar;
        private String task;

        Bars(PrintWriter err, String unit) {
            this.err = err;
            this.unit = unit;
        }

        @Override
        public void onProgress(Progress p) {
            if (err == null) {
                return;
            }
            if (bar == null || !p.task().equals(task)) {
                close();
                task = p.task();
                bar = bar(err, p.task(), p.total(), unit);
            }
            bar.maxHint(p.total());
            bar.stepTo(p.done());
            bar.setExtraMessage(p.detail().isEmpty() ? "" : " " + p.detail());
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }
}
