package org.ntk4j.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.text.DecimalFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import org.ntk4j.dynamics.ProgressListener;

/**
 * Progress on stderr (count, rate, ETA): on a terminal a bar redrawn in place; elsewhere (a log file, a pipe) one
 * plain line every {@value #LOG_INTERVAL_SECONDS} seconds, so a log is not a stream of carriage returns. Bars still
 * running when the JVM is stopped (Ctrl-C) are ended by {@link #endAll()}, which the interrupt message follows.
 */
final class Progress {
    static final int LOG_INTERVAL_SECONDS = 5;
    /** Set by the {@code ntk} launcher, which can tell whether stderr is a terminal; Java alone cannot. */
    static final String TTY_PROPERTY = "ntk4j.stderr.tty";
    private static final Set<Bar> LIVE = ConcurrentHashMap.newKeySet();

    private Progress() {
    }

    /** Whether stderr is a terminal: as the launcher says, else whether the JVM has an interactive console. */
    static boolean terminal() {
        String p = System.getProperty(TTY_PROPERTY);
        if (p != null) {
            return Boolean.parseBoolean(p);
        }
        return System.console() != null && System.console().isTerminal();
    }

    static Bar bar(PrintWriter err, String task, long total, String unit) {
        return bar(err, task, total, unit, terminal());
    }

    static Bar bar(PrintWriter err, String task, long total, String unit, boolean terminal) {
        ProgressBarConsumer consumer;
        if (terminal) {
            consumer = new ConsoleProgressBarConsumer(new PrintStream(new OutputStream() {
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
            }, true, StandardCharsets.UTF_8));
        } else {
            String[] last = {""};
            consumer = new DelegatingProgressBarConsumer(line -> {
                // the closing refresh repeats the last state; a log needs it once
                if (!line.strip().equals(last[0])) {
                    last[0] = line.strip();
                    err.println(last[0]);
                    err.flush();
                }
            }, 100);
        }
        ProgressBar pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                .showSpeed(new DecimalFormat("0.0")).setStyle(ProgressBarStyle.ASCII).setConsumer(consumer)
                .setUpdateIntervalMillis(terminal ? 500 : LOG_INTERVAL_SECONDS * 1000).build();
        Bar bar = new Bar(pb);
        LIVE.add(bar);
        return bar;
    }

    /** Ends every running bar where it stands (for the interrupt message that follows). */
    static void endAll() {
        for (Bar b : LIVE) {
            b.close();
        }
    }

    /** One progress bar; {@link #close()} draws its last state and ends its line. */
    static final class Bar implements AutoCloseable {
        private final ProgressBar pb;

        private Bar(ProgressBar pb) {
            this.pb = pb;
        }

        void step() {
            pb.step();
        }

        void stepTo(long n) {
            pb.stepTo(n);
        }

        void maxHint(long n) {
            pb.maxHint(n);
        }

        void setExtraMessage(String m) {
            pb.setExtraMessage(m);
        }

        @Override
        public void close() {
            if (LIVE.remove(this)) {
                pb.close();
            }
        }
    }

    /**
     * A listener that draws one bar per task name (a new task closes the previous bar); {@code close()} ends the
     * last. With {@code err} null it ignores everything.
     */
    static final class Bars implements ProgressListener, AutoCloseable {
        private final PrintWriter err;
        private final String unit;
        private Bar bar;
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
