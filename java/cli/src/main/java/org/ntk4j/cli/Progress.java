package org.ntk4j.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.text.DecimalFormat;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import org.ntk4j.ProgressListener;

/**
 * Progress on stderr. On a terminal, a bar redrawn in place (count, rate, ETA). Elsewhere (a log file, a pipe), plain
 * lines: nothing for the first {@value #LOG_INTERVAL_SECONDS} seconds, then at most one line every
 * {@value #LOG_INTERVAL_SECONDS} seconds with the count, the rate and the time left, and one final line that says
 * what happened ("pcg: converged in 1 iteration …", "train: 200 steps in 3.1 s …"); never a line for work not yet
 * started or a rate not yet known. Bars still running when the JVM is stopped (Ctrl-C) are ended by
 * {@link #endAll()}, which the interrupt message follows.
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
        Bar bar = terminal ? new TerminalBar(err, task, total, unit) : new LogBar(err, task, total, unit, System::nanoTime);
        LIVE.add(bar);
        return bar;
    }

    /** Ends every running bar where it stands, claiming nothing (for the interrupt message that follows). */
    static void endAll() {
        for (Bar b : LIVE) {
            if (b.ended.compareAndSet(false, true)) {
                LIVE.remove(b);
                b.abandon();
            }
        }
    }

    /** One task's progress; {@link #close()} ends it with its last state, {@link #finish} with what happened. */
    abstract static class Bar implements AutoCloseable {
        private final AtomicBoolean ended = new AtomicBoolean();

        abstract void stepTo(long n);

        void step() {
            stepTo(done() + 1);
        }

        abstract long done();

        /** The total may change (e.g. Spark learns the number of tiles once it has listed them). */
        abstract void maxHint(long n);

        /** A short state shown beside the count (e.g. "residual 1.2e-03"). */
        abstract void setExtraMessage(String m);

        /** Ends the bar saying what happened, e.g. "converged in 3 iterations" when it stopped before its total. */
        final void finish(String outcome) {
            if (ended.compareAndSet(false, true)) {
                LIVE.remove(this);
                end(outcome);
            }
        }

        @Override
        public final void close() {
            if (ended.compareAndSet(false, true)) {
                LIVE.remove(this);
                end(null);
            }
        }

        /** The final display; {@code outcome} null: the work ended where the count stands. */
        abstract void end(String outcome);

        /** Stops drawing without a final claim. */
        abstract void abandon();
    }

    /** A bar redrawn in place with carriage returns (the progressbar library). */
    private static final class TerminalBar extends Bar {
        private final ProgressBar pb;

        TerminalBar(PrintWriter err, String task, long total, String unit) {
            ProgressBarConsumer consumer = new ConsoleProgressBarConsumer(new PrintStream(new OutputStream() {
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
            pb = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                    .showSpeed(new DecimalFormat("0.0")).setStyle(ProgressBarStyle.ASCII).setConsumer(consumer)
                    .setUpdateIntervalMillis(500).build();
        }

        @Override
        void stepTo(long n) {
            pb.stepTo(n);
        }

        @Override
        long done() {
            return pb.getCurrent();
        }

        @Override
        void maxHint(long n) {
            pb.maxHint(n);
        }

        @Override
        void setExtraMessage(String m) {
            pb.setExtraMessage(m);
        }

        @Override
        void end(String outcome) {
            if (outcome != null) {
                // finished before its total (a solver that converged): a full bar, and why
                pb.maxHint(Math.max(pb.getCurrent(), 1));
                pb.stepTo(Math.max(pb.getCurrent(), 1));
                pb.setExtraMessage(" " + outcome);
            }
            pb.close();
        }

        @Override
        void abandon() {
            pb.close();
        }
    }

    /** Plain lines for logs and pipes: rate and ETA at most every few seconds, then one line with the outcome. */
    static final class LogBar extends Bar {
        private final PrintWriter err;
        private final String task;
        private final String unit;
        private final LongSupplier clock;
        private final long start;
        private long last;
        private long total;
        private long done;
        private String detail = "";

        LogBar(PrintWriter err, String task, long total, String unit, LongSupplier clock) {
            this.err = err;
            this.task = task;
            this.total = total;
            this.unit = unit;
            this.clock = clock;
            this.start = clock.getAsLong();
            this.last = start;
        }

        @Override
        void stepTo(long n) {
            done = n;
            long now = clock.getAsLong();
            if (done > 0 && done < total && now - last >= LOG_INTERVAL_SECONDS * 1_000_000_000L) {
                last = now;
                double seconds = (now - start) / 1e9;
                double rate = done / seconds;
                print(String.format(Locale.ROOT, "%d/%d %s (%.0f%%), %s, ETA %s", done, total, unit,
                        100.0 * done / total, rate(rate), duration((total - done) / rate)));
            }
        }

        @Override
        long done() {
            return done;
        }

        @Override
        void maxHint(long n) {
            total = n;
        }

        @Override
        void setExtraMessage(String m) {
            detail = m == null ? "" : m.strip();
        }

        @Override
        void end(String outcome) {
            double seconds = (clock.getAsLong() - start) / 1e9;
            String what;
            if (outcome != null) {
                what = outcome + " in " + duration(seconds);
            } else if (done >= total) {
                what = done + " " + unit + " in " + duration(seconds) + (seconds > 0 ? ", " + rate(done / seconds) : "");
            } else {
                what = "stopped at " + done + "/" + total + " " + unit + " after " + duration(seconds);
            }
            print(what);
        }

        @Override
        void abandon() {
            // the interrupt message says it all
        }

        private void print(String line) {
            err.println(task + ": " + line + (detail.isEmpty() ? "" : "; " + detail));
            err.flush();
        }

        private String rate(double perSecond) {
            return String.format(Locale.ROOT, perSecond >= 10 ? "%.0f %s/s" : "%.2g %s/s", perSecond, unit);
        }

        /** 0.42 s, 12.3 s, 4:05, 1:02:03. */
        static String duration(double seconds) {
            if (seconds < 60) {
                return String.format(Locale.ROOT, seconds < 1 ? "%.2f s" : "%.1f s", seconds);
            }
            long s = Math.round(seconds);
            return s < 3600 ? String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60)
                    : String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        }
    }

    /**
     * A listener that draws one bar per task name (a new task closes the previous bar); {@code close()} ends the
     * last, {@link #finish} ends it saying what happened. With {@code err} null it ignores everything.
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
            bar.setExtraMessage(p.detail().isEmpty() ? "" : " " + p.detail());
            bar.stepTo(p.done());
        }

        /** Ends the current bar with what happened (e.g. "converged in 3 iterations"). */
        void finish(String outcome) {
            if (bar != null) {
                bar.finish(outcome);
                bar = null;
            }
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
