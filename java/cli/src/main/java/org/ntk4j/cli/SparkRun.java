package org.ntk4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.ntk4j.KernelKind;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.model.Parameters;
import org.ntk4j.tiling.TilePlacer;
import org.ntk4j.tiling.TilePlan;

/**
 * The commands on Spark: what is asked of Spark goes through {@link SparkJobs} (ntk4j-cli-spark, on the class path
 * only for --spark); the checks, the progress, the assembled file and the messages are here.
 */
final class SparkRun {
    private SparkRun() {
    }

    /** Where Spark's jobs are done: ntk4j-cli-spark, when it and Spark are on the class path. */
    static SparkJobs jobs() {
        try {
            return ServiceLoader.load(SparkJobs.class, SparkRun.class.getClassLoader()).findFirst()
                    .orElseThrow(() -> new UsageError("--spark needs ntk4j-cli-spark, which is not on the class"
                            + " path: ./ntk builds it, and fetches Spark's jars (about 280 MB) once, for the first"
                            + " command run with --spark; on a cluster, spark-submit the"
                            + " ntk4j-cli-spark-…-spark-submit.jar"));
        } catch (ServiceConfigurationError | NoClassDefFoundError e) {
            throw new UsageError(NO_SPARK, e);
        }
    }

    private static final String NO_SPARK = "Spark is not on the class path (run through ./ntk, or spark-submit with"
            + " the ntk4j-cli-spark-…-spark-submit.jar)";

    static SparkJobs.Session session(SparkJobs jobs, String master) {
        requireReachable(master);
        try {
            return jobs.start(master);
        } catch (NoClassDefFoundError e) {
            throw new UsageError(NO_SPARK, e);
        } catch (RuntimeException e) {
            throw userError(e);
        }
    }

    /** How long a standalone master may take to accept a connection (Spark itself retries for a minute). */
    private static final int CONNECT_TIMEOUT_MS = 3000;

    /** A standalone master (spark://HOST:PORT,…) must accept a connection now, or the command fails in seconds. */
    static void requireReachable(String master) {
        if (!master.startsWith("spark://") || System.getProperty("spark.master") != null) {
            return;
        }
        String why = null;
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(hostPort.substring(0, colon),
                        Integer.parseInt(hostPort.substring(colon + 1))), CONNECT_TIMEOUT_MS);
                return;
            } catch (IOException | RuntimeException e) {
                why = hostPort + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        }
        throw new UsageError("cannot reach the Spark master " + master + " (" + why + ")");
    }

    /**
     * What a Spark failure means to the user, as one line: the executor's own exception where it was the input's
     * fault (a NaN in X, a missing or malformed file, a full disk), or what Spark said was wrong with its setup.
     */
    static RuntimeException userError(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UsageError u) {
                return u;
            }
            if (t instanceof org.ntk4j.InvalidInputException || t instanceof org.ntk4j.BackendUnavailableException) {
                return new UsageError(t.getMessage(), e);
            }
            if (t instanceof IOException io) {
                return new java.io.UncheckedIOException(io);
            }
            String m = String.valueOf(t.getMessage());
            if (m.contains("System memory") && m.contains("must be at least")) {
                return new UsageError("Java's heap is too small for Spark (" + m.replaceAll("\\s*Please.*", "")
                        + "); give it more, e.g. NTK_JAVA_OPTS=-Xmx2g", e);
            }
            if (m.startsWith("Could not parse Master URL") || m.contains("HADOOP_CONF_DIR")) {
                return new UsageError("Spark refused the setup: " + m.lines().findFirst().orElse(m), e);
            }
        }
        return e;
    }

    /**
     * A full disk under the tiles, which an executor reports deep in Spark's exception, as one line naming the tile
     * folder; anything else as it was.
     */
    private static RuntimeException fullDisk(RuntimeException e, String tiles) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("No space left on device")) {
                return new UsageError("writing the tiles to " + tiles + ": No space left on device", e);
            }
        }
        return e;
    }

    /** The kernel these flags describe, as executors compute it. */
    static SparkJobs.Kernel spec(ComputeOptions compute, Parameters params, KernelKind kind, NtkMode mode) {
        return new SparkJobs.Kernel(params, kind, mode, compute.impl == ComputeOptions.Impl.ANALYTIC,
                compute.float32Output(), compute.precision, compute.implementation(), compute.device.backendName());
    }

    /**
     * {@code ntk kernel --spark}: tiles into {@code tiles} (kept for a rerun to resume until the file is written),
     * then assembled into the .npy at {@code part}.
     */
    static String kernel(String master, Integer tile, SparkJobs.Kernel spec, Path x1, Path x2, Path tiles,
                         String tilesUri, org.ntk4j.internal.io.OutputFile part, PrintWriter progress,
                         java.util.function.Consumer<String> info, Overflow.Advice overflowAdvice) throws IOException {
        SparkJobs jobs = jobs();
        if (tilesUri != null) {
            jobs.requireValidTiles(tilesUri); // before Spark starts: a bad URI is a usage error
        }
        long t0 = System.nanoTime();
        org.ntk4j.io.Npy.requireReadableFile(x1);
        if (x2 != null) {
            org.ntk4j.io.Npy.requireReadableFile(x2);
        }
        try (SparkJobs.Session spark = session(jobs, master)) {
            long t1 = System.nanoTime();
            Progress.Bar[] bar = new Progress.Bar[1];
            SparkJobs.KernelRun r;
            try {
                r = spark.kernel(spec, uri(x1), x2 == null ? null : uri(x2), tilesUri != null ? tilesUri : uri(tiles),
                        tile, progress == null ? org.ntk4j.ProgressListener.NONE : p -> {
                            if (bar[0] == null) {
                                bar[0] = Progress.bar(progress, "tiles", p.total(), "tiles");
                            }
                            bar[0].stepTo(p.done());
                        });
            } catch (RuntimeException e) {
                throw fullDisk(e, tilesUri != null ? tilesUri : tiles.toString());
            } finally {
                if (bar[0] != null) {
                    bar[0].close();
                }
            }
            long t2 = System.nanoTime();
            assemble(r.tiles(), part, overflowAdvice);
            info.accept(String.format(java.util.Locale.ROOT, "spark %s: %d tiles of %d rows (%d computed, %d already"
                    + " there%s); Spark started in %.1f s, tiles %.1f s, assembled in %.1f s", spark.master(),
                    r.total(), r.tile(), r.computed(), r.skipped(), r.corrupt() > 0 ? ", " + r.corrupt()
                            + " corrupt and recomputed" : "", (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                    (System.nanoTime() - t2) / 1e9));
            return spark.master();
        } catch (RuntimeException e) {
            throw userError(e);
        }
    }

    /** {@code ntk regress --spark}: PCG over the tiles of Θ(X, X) on the cluster, then Θ(XT, X)·α. */
    static RegressCommand.Solved regress(String master, SparkJobs.Kernel spec, Path x, Path xt, org.ntk4j.Matrix y,
                                         SparkJobs.Regression settings,
                                         org.ntk4j.ProgressListener progress) {
        try (SparkJobs.Session spark = session(jobs(), master)) {
            SparkJobs.Fit r = spark.regress(spec, uri(x), uri(xt), y, settings, progress);
            return new RegressCommand.Solved(r.predictions(), r.solve(), "spark " + spark.master() + ", " + r.tile()
                    + "-row tiles " + (settings.cacheTiles() ? "cached" : "recomputed") + ", " + r.kernel());
        } catch (org.ntk4j.linalg.SingularSystemException e) {
            throw e; // the command names its cause
        } catch (RuntimeException e) {
            throw userError(e);
        }
    }

    /** A local file as the URI every executor opens (through Hadoop's file systems). */
    private static String uri(Path p) {
        return p.toAbsolutePath().toUri().toString();
    }

    /**
     * Writes every tile into the .npy output {@code file}, through a mapped window; a tile with a value that is not
     * finite (an overflow on an executor) fails it, naming where, as the in-process path does.
     */
    static void assemble(SparkJobs.Tiles store, org.ntk4j.internal.io.OutputFile file, Overflow.Advice overflowAdvice)
            throws IOException {
        TilePlan g = store.plan();
        NtkMode mode = store.mode();
        int o = store.outputs();
        try (MappedNpyWriter out = new MappedNpyWriter(file, mode.shape(g.n1(), g.n2(), o), store.float32(), 64L << 20)) {
            TilePlacer<IOException> placer = new TilePlacer<>(g, mode, o, out::write);
            int v = mode.valuesPerPair(o);
            for (TilePlan.Tile t : g.tiles()) {
                Tensor tile = store.read(t);
                Overflow.checkKernel(tile, t.row0(), t.col0(), t.cols(), v, overflowAdvice);
                placer.place(t, tile); // a float32 tile stays float32 into the file
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
