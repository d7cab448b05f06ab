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

    int rows();

    int dim();

    /** Rows [from, to) as a (to − from) × d matrix. */
    Matrix read(int from, int to) throws IOException;

    /** Where the rows come from, for messages. */
    String describe();

    /** Feeds the rows' identity (their bytes, or a digest of them) to {@code md}, on the driver. */
    void digest(MessageDigest md) throws IOException;
}
