package org.ntk4j.spark;

import java.io.IOException;
import java.io.Serializable;
import java.security.MessageDigest;
import org.ntk4j.Matrix;

/**
 * Examples (rows of length d) that tile tasks read a block at a time where they run: a .npy file on a shared file
 * system ({@link NpyRows}: local, HDFS, S3 — anything Hadoop's FileSystem opens), or a Spark Dataset staged into
 * blocks of such files ({@link DatasetRows}).
 */
public interface RowSource extends Serializable {

    /**
     * N, the number of examples.
     *
     * @return N, ≥ 1
     */
    int rows();

    /**
     * d, the features per example.
     *
     * @return d, ≥ 1
     */
    int dim();

    /**
     * Rows [from, to) as a (to − from) × d matrix, read where the caller runs (a task on an executor).
     *
     * @param from the first row, inclusive, 0 ≤ from &lt; to
     * @param to   the last row, exclusive, to ≤ {@link #rows()}
     * @return a new matrix the caller owns
     * @throws IOException when the underlying files cannot be read or end early
     */
    Matrix read(int from, int to) throws IOException;

    /**
     * Where the rows come from, for messages.
     *
     * @return the location and shape, e.g. "hdfs://…/x.npy (1000 × 8)"
     */
    String describe();

    /**
     * Feeds the rows' identity (their bytes, or a digest of them) to {@code md}, on the driver.
     *
     * @param md the digest updated
     * @throws IOException when the rows cannot be read to identify them
     */
    void digest(MessageDigest md) throws IOException;
}
