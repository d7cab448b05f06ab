package org.ntk4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.ntk4j.InvalidInputException;
import org.ntk4j.KernelLayout;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.linalg.ConjugateGradient;
import org.ntk4j.linalg.LinearAlgebra;
import org.ntk4j.linalg.Preconditioner;
import org.ntk4j.linalg.Preconditioners;
import org.ntk4j.linalg.SymmetricOperator;
import org.ntk4j.tiling.TilePlan;
import scala.Tuple2;

/**
 * Kernel regression on a cluster: solves (Θ(X, X) + λI)·α = Y by preconditioned conjugate gradients
 * ({@link ConjugateGradient}, the same solver as in one process) whose products Θ·V are Spark jobs over the kernel's
 * upper-triangle tiles, then predicts Θ(X_test, X)·α with one more job over the cross tiles. Θ is never held in
 * one place: its tiles are either computed once and cached on the executors (memory, spilling to disk) or recomputed
 * in every product when they do not fit. In trace mode one N×N system serves all O columns of Y; in full mode the
 * system is (N·O)×(N·O) with Y flattened row by row.
 */
public final class DistributedRegression {

    /**
     * α (N, O), the predictions (N_test, O) and the solver's record (iterations, residual per iteration).
     *
     * @param alpha       α, (N, O): the dual coefficients, row i for training example i (the solver's solution, same
     *                    storage, reshaped)
     * @param predictions Θ(X_test, X)·α, (N_test, O)
     * @param solve       the solver's record; its solution is α in the operator's layout, (N, O) in trace mode and
     *                    (N·O, 1) in full mode
     */
    public record Result(Matrix alpha, Matrix predictions, ConjugateGradient.Result solve) {
    }

    private DistributedRegression() {
    }

    /**
     * Starts a fit on (x, y); the builder sets the ridge ({@link Builder#ridge}, default 0), the solver's stopping
     * rule ({@link Builder#tolerance}, default 10⁻⁶; {@link Builder#maxIterations}, default 1000), the preconditioner
     * ({@link Builder#blockJacobi} or {@link Builder#nystrom}, default none), whether tiles are cached
     * ({@link Builder#cacheTiles}, default yes), the tile size ({@link Builder#tile}, else
     * {@link DistributedKernel#defaultTile}) and a progress listener, and {@link Builder#fit} solves and predicts.
     *
     * @param spark  the session whose cluster computes the tiles and products
     * @param kernel the kernel, in trace or full mode; broadcast to the executors
     * @param x      the training examples, N rows of d = {@code kernel.inputDim()} features
     * @param y      the targets, (N, O) with O = {@code kernel.outputDim()}; read, not changed
     * @return a builder
     * @throws InvalidInputException when an argument is missing
     */
    public static Builder builder(SparkSession spark, SerializableKernel kernel, RowSource x, Matrix y) {
        if (spark == null || kernel == null || x == null || y == null) {
            throw new InvalidInputException("the session, kernel, training examples and targets must be given");
        }
        return new Builder(spark, kernel, x, y);
    }

    /** The optional parts of a distributed kernel regression: ridge, stopping rule, preconditioner, tiling, progress. */
    public static final class Builder {
        private final SparkSession spark;
        private final SerializableKernel kernel;
        private final RowSource x;
        private final Matrix y;
        private double lambda;
        private double tolerance = 1e-6;
        private int maxIterations = 1000;
        private Preconditioning preconditioning = Preconditioning.NONE;
        private int nystromRank;
        private boolean cacheTiles = true;
        private Integer tile; // null: DistributedKernel.defaultTile for this session and kernel
        private ProgressListener progress = ProgressListener.NONE;

        private Builder(SparkSession spark, SerializableKernel kernel, RowSource x, Matrix y) {
            this.spark = spark;
            this.kernel = kernel;
            this.x = x;
            this.y = y;
        }

        /**
         * The ridge λ added to Θ's diagonal as is (not scaled by N), instead of 0.
         *
         * @param lambda λ, finite and ≥ 0
         * @return this builder
         * @throws InvalidInputException when λ is negative or not finite
         */
        public Builder ridge(double lambda) {
            if (!(lambda >= 0) || !Double.isFinite(lambda)) {
                throw new InvalidInputException("λ must be non-negative and finite, got " + lambda);
            }
            this.lambda = lambda;
            return this;
        }

        /**
         * The relative residual ‖r‖/‖b‖ every column of Y must reach, instead of 10⁻⁶.
         *
         * @param tolerance the residual, in (0, 1)
         * @return this builder
         * @throws InvalidInputException when the tolerance is outside (0, 1)
         */
        public Builder tolerance(double tolerance) {
            if (!(tolerance > 0) || !(tolerance < 1)) {
                throw new InvalidInputException("tolerance must be in (0, 1), got " + tolerance);
            }
            this.tolerance = tolerance;
            return this;
        }

        /**
         * The most conjugate-gradient iterations, instead of 1000.
         *
         * @param maxIterations the limit, ≥ 1
         * @return this builder
         * @throws InvalidInputException when the limit is below 1
         */
        public Builder maxIterations(int maxIterations) {
            if (maxIterations < 1) {
                throw new InvalidInputException("at least one iteration must be allowed, got " + maxIterations);
            }
            this.maxIterations = maxIterations;
            return this;
        }

        /**
         * Preconditions by (Θ_ii + λI)⁻¹ on each diagonal tile, from the tiles themselves (one more job to collect
         * them), instead of none; replaces an earlier {@link #nystrom}.
         *
         * @return this builder
         */
        public Builder blockJacobi() {
            this.preconditioning = Preconditioning.BLOCK_JACOBI;
            return this;
        }

        /**
         * Preconditions by a Nyström approximation of Θ + λI from Θ(X, X_S) at {@code rank} landmark examples S
         * drawn with a fixed seed (at most N are used), instead of none; replaces an earlier {@link #blockJacobi}.
         *
         * @param rank the landmark examples, ≥ 1
         * @return this builder
         * @throws InvalidInputException when rank is below 1
         */
        public Builder nystrom(int rank) {
            if (rank < 1) {
                throw new InvalidInputException("the Nyström rank must be at least 1, got " + rank);
            }
            this.preconditioning = Preconditioning.NYSTROM;
            this.nystromRank = rank;
            return this;
        }

        /**
         * Whether Θ's tiles are computed once and kept on the executors (memory, then disk; the default), or
         * recomputed in every product (when they do not fit).
         *
         * @param cache true to cache the tiles
         * @return this builder
         */
        public Builder cacheTiles(boolean cache) {
            this.cacheTiles = cache;
            return this;
        }

        /**
         * The rows and columns of a tile, instead of {@link DistributedKernel#defaultTile}.
         *
         * @param tile the tile size, ≥ 1
         * @return this builder
         * @throws InvalidInputException when tile is below 1
         */
        public Builder tile(int tile) {
            this.tile = DistributedKernel.requireTile(tile);
            return this;
        }

        /**
         * Receives one report per solver iteration (see {@link ConjugateGradient#solve}).
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
         * Fits on (x, y) and predicts at xTest.
         *
         * @param xTest the examples to predict at, N_test rows of d features
         * @return α, the predictions and the solver's record
         * @throws InvalidInputException  when xTest is missing, the kernel is in diagonal mode, or a shape does not
         *                                match
         * @throws org.ntk4j.NtkException when Θ + λI turns out not to be positive definite, or a Spark job fails
         */
        public Result fit(RowSource xTest) {
            if (xTest == null) {
                throw new InvalidInputException("the examples to predict at must be given");
            }
            return DistributedRegression.fit(this, xTest,
                    tile != null ? tile : DistributedKernel.defaultTile(spark, kernel.mode(), kernel.outputDim()));
        }
    }

    /** M⁻¹ for the solve. */
    private enum Preconditioning {
        NONE, BLOCK_JACOBI, NYSTROM
    }

    private static Result fit(Builder s, RowSource xTest, int tile) {
        SerializableKernel kernel = s.kernel;
        RowSource x = s.x;
        Matrix y = s.y;
        NtkMode mode = kernel.mode();
        if (mode == NtkMode.DIAGONAL) {
            throw new InvalidInputException("kernel regression needs the trace or the full kernel, not the diagonal one");
        }
        DistributedKernel.requireDims(kernel, x, "X");
        DistributedKernel.requireDims(kernel, xTest, "X-test");
        int o = kernel.outputDim();
        if (y.rows() != x.rows() || y.cols() != o) {
            throw new InvalidInputException("targets have shape (" + y.rows() + ", " + y.cols() + ") but (" + x.rows()
                    + ", " + o + ") is needed (one row of " + o + " outputs per training example)");
        }
        int per = mode == NtkMode.FULL ? o : 1;   // operator rows per example
        Matrix b = new Matrix(x.rows() * per, o / per, y.data());
        try (TiledOperator op = new TiledOperator(s.spark, kernel, x, tile, s.lambda, s.cacheTiles)) {
            Preconditioner m = switch (s.preconditioning) {
                case NONE -> Preconditioner.IDENTITY;
                case BLOCK_JACOBI -> Preconditioners.blockJacobi(op.diagonalBlocks(), s.lambda);
                case NYSTROM -> op.nystrom(Math.min(s.nystromRank, x.rows()), s.lambda);
            };
            ConjugateGradient.Result solve = ConjugateGradient.solve(op, b, m, s.tolerance, s.maxIterations,
                    s.progress);
            Matrix alpha = solve.solution();
            Matrix pred = op.crossProduct(xTest, alpha);
            return new Result(new Matrix(x.rows(), o, alpha.data()), new Matrix(xTest.rows(), o, pred.data()), solve);
        }
    }

    /** A tile in operator layout: (rows·per) × (cols·per), row-major. */
    static Matrix operatorBlock(Tensor t) {
        return t.rank() == 4 ? KernelLayout.fullToMatrix(t) : t.asMatrix();
    }

    /** Θ + λI as a {@link SymmetricOperator} whose products are Spark jobs over the upper-triangle tiles. */
    static final class TiledOperator implements SymmetricOperator, AutoCloseable {
        private final JavaSparkContext jsc;
        private final RowSource x;
        private final TilePlan plan;
        private final double lambda;
        private final int per;
        private final Broadcast<SerializableKernel> k;
        private final JavaPairRDD<TilePlan.Tile, Block> tiles;

        TiledOperator(SparkSession spark, SerializableKernel kernel, RowSource x, int tile, double lambda, boolean cache) {
            this.jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            this.x = x;
            this.plan = TilePlan.of(x.rows(), x.rows(), tile, true);
            this.lambda = lambda;
            this.per = kernel.mode() == NtkMode.FULL ? kernel.outputDim() : 1;
            this.k = jsc.broadcast(kernel);
            Broadcast<SerializableKernel> kb = k;
            TilePlan g = plan;
            List<TilePlan.Tile> all = plan.tiles();
            // One partition per core, each holding several tiles: a task sums its tiles' contributions locally, so a
            // product costs one n×k vector per core to combine.
            int partitions = Math.max(1, Math.min(all.size(), jsc.defaultParallelism()));
            JavaPairRDD<TilePlan.Tile, Block> t = jsc.parallelize(all, partitions).mapToPair(tl -> {
                Matrix a = x.read(g.rowStart(tl.i()), g.rowEnd(tl.i()));
                Tensor values = tl.diagonal() ? kb.value().compute(a)
                        : kb.value().compute(a, x.read(g.colStart(tl.j()), g.colEnd(tl.j())));
                return new Tuple2<>(tl, Block.of(operatorBlock(values)));
            });
            if (cache) {
                t = t.persist(StorageLevel.MEMORY_AND_DISK());
                JavaPairRDD<TilePlan.Tile, Block> cached = t;
                Jobs.run(cached::count); // computed once, here; later products read the cache
            }
            this.tiles = t;
        }

        @Override
        public int size() {
            return plan.n1() * per;
        }

        /**
         * (Θ + λI)·V: each tile (i, j) adds T·V_j to block i and, off the diagonal, Tᵀ·V_i to block j; each task sums
         * into one n×k vector and a tree aggregation adds those up.
         */
        @Override
        public Matrix apply(Matrix v) {
            int cols = v.cols();
            int n = size();
            // Up to 32 partial vectors are summed on the driver (one stage, the lowest latency); more in a tree.
            int depth = tiles.getNumPartitions() <= 32 ? 1 : 2;
            Broadcast<double[]> vb = jsc.broadcast(v.data());
            TilePlan g = plan;
            int p = per;
            try {
                double[] sum = Jobs.run(() -> tiles.treeAggregate(new double[0], (acc, e) -> {
                    double[] out = acc.length == 0 ? new double[n * cols] : acc;
                    TilePlan.Tile tl = e._1();
                    Matrix m = e._2().matrix();
                    Matrix part = LinearAlgebra.multiply(m, false,
                            slice(vb.value(), g.colStart(tl.j()) * p, g.colEnd(tl.j()) * p, cols), false);
                    addInto(out, g.rowStart(tl.i()) * p * cols, part.data());
                    if (!tl.diagonal()) {
                        Matrix back = LinearAlgebra.multiply(m, true,
                                slice(vb.value(), g.rowStart(tl.i()) * p, g.rowEnd(tl.i()) * p, cols), false);
                        addInto(out, g.colStart(tl.j()) * p * cols, back.data());
                    }
                    return out;
                }, DistributedRegression::combine, depth));
                double[] out = sum.length == 0 ? new double[n * cols] : sum;
                for (int i = 0; i < out.length; i++) {
                    out[i] += lambda * v.data()[i];
                }
                return new Matrix(v.rows(), cols, out);
            } finally {
                vb.destroy();
            }
        }

        /** The diagonal tiles Θ_ii, in order, for block-Jacobi. */
        List<Matrix> diagonalBlocks() {
            List<Tuple2<TilePlan.Tile, Block>> d = Jobs.run(() -> tiles.filter(e -> e._1().diagonal()).collect());
            List<Tuple2<TilePlan.Tile, Block>> sorted = new ArrayList<>(d);
            sorted.sort((a, b) -> Integer.compare(a._1().i(), b._1().i()));
            List<Matrix> blocks = new ArrayList<>();
            sorted.forEach(e -> blocks.add(e._2().matrix()));
            return blocks;
        }

        /** The Nyström preconditioner from Θ(X, X_S) for m landmark examples S (all O columns of each in full mode). */
        Preconditioner nystrom(int m, double ridge) {
            int[] examples = Preconditioners.landmarks(x.rows(), m, Preconditioners.LANDMARK_SEED);
            double[] rows = new double[m * x.dim()];
            try {
                for (int a = 0; a < m; a++) {
                    System.arraycopy(x.read(examples[a], examples[a] + 1).data(), 0, rows, a * x.dim(), x.dim());
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Matrix landmarks = new Matrix(m, x.dim(), rows);
            Matrix columns = crossColumns(landmarks);
            int[] s = new int[m * per];
            for (int a = 0; a < m; a++) {
                for (int c = 0; c < per; c++) {
                    s[a * per + c] = examples[a] * per + c;
                }
            }
            return Preconditioners.nystrom(columns, s, ridge);
        }

        /** Θ(X, L) in operator layout, one task per row block of X. */
        private Matrix crossColumns(Matrix landmarks) {
            Broadcast<Block> lb = jsc.broadcast(Block.of(landmarks));
            TilePlan g = plan;
            RowSource xs = x;
            Broadcast<SerializableKernel> kb = k;
            List<Integer> blocks = new ArrayList<>();
            for (int i = 0; i < g.blocks1(); i++) {
                blocks.add(i);
            }
            try {
                Map<Integer, Block> parts = Jobs.run(() -> jsc.parallelize(blocks, blocks.size()).mapToPair(i ->
                        new Tuple2<>(i, Block.of(operatorBlock(kb.value().compute(xs.read(g.rowStart(i), g.rowEnd(i)),
                                lb.value().matrix()))))).collectAsMap());
                int width = landmarks.rows() * per;
                double[] out = new double[size() * width];
                parts.forEach((i, mtx) -> System.arraycopy(mtx.data(), 0, out, g.rowStart(i) * per * width, mtx.data().length));
                return new Matrix(size(), width, out);
            } finally {
                lb.destroy();
            }
        }

        /** Θ(X_test, X)·α over the cross tiles (test blocks × train blocks), computed on the fly. */
        Matrix crossProduct(RowSource xt, Matrix alpha) {
            TilePlan cross = TilePlan.of(xt.rows(), x.rows(), plan.rows(), false);
            Broadcast<double[]> ab = jsc.broadcast(alpha.data());
            int cols = alpha.cols();
            int p = per;
            RowSource xs = x;
            Broadcast<SerializableKernel> kb = k;
            List<TilePlan.Tile> all = cross.tiles();
            try {
                Map<Integer, double[]> sums = Jobs.run(() -> jsc.parallelize(all, all.size()).mapToPair(tl -> {
                    Matrix m = operatorBlock(kb.value().compute(xt.read(cross.rowStart(tl.i()), cross.rowEnd(tl.i())),
                            xs.read(cross.colStart(tl.j()), cross.colEnd(tl.j()))));
                    Matrix part = LinearAlgebra.multiply(m, false,
                            slice(ab.value(), cross.colStart(tl.j()) * p, cross.colEnd(tl.j()) * p, cols), false);
                    return new Tuple2<>(tl.i(), part.data());
                }).reduceByKey(DistributedRegression::add, Math.max(1, cross.blocks1())).collectAsMap());
                double[] out = new double[xt.rows() * per * cols];
                sums.forEach((i, v) -> System.arraycopy(v, 0, out, cross.rowStart(i) * per * cols, v.length));
                return new Matrix(xt.rows() * per, cols, out);
            } finally {
                ab.destroy();
            }
        }

        @Override
        public void close() {
            tiles.unpersist(false);
            k.destroy();
        }
    }

    private static Matrix slice(double[] v, int from, int to, int cols) {
        return new Matrix(to - from, cols, Arrays.copyOfRange(v, from * cols, to * cols));
    }

    private static void addInto(double[] out, int offset, double[] part) {
        for (int i = 0; i < part.length; i++) {
            out[offset + i] += part[i];
        }
    }

    /** Sums two partial products; an empty array is a task that held no tile. */
    private static double[] combine(double[] a, double[] b) {
        if (a.length == 0) {
            return b;
        }
        if (b.length == 0) {
            return a;
        }
        addInto(a, 0, b);
        return a;
    }

    private static double[] add(double[] a, double[] b) {
        double[] s = a.clone();
        for (int i = 0; i < s.length; i++) {
            s[i] += b[i];
        }
        return s;
    }
}
