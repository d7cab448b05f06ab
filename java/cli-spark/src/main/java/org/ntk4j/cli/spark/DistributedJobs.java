package org.ntk4j.cli.spark;

import java.io.IOException;
import org.apache.spark.sql.SparkSession;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.cli.SparkJobs;
import org.ntk4j.spark.DistributedKernel;
import org.ntk4j.spark.DistributedRegression;
import org.ntk4j.spark.KernelSpec;
import org.ntk4j.spark.NpyRows;
import org.ntk4j.spark.SparkSessions;
import org.ntk4j.spark.TileStore;
import org.ntk4j.tiling.TilePlan;

/**
 * The command line's jobs on Spark, through ntk4j-spark: found by the CLI's {@link java.util.ServiceLoader} when this
 * module and Spark are on the class path (only for commands run with --spark).
 */
public final class DistributedJobs implements SparkJobs {

    /**
     * The provider the service loader instantiates. Without Spark, or the Hadoop client it brings, on the class path
     * it fails here (the CLI then says in one line that Spark is missing), not halfway through a command.
     */
    public DistributedJobs() {
        SparkSession.class.getName(); // a class literal loads the class
        org.apache.hadoop.fs.FileSystem.class.getName();
    }

    @Override
    public void requireValidTiles(String uri) {
        TileStore.requireValidDirectory(uri);
    }

    @Override
    public Session start(String master) {
        SparkSession s = SparkSessions.start(master, "ntk4j");
        // Failures reach the user as one line from the command; Spark's own log of them would be pages.
        s.sparkContext().setLogLevel("OFF");
        return new OnSpark(s);
    }

    /** The kernel as executors compute it. */
    static KernelSpec spec(Kernel k) {
        if (k.analytic()) {
            return KernelSpec.analytic(k.params().architecture(), k.mode(), k.float32Output()).withKind(k.kind());
        }
        return KernelSpec.empirical(k.params(), k.mode(), k.precision(), k.implementation(), k.device())
                .withKind(k.kind());
    }

    /** One session's jobs. */
    private record OnSpark(SparkSession spark) implements Session {
        @Override
        public String master() {
            return spark.sparkContext().master();
        }

        @Override
        public KernelRun kernel(Kernel kernel, String x1, String x2, String tiles, Integer tile,
                                ProgressListener progress) {
            KernelSpec spec = spec(kernel);
            NpyRows rows1 = NpyRows.open(spark, x1, "X1");
            NpyRows rows2 = x2 == null ? null : NpyRows.open(spark, x2, "X2");
            int t = tile(tile, spec);
            DistributedKernel.Result r = DistributedKernel.builder(spark, spec, rows1, tiles).columns(rows2).tile(t)
                    .progress(progress).compute();
            return new KernelRun(new StoredTiles(r.store()), t, r.total(), r.computed(), r.skipped(), r.corrupt());
        }

        @Override
        public Fit regress(Kernel kernel, String x, String xTest, Matrix y, Regression settings,
                           ProgressListener progress) {
            KernelSpec spec = spec(kernel);
            NpyRows rows = NpyRows.open(spark, x, "X");
            NpyRows test = NpyRows.open(spark, xTest, "X-test");
            int t = tile(settings.tile(), spec);
            DistributedRegression.Builder fit = DistributedRegression.builder(spark, spec, rows, y)
                    .ridge(settings.lambda()).tolerance(settings.tolerance()).maxIterations(settings.maxIterations())
                    .cacheTiles(settings.cacheTiles()).tile(t).progress(progress);
            switch (settings.preconditioner()) {
                case NONE -> { }
                case BLOCK_JACOBI -> fit.blockJacobi();
                case NYSTROM -> fit.nystrom(settings.rank());
            }
            DistributedRegression.Result r = fit.fit(test);
            return new Fit(r.predictions(), r.solve(), t, spec.description());
        }

        private int tile(Integer tile, KernelSpec spec) {
            return tile != null ? tile : DistributedKernel.defaultTile(spark, spec.mode(), spec.outputDim());
        }

        @Override
        public void close() {
            spark.stop();
        }
    }

    /** A tile store as the command reads it. */
    private record StoredTiles(TileStore store) implements Tiles {
        @Override
        public TilePlan plan() {
            return store.plan();
        }

        @Override
        public NtkMode mode() {
            return store.mode();
        }

        @Override
        public int outputs() {
            return store.outputs();
        }

        @Override
        public boolean float32() {
            return store.float32();
        }

        @Override
        public Tensor read(TilePlan.Tile tile) throws IOException {
            return store.read(tile);
        }
    }
}
