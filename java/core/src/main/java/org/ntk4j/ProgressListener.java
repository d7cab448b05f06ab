package org.ntk4j;

/**
 * Receives progress from long computations (training runs, experiments, the demo), e.g. to draw a progress bar.
 * Called on the computing thread; keep it cheap. {@link #NONE} ignores everything.
 */
@FunctionalInterface
public interface ProgressListener {

    /**
     * One update.
     *
     * @param task   what is running, e.g. "train width 512"
     * @param done   units finished (steps, widths, seeds)
     * @param total  units in all (≥ done)
     * @param detail a short status such as "loss 0.0123", or empty
     */
    record Progress(String task, long done, long total, String detail) {
    }

    /**
     * Receives one update.
     *
     * @param progress the update
     */
    void onProgress(Progress progress);

    /** Ignores updates: what to pass for "no progress" (a null listener is refused). */
    ProgressListener NONE = p -> { };

    /**
     * The listener a method was given, refused when missing: every method that reports progress takes a listener,
     * {@link #NONE} for none.
     *
     * @param listener the listener given
     * @return {@code listener}
     * @throws InvalidInputException when it is null, naming {@link #NONE}
     */
    static ProgressListener require(ProgressListener listener) {
        if (listener == null) {
            throw new InvalidInputException("the progress listener is null: pass ProgressListener.NONE for none");
        }
        return listener;
    }

    /**
     * Convenience for emitters.
     *
     * @param task   what is running
     * @param done   units finished
     * @param total  units in all
     * @param detail a short status, or null
     */
    default void report(String task, long done, long total, String detail) {
        onProgress(new Progress(task, done, total, detail == null ? "" : detail));
    }
}
