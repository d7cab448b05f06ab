package org.ntk4j.cli;

import java.io.IOException;
import org.ntk4j.Implementation;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.ProgressListener;
import org.ntk4j.Tensor;
import org.ntk4j.linalg.ConjugateGradient;
import org.ntk4j.model.Parameters;
import org.ntk4j.tiling.TilePlan;

/**
 * What the commands ask of Apache Spark, so that the CLI itself compiles and runs without Spark: the implementation
 * lives in ntk4j-cli-spark ({@code java/cli-spark}, over ntk4j-spark) and is found through
 * {@link java.util.ServiceLoader} when it is on the class path, which {@code ./ntk} arranges (building it, and fetching
 * Spark's jars, on the first command run with {@code --spark}). Everything else about a command on Spark (checks,
 * progress, assembling the file, messages) stays in the CLI ({@link SparkRun}).
 */
public interface SparkJobs {

    /**
     * A kernel as the command's flags describe it; the executors compute it.
     *
     * @param params         the network (its parameters unused for the infinite-width kernel)
     * @param kind           the NTK or the NNGP
     * @param mode           the kernel's mode
     * @param analytic       whether it is the infinite-width kernel
     * @param float32Output  whether the tiles are stored as float32
     * @param precision      the backend's precision (empirical kernel)
     * @param implementation the backend's implementation (empirical kernel)
     * @param device         auto, cpu, cuda or reference (empirical kernel)
     */
    record Kernel(Parameters params, KernelKind kind, NtkMode mode, boolean analytic, boolean float32Output,
                  Precision precision, Implementation implementation, String device) {
    }

    /** The tiles of a computed kernel, read one at a time. */
    interface Tiles {
        /**
         * The tiling.
         *
         * @return the plan the tiles follow
         */
        TilePlan plan();

        /**
         * The kernel's mode.
         *
         * @return the mode
         */
        NtkMode mode();

        /**
         * The network's outputs O.
         *
         * @return O
         */
        int outputs();

        /**
         * Whether the tiles hold float32.
         *
         * @return true for float32, false for float64
         */
        boolean float32();

        /**
         * One tile's values, checked.
         *
         * @param tile a tile of {@link #plan()}
         * @return its values
         * @throws IOException when it cannot be read
         */
        Tensor read(TilePlan.Tile tile) throws IOException;
    }

    /**
     * A kernel computed into a tile directory.
     *
     * @param tiles    the tiles
     * @param tile     the rows per tile
     * @param total    the tiles of the kernel
     * @param computed the tiles computed by this run
     * @param skipped  the tiles already there and valid
     * @param corrupt  the tiles found invalid and recomputed
     */
    record KernelRun(Tiles tiles, int tile, long total, long computed, long skipped, long corrupt) {
    }

    /**
     * The settings of kernel regression by preconditioned conjugate gradients over the tiles.
     *
     * @param lambda         the ridge λ
     * @param tolerance      the relative residual to stop at
     * @param maxIterations  the most iterations
     * @param preconditioner the preconditioner
     * @param rank           the landmark examples of the Nyström preconditioner
     * @param cacheTiles     whether the tiles are kept on the executors rather than recomputed in every product
     * @param tile           the rows per tile, or null to size them from the executors' memory
     */
    record Regression(double lambda, double tolerance, int maxIterations, Preconditioning preconditioner, int rank,
                      boolean cacheTiles, Integer tile) {
    }

    /**
     * A regression's result.
     *
     * @param predictions Θ(X_test, X)·α, (N_test, O)
     * @param solve       the solver's record
     * @param tile        the rows per tile used
     * @param kernel      the kernel's description
     */
    record Fit(Matrix predictions, ConjugateGradient.Result solve, int tile, String kernel) {
    }

    /**
     * Checks a tile directory's path or URI before Spark starts.
     *
     * @param uri the directory
     * @throws org.ntk4j.InvalidInputException when it is no valid path or URI
     */
    void requireValidTiles(String uri);

    /**
     * Starts the Spark session (or joins the one spark-submit started).
     *
     * @param master the master URL
     * @return the session, to be closed when the command is done
     */
    Session start(String master);

    /** A running Spark session and the jobs the commands run on it. */
    interface Session extends AutoCloseable {
        /**
         * The master it runs on.
         *
         * @return the master URL
         */
        String master();

        /**
         * Computes a kernel's tiles into a directory, keeping (not recomputing) the valid tiles already there.
         *
         * @param kernel   the kernel
         * @param x1       the rows' examples, a .npy path or URI every executor can read
         * @param x2       the columns' examples, or null for Θ(X1, X1)
         * @param tiles    the tile directory, a path or URI
         * @param tile     the rows per tile, or null to size them from the executors' memory
         * @param progress receives the tiles done out of the total ({@link ProgressListener#NONE} for none)
         * @return the tiles and what was computed
         */
        KernelRun kernel(Kernel kernel, String x1, String x2, String tiles, Integer tile, ProgressListener progress);

        /**
         * Kernel regression: solves (Θ(X, X) + λI)·α = Y over the tiles and predicts Θ(XT, X)·α.
         *
         * @param kernel   the kernel, in trace or full mode
         * @param x        the training examples, a .npy path or URI every executor can read
         * @param xTest    the examples to predict at, likewise
         * @param y        the targets, (N, O)
         * @param settings the solver's settings and the tiling
         * @param progress receives one report per iteration ({@link ProgressListener#NONE} for none)
         * @return the predictions and the solver's record
         */
        Fit regress(Kernel kernel, String x, String xTest, Matrix y, Regression settings, ProgressListener progress);

        /** Stops the session. */
        @Override
        void close();
    }
}
