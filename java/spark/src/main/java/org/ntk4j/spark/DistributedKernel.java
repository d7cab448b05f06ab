package org.ntk4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.tiling.TilePlan;

/**
 * Θ(X1, X2) as tiles on a shared file system, one Spark task per tile (the upper triangle only when X2 is X1). Each
 * task reads its two blocks of rows, computes the tile on its executor's backend ({@link KernelSpec}) and writes
 * it atomically into a {@link TileStore}. Tiles already complete in the directory, and checked, are kept, so a failed
 * or killed job resumes where it stopped; a tile file that does not check out is recomputed; a directory that holds
 * another kernel is refused.
 */
public final class DistributedKernel {

    /**
     * The outcome: the store, and how many tiles there are, were computed, were already there, were corrupt.
     *
     * @param store    the tile directory, now holding every tile
     * @param total    the tiles of the kernel ({@link TilePlan#tileCount()})
     * @param computed the tiles this call computed
     * @param skipped  the tiles already complete in the directory and checked, not recomputed
     * @param corrupt  what was found under a tile's name and was not that tile of this kernel (wrong size, header,
     *                 position, kernel or checksum, or a directory): deleted and recomputed (counted in
     *                 {@code computed})
     */
    public record Result(TileStore store, long total, long computed, long skipped, long corrupt) {
    }

    private DistributedKernel() {
    }

    /**
     * Starts the computation of the symmetric kernel Θ(x1, x1) (upper triangle only) into {@code dir}; the builder
     * makes it a cross kernel ({@link Builder#columns}), sets the tile size ({@link Builder#tile}, else
     * {@link #defaultTile}) and a progress listener, and {@link Builder#compute} runs it.
     *
     * @param spark  the session whose cluster runs the tasks and whose Hadoop configuration opens {@code dir}
     * @param kernel the kernel, broadcast to the executors
     * @param x1     the rows' examples, d = {@code kernel.inputDim()} features each
     * @param dir    the tile directory, new, empty, or holding tiles of this same kernel, inputs and tiling
     * @return a builder
     * @throws InvalidInputException when an argument is missing
     */
    public static Builder builder(SparkSession spark, SerializableKernel kernel, RowSource x1, String dir) {
        if (spark == null || kernel == null || x1 == null || dir == null) {
            throw new InvalidInputException("the session, kernel, row examples and tile directory must be given");
        }
        return new Builder(spark, kernel, x1, dir);
    }

    /** The optional parts of a distributed kernel computation: column examples, tile size, progress. */
    public static final class Builder {
        private final SparkSession spark;
        private final SerializableKernel kernel;
        private final RowSource x1;
        private final String dir;
        private RowSource x2;
        private Integer tile; // null: defaultTile for this session and kernel
        private ProgressListener progress = ProgressListener.NONE;

        private Builder(SparkSession spark, SerializableKernel kernel, RowSource x1, String dir) {
            this.spark = spark;
            this.kernel = kernel;
            this.x1 = x1;
            this.dir = dir;
        }

        /**
         * Computes the cross kernel Θ(x1, x2), every tile, instead of the symmetric Θ(x1, x1).
         *
         * @param x2 the columns' examples, d = {@code kernel.inputDim()} features each; null for the symmetric kernel
         * @return this builder
         */
        public Builder columns(RowSource x2) {
            this.x2 = x2;
            return this;
        }

        /**
         * The rows and columns of a tile, instead of {@link #defaultTile}. A directory resumed must have been
         * started with the same size.
         *
         * @param tile the tile size, ≥ 1
         * @return this builder
         * @throws InvalidInputException when tile is below 1
         */
        public Builder tile(int tile) {
            this.tile = requireTile(tile);
            return this;
        }

        /**
         * Reports ("tiles", finished, total, "") per finished task (a kept tile counts as one), on Spark's listener
         * thread.
         *
         * @param progress the listener ({@link ProgressListener#NONE}, the default, for none)
         * @return this builder
         * @throws InvalidInputException when it is null
         */
        public Builder progress(ProgressListener progress) {
            this.progress = ProgressListener.require(progress);
            return this;
        }

        /**
         * Computes the missing (or invalid) tiles of the kernel into the directory.
         *
         * @return the store and the tile counts
         * @throws KernelMismatchException when the directory holds another kernel or is not a tile directory
         * @throws InvalidInputException   when an input's d differs from the kernel's or the sizes make no plan
         * @throws UncheckedIOException    when the directory or the inputs cannot be read or written on the driver
         * @throws org.ntk4j.NtkException  when the Spark job fails (an ntk4j exception a task threw, such as bad
         *                                 values in a block, is rethrown as itself)
         */
        public Result compute() {
            return DistributedKernel.compute(spark, kernel, x1, x2,
                    tile != null ? tile : defaultTile(spark, kernel.mode(), kernel.outputDim()), dir, progress);
        }
    }

    /** {@code tile} when it is a tile size (≥ 1), else an {@link InvalidInputException} saying so. */
    static int requireTile(int tile) {
        if (tile < 1) {
            throw new InvalidInputException("the tile size must be at least 1, got " + tile);
        }
        return tile;
    }

    private static Result compute(SparkSession spark, SerializableKernel kernel, RowSource x1, RowSource x2, int tile,
                                  String dir, ProgressListener progress) {
        requireDims(kernel, x1, "X1");
        if (x2 != null) {
            requireDims(kernel, x2, "X2");
        }
        TilePlan plan = TilePlan.of(x1.rows(), x2 == null ? x1.rows() : x2.rows(), tile, x2 == null);
        HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        TileStore store;
        try {
            store = TileStore.open(dir, conf, plan, kernel, manifest(kernel, x1, x2, plan));
            store.clearTemporary();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the tile directory " + dir + ": " + e.getMessage(), e);
        }
        return run(spark, kernel, x1, x2, plan, store, progress);
    }

    /**
     * One task per tile: a tile already in the directory is read and checked ({@link TileStore#verify}) and kept when
     * it is this tile of this kernel; anything else under its name is deleted and the tile recomputed, as a missing
     * one is. The checks run in the tasks, so a resumed job reads its finished tiles in parallel.
     */
    private static Result run(SparkSession spark, SerializableKernel kernel, RowSource x1, RowSource x2, TilePlan plan,
                              TileStore store, ProgressListener progress) {
        List<TilePlan.Tile> all = plan.tiles();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableKernel> k = jsc.broadcast(kernel);
        LongAccumulator computed = jsc.sc().longAccumulator("ntk4j tiles computed");
        LongAccumulator kept = jsc.sc().longAccumulator("ntk4j tiles kept");
        LongAccumulator bad = jsc.sc().longAccumulator("ntk4j tiles invalid");
        String group = "ntk4j-kernel-" + UUID.randomUUID();
        TaskCounter counter = new TaskCounter(group, all.size(), progress);
        spark.sparkContext().addSparkListener(counter);
        jsc.setJobGroup(group, "ntk4j kernel tiles into " + store.directory(), true);
        try {
            Jobs.run(() -> {
                jsc.parallelize(all, all.size()).foreach(t -> {
                    TileStore.Verdict v = store.verify(t);
                    if (v.status() == TileStore.Status.VALID) {
                        kept.add(1);
                        return;
                    }
                    if (v.status() == TileStore.Status.INVALID) {
                        store.delete(t);
                        bad.add(1);
                    }
                    Matrix a = x1.read(t.row0(), t.rowEnd());
                    Tensor values = t.diagonal() ? k.value().compute(a)
                            : k.value().compute(a, (plan.symmetric() ? x1 : x2).read(t.col0(), t.colEnd()));
                    TaskContext tc = TaskContext.get();
                    store.write(t, values, tc == null ? "driver" : tc.stageId() + "-" + tc.partitionId() + "-"
                            + tc.attemptNumber());
                    computed.add(1);
                });
                return null;
            });
        } finally {
            jsc.clearJobGroup();
            spark.sparkContext().removeSparkListener(counter);
            k.destroy();
        }
        return new Result(store, plan.tileCount(), computed.value(), kept.value(), bad.value());
    }

    /** Counts the finished tasks of one job group and reports them (Spark calls this on its listener thread). */
    private static final class TaskCounter extends SparkListener {
        private final String group;
        private final long total;
        private final ProgressListener progress;
        private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
        private final AtomicLong finished = new AtomicLong();

        TaskCounter(String group, long total, ProgressListener progress) {
            this.group = group;
            this.total = total;
            this.progress = progress;
        }

        @Override
        public void onJobStart(SparkListenerJobStart job) {
            if (job.properties() != null && group.equals(job.properties().getProperty("spark.jobGroup.id"))) {
                job.stageInfos().foreach(s -> stages.add(s.stageId()));
            }
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            if (stages.contains(end.stageId()) && end.taskInfo().successful()) {
                progress.report("tiles", finished.incrementAndGet(), total, "");
            }
        }
    }

    static void requireDims(SerializableKernel kernel, RowSource x, String role) {
        if (x.dim() != kernel.inputDim()) {
            throw new InvalidInputException(role + " " + x.describe() + " has " + x.dim()
                    + " features per example but the model's input dimension is " + kernel.inputDim());
        }
    }

    /** The manifest: readable fields, and the SHA-256 of everything that determines the tiles. */
    static Map<String, String> manifest(SerializableKernel kernel, RowSource x1, RowSource x2, TilePlan plan) {
        MessageDigest md = TileStore.sha256();
        md.update("ntk4j-tiles-v1".getBytes(StandardCharsets.UTF_8));
        kernel.digest(md);
        try {
            x1.digest(md);
            md.update((byte) (x2 == null ? 0 : 1));
            if (x2 != null) {
                x2.digest(md);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the inputs to identify them: " + e.getMessage(), e);
        }
        md.update(ByteBuffer.allocate(12).putInt(plan.n1()).putInt(plan.n2()).putInt(plan.rows()).array());
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kernel", kernel.description());
        m.put("mode", kernel.mode().name());
        m.put("outputs", Integer.toString(kernel.outputDim()));
        m.put("dtype", kernel.float32() ? "float32" : "float64");
        m.put("n1", Integer.toString(plan.n1()));
        m.put("n2", Integer.toString(plan.n2()));
        m.put("d", Integer.toString(x1.dim()));
        m.put("symmetric", Boolean.toString(plan.symmetric()));
        m.put("tile", Integer.toString(plan.rows()));
        m.put("identity", TileStore.hex(md.digest()));
        return m;
    }

    /**
     * A tile size for these executors: a tile's values (as doubles, ×4 for the backend's copy, the written file and
     * the cached operator block) take at most a quarter of the memory of one task slot, and at most 8192 rows.
     *
     * @param spark   the session: in local mode the driver's heap shared by its cores, else
     *                {@code spark.executor.memory} shared by {@code spark.executor.cores}
     * @param mode    the kernel's mode (values per pair of examples)
     * @param outputs O, the network's outputs
     * @return the tile size, 1 to 8192
     */
    public static int defaultTile(SparkSession spark, NtkMode mode, int outputs) {
        SparkConf c = spark.sparkContext().getConf();
        boolean local = spark.sparkContext().isLocal();
        long memory = local ? Runtime.getRuntime().maxMemory() : c.getSizeAsBytes("spark.executor.memory", "1g");
        int slots = local ? spark.sparkContext().defaultParallelism() : c.getInt("spark.executor.cores", 1);
        long perSlot = memory / Math.max(1, slots);
        long values = perSlot / 4 / (4L * 8 * mode.valuesPerPair(outputs));
        return (int) Math.max(1, Math.min(8192, (long) Math.sqrt((double) values)));
    }
}
