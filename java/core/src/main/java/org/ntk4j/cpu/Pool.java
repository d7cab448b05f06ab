package org.ntk4j.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The backend's worker threads: a fork-join pool of fixed parallelism, and a parallel loop over index ranges that
 * runs inline when the work is too small to be worth splitting.
 */
final class Pool implements AutoCloseable {

    /** A body over the index range [from, to). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    private final int threads;
    private final ForkJoinPool pool;

    Pool(int threads) {
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("ntk4j-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false) : null;
    }

    int threads() {
        return threads;
    }

    /**
     * Runs body over [0, n) in at most {@code threads} contiguous pieces (more when n is large, for balance);
     * inline when {@code n·costPerIndex} is below the split threshold.
     */
    void parallelFor(int n, long costPerIndex, RangeBody body) {
        if (n <= 0) {
            return;
        }
        long total = (long) n * Math.max(1, costPerIndex);
        if (pool == null || n == 1 || total < 32_768) {
            body.run(0, n);
            return;
        }
        int pieces = (int) Math.min(n, Math.min(4L * threads, Math.max(threads, total / 65_536)));
        ForkJoinTask<?> task = new Split(body, 0, n, Math.max(1, (n + pieces - 1) / pieces));
        if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
            task.invoke();
        } else {
            pool.invoke(task);
        }
    }

    /** Runs the given tasks in parallel and waits for all. */
    void invokeAll(Runnable... tasks) {
        if (pool == null || tasks.length == 1) {
            for (Runnable r : tasks) {
                r.run();
            }
            return;
        }
        parallelFor(tasks.length, Long.MAX_VALUE / tasks.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                tasks[i].run();
            }
        });
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }

    private static final class Split extends RecursiveAction {
        private final RangeBody body;
        private final int from;
        private final int to;
        private final int grain;

        Split(RangeBody body, int from, int to, int grain) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.grain = grain;
        }

        @Override
        protected void compute() {
            if (to - from <= grain) {
                body.run(from, to);
                return;
            }
            int mid = from + (to - from) / 2;
            invokeAll(new Split(body, from, mid, grain), new Split(body, mid, to, grain));
        }
    }
}
