package org.ntk4j.spark;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import scala.Tuple2;

/**
 * Rows of a Spark Dataset (one array&lt;double&gt; or array&lt;float&gt; column, in the Dataset's order) staged by
 * the executors into .npy blocks of {@code blockRows} rows under a directory, so tile tasks read them as they read
 * a file. Staging is one shuffle of the data; the blocks' digests give the rows' identity.
 */
public final class DatasetRows implements RowSource {
    private static final long serialVersionUID = 1L;

    /** The directory of the staged blocks, rows-NNNNNN.npy: a Hadoop path or URI. */
    private final String dir;
    /** The driver's Hadoop configuration, which opens {@link #dir} in the tasks. */
    private final HadoopConf conf;
    /** N, the staged rows. */
    private final int rows;
    /** d, the values per row. */
    private final int dim;
    /** The rows per block; block b holds rows [b·blockRows, (b+1)·blockRows). */
    private final int blockRows;
    /** The blocks' SHA-256 digests in hex, in block order, comma-separated. */
    private final String identity;

    private DatasetRows(String dir, HadoopConf conf, int rows, int dim, int blockRows, String identity) {
        this.dir = dir;
        this.conf = conf;
        this.rows = rows;
        this.dim = dim;
        this.blockRows = blockRows;
        this.identity = identity;
    }

    /**
     * Stages {@code column} of {@code ds} into {@code dir} (created; existing blocks are replaced). Runs two Spark
     * jobs on {@code ds}: a count, then the staging.
     *
     * @param ds        the examples, one per row; row i of the kernel is the Dataset's row i in its current order
     * @param column    the column holding each example, array&lt;double&gt; or array&lt;float&gt;, every row
     *                  non-null, of the same length d ≥ 1 and finite
     * @param dir       a directory that both the driver and every executor reach (a Hadoop path or URI)
     * @param blockRows the rows per staged .npy file, ≥ 1
     * @return the staged rows, identified by the SHA-256 of each block
     * @throws InvalidInputException when the column is missing or of another type, the Dataset is empty, or a row is
     *                               null, of another length or not finite
     */
    public static DatasetRows stage(Dataset<Row> ds, String column, String dir, int blockRows) {
        if (blockRows < 1) {
            throw new InvalidInputException("block size must be at least 1, got " + blockRows);
        }
        DataType t;
        try {
            t = ds.schema().apply(column).dataType();
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("the Dataset has no column '" + column + "' (columns: "
                    + String.join(", ", ds.columns()) + ")");
        }
        if (!(t instanceof ArrayType at) || !(at.elementType().equals(DataTypes.DoubleType)
                || at.elementType().equals(DataTypes.FloatType))) {
            throw new InvalidInputException("column '" + column + "' must be array<double> or array<float>, got "
                    + t.simpleString());
        }
        HadoopConf conf = new HadoopConf(ds.sparkSession().sparkContext().hadoopConfiguration());
        long n = ds.count();
        if (n < 1 || n > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("the Dataset has " + n + " rows; 1 to 2³¹ are supported");
        }
        int blocks = (int) ((n + blockRows - 1) / blockRows);
        JavaPairRDD<Integer, Tuple2<Long, double[]>> keyed = ds.select(column).javaRDD().zipWithIndex().mapToPair(p -> {
            List<Number> v = p._1().getList(0);
            if (v == null) {
                throw new InvalidInputException("row " + p._2() + " of column '" + column + "' is null");
            }
            double[] r = new double[v.size()];
            for (int k = 0; k < r.length; k++) {
                r[k] = v.get(k).doubleValue();
            }
            return new Tuple2<>((int) (p._2() / blockRows), new Tuple2<>(p._2(), r));
        });
        List<Tuple2<Integer, String>> written = Jobs.run(() -> keyed.groupByKey(Math.max(1, Math.min(blocks, 10_000)))
                .map(b -> writeBlock(conf, dir, b._1(), b._2(), blockRows)).collect());
        Map<Integer, String> digests = new TreeMap<>();
        int dim = -1;
        for (Tuple2<Integer, String> w : written) {
            String[] parts = w._2().split(":");
            int d = Integer.parseInt(parts[0]);
            if (dim >= 0 && d != dim) {
                throw new InvalidInputException("column '" + column + "' holds vectors of " + dim + " and of " + d
                        + " values; every row needs the same length");
            }
            dim = d;
            digests.put(w._1(), parts[1]);
        }
        return new DatasetRows(dir, conf, (int) n, dim, blockRows, String.join(",", digests.values()));
    }

    private static Tuple2<Integer, String> writeBlock(HadoopConf conf, String dir, int block,
                                                      Iterable<Tuple2<Long, double[]>> rows, int blockRows)
            throws IOException {
        List<Tuple2<Long, double[]>> list = new ArrayList<>();
        rows.forEach(list::add);
        list.sort((a, b) -> Long.compare(a._1(), b._1()));
        int dim = list.get(0)._2().length;
        if (dim == 0) {
            throw new InvalidInputException("row " + list.get(0)._1() + " is an empty vector");
        }
        double[] data = new double[list.size() * dim];
        for (int r = 0; r < list.size(); r++) {
            double[] v = list.get(r)._2();
            if (v.length != dim) {
                throw new InvalidInputException("row " + list.get(r)._1() + " has " + v.length + " values, row "
                        + list.get(0)._1() + " has " + dim + "; every row needs the same length");
            }
            for (double x : v) {
                if (!Double.isFinite(x)) {
                    throw new InvalidInputException("row " + list.get(r)._1() + " contains " + x);
                }
            }
            System.arraycopy(v, 0, data, r * dim, dim);
        }
        Path target = new Path(dir, blockName(block));
        FileSystem fs = conf.fileSystem(target);
        Path tmp = new Path(dir, "." + blockName(block) + "." + java.util.UUID.randomUUID() + ".tmp");
        MessageDigest md = TileStore.sha256();
        try (OutputStream out = new BufferedOutputStream(fs.create(tmp, true), 1 << 16)) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            Npy.write(bytes, new Tensor(new int[] {list.size(), dim}, data));
            md.update(bytes.toByteArray());
            bytes.writeTo(out);
        }
        fs.delete(target, false);
        if (!fs.rename(tmp, target)) {
            throw new IOException("could not rename " + tmp + " to " + target);
        }
        return new Tuple2<>(block, dim + ":" + TileStore.hex(md.digest()));
    }

    private static String blockName(int block) {
        return String.format(java.util.Locale.ROOT, "rows-%06d.npy", block);
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
        double[] out = new double[(to - from) * dim];
        int r = from;
        while (r < to) {
            int block = r / blockRows;
            Path p = new Path(dir, blockName(block));
            Tensor a;
            try (var in = new java.io.BufferedInputStream(conf.fileSystem(p).open(p), 1 << 16)) {
                a = Npy.read(in, p.toString());
            }
            int b0 = block * blockRows;
            int take = Math.min(to, b0 + a.shape()[0]) - r;
            System.arraycopy(a.doubles(), (r - b0) * dim, out, (r - from) * dim, take * dim);
            r += take;
        }
        return new Matrix(to - from, dim, out);
    }

    @Override
    public String describe() {
        return "Dataset staged in " + dir + " (" + rows + " × " + dim + ")";
    }

    @Override
    public void digest(MessageDigest md) {
        md.update(identity.getBytes(StandardCharsets.UTF_8));
    }
}
