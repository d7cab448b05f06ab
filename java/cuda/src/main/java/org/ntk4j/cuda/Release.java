package org.ntk4j.cuda;

/**
 * Best-effort release: runs every step even when some fail, keeps the first failure and attaches the others to it as
 * suppressed. After a device fault every driver call returns the same sticky error, so stopping at the first failing
 * free would leak the rest (and hide the fault that caused it).
 */
final class Release {
    private RuntimeException first;

    /** Starts with the failure that is already on its way out (null: none); release failures are suppressed into it. */
    Release(Throwable primary) {
        if (primary instanceof RuntimeException re) {
            first = re;
        } else if (primary != null) {
            first = new RuntimeException(primary);
        }
    }

    Release() {
        this(null);
    }

    /** Runs one step, recording its failure. */
    void run(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            if (first == null) {
                first = e;
            } else if (first != e) {
                first.addSuppressed(e);
            }
        }
    }

    /** Closes each non-null item, in order. */
    void close(Iterable<? extends AutoCloseable> items) {
        for (AutoCloseable c : items) {
            if (c != null) {
                run(() -> {
                    try {
                        c.close();
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
        }
    }

    /** Throws the first recorded failure, if any. */
    void rethrow() {
        if (first != null) {
            throw first;
        }
    }
}
