package org.ntk4j.spark;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.io.Npy;
import org.ntk4j.io.NpyFormatException;

/**
 * Rows of a 2-D (N, d) float32/float64 .npy file on any Hadoop file system; a task seeks to its block and reads
 * only those rows. The header is checked once on the driver ({@link #open}), so a wrong shape, type or path fails
 * before any task starts.
 */
public final class NpyRows implements RowSource {
    private static final long serialVersionUID = 1L;

    /** The .npy file: a Hadoop path or URI. */
    private final String path;
    /** The driver's Hadoop configuration, which opens {@link #path} in the tasks. */
    private final HadoopConf conf;
    /** N, the examples (the array's first dimension). */
    private final int rows;
    /** d, the features per example (1 for a 1-D array). */
    private final int dim;
    /** Whether the values are float32 (else float64). */
    private final boolean float32;
    /** Whether the values are big-endian (else little-endian). */
    private final boolean bigEndian;
    /** The file offset of the first value, just past the header. */
    private final long dataOffset;

    private NpyRows(String path, HadoopConf conf, Npy.Layout layout) {
        this.path = path;
        this.conf = conf;
        int[] s = layout.shape();
        this.rows = s[0];
        this.dim = s.length == 1 ? 1 : s[1];
        this.float32 = layout.float32();
        this.bigEndian = layout.order() == ByteOrder.BIG_ENDIAN;
        this.dataOffset = layout.dataOffset();
    }

    /**
     * Opens {@code path} (a URI such as hdfs://…, s3a://…, file:/…, or a local path) and checks that it is an (N, d)
     * array with N ≥ 1 (a 1-D array is N examples of one feature); {@code role} names it in messages.
     *
     * @param spark the session whose Hadoop configuration opens the file
     * @param path  the .npy file, float32 or float64 in C order; tasks reopen it, so it must be reachable
     *              from every executor and stay unchanged during the job
     * @param role  what the file is for messages, e.g. "X" or "X-test"
     * @return the rows, with only the header read
     * @throws InvalidInputException when the file is missing or unreadable, is not a .npy array, is shorter than its
     *                               header says, or is not a non-empty 1-D or 2-D array
     */
    public static NpyRows open(SparkSession spark, String path, String role) {
        HadoopConf conf = new HadoopConf(spark.sparkContext().hadoopConfiguration());
        Path p = new Path(path);
        Npy.Layout layout;
        try {
            FileSystem fs = conf.fileSystem(p);
            try (InputStream in = new BufferedInputStream(fs.open(p), 1 << 16)) {
                layout = Npy.readLayout(in, path);
            }
            long need = layout.dataOffset() + count(layout.shape()) * layout.width();
            long have = fs.getFileStatus(p).getLen();
            if (have < need) {
                throw new InvalidInputException(path + ": " + role + " is cut short: " + have + " bytes, the header promises "
                        + need);
            }
        } catch (FileNotFoundException e) {
            throw new InvalidInputException("cannot read " + role + " at " + path + ": no such file");
        } catch (NpyFormatException e) {
            throw new InvalidInputException(role + ": " + e.getMessage());
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + role + " at " + path + ": " + e.getMessage());
        }
        int[] s = layout.shape();
        if ((s.length != 1 && s.length != 2) || s[0] < 1) {
            throw new InvalidInputException(path + ": " + role + " must be a non-empty (N, d) array, got shape "
                    + java.util.Arrays.toString(s));
        }
        return new NpyRows(path, conf, layout);
    }

    private static long count(int[] shape) {
        long c = 1;
        for (int s : shape) {
            c *= s;
        }
        return c;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public Matrix read(int from, int to) throws IOException {
        if (from < 0 || to > rows || from >= to) {
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of " + rows);
        }
        int width = float32 ? 4 : 8;
        int n = (to - from) * dim;
        byte[] bytes = new byte[n * width];
        Path p = new Path(path);
        try (FSDataInputStream in = conf.fileSystem(p).open(p)) {
            in.seek(dataOffset + (long) from * dim * width);
            in.readFully(bytes);
        } catch (EOFException e) {
            throw new IOException(path + " ends before row " + to + " (was it changed while the job ran?)", e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        double[] d = new double[n];
        for (int k = 0; k < n; k++) {
            d[k] = float32 ? b.getFloat() : b.getDouble();
            if (!Double.isFinite(d[k])) {
                throw new InvalidInputException(path + ": contains " + d[k] + " at row " + (from + k / dim) + ", column "
                        + k % dim);
            }
        }
        return new Matrix(to - from, dim, d);
    }

    @Override
    public String describe() {
        return path + " (" + rows + " × " + dim + ")";
    }

    /** The file's bytes, streamed once on the driver (about 1 GB/s from a local disk). */
    @Override
    public void digest(MessageDigest md) throws IOException {
        Path p = new Path(path);
        byte[] buf = new byte[1 << 20];
        try (InputStream in = conf.fileSystem(p).open(p)) {
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
        }
    }
}
