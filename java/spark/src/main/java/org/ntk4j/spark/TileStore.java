package org.ntk4j.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ntk4j.NtkMode;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.NpyArray;

/**
 * A directory of kernel tiles on a Hadoop file system: {@code manifest.properties} (what kernel, which inputs,
 * which tiling, and their SHA-256 identity) and one {@code tile-I-J.npy} per finished tile, in the kernel mode's
 * layout — (rows, cols), (rows, cols, O, O) or (rows, cols, O). A tile is written under a unique temporary name in
 * {@code _temporary/} and renamed into place when complete (atomic on HDFS and local disks), so a tile file that
 * exists is finished; its size is still checked against its shape before it counts, and its header when read.
 */
public final class TileStore implements Serializable {
    private static final long serialVersionUID = 1L;
    static final String MANIFEST = "manifest.properties";
    private static final String TEMPORARY = "_temporary";

    /** The directory, as given: a Hadoop path or URI. */
    private final String dir;
    /** The driver's Hadoop configuration, which opens {@link #dir} in the tasks that write tiles. */
    private final HadoopConf conf;
    /** How the kernel is split into tiles. */
    private final TileGrid grid;
    /** The kernel's mode, which fixes each tile's layout. */
    private final NtkMode mode;
    /** O, the network's outputs. */
    private final int outputs;
    /** Whether tiles hold float32 values (else float64). */
    private final boolean float32;

    private TileStore(String dir, HadoopConf conf, TileGrid grid, NtkMode mode, int outputs, boolean float32) {
        this.dir = dir;
        this.conf = conf;
        this.grid = grid;
        this.mode = mode;
        this.outputs = outputs;
        this.float32 = float32;
    }

    /**
     * Opens {@code dir} for this kernel: creates it with its manifest, or reuses it when its manifest has the same
     * identity. Throws {@link KernelMismatchException} naming the differences when the directory holds another
     * kernel, and when it is a non-empty directory without a manifest (never written into).
     */
    static TileStore open(String dir, HadoopConf conf, TileGrid grid, KernelFunction kernel, Map<String, String> manifest)
            throws IOException {
        Path root = new Path(dir);
        FileSystem fs = conf.fileSystem(root);
        Path mf = new Path(root, MANIFEST);
        if (fs.exists(root)) {
            if (!fs.getFileStatus(root).isDirectory()) {
                throw new KernelMismatchException(dir + " exists and is not a directory");
            }
            if (fs.exists(mf)) {
                Map<String, String> old = readManifest(fs, mf);
                if (!manifest.get("identity").equals(old.get("identity"))) {
                    List<String> diffs = new ArrayList<>();
                    for (Map.Entry<String, String> e : manifest.entrySet()) {
                        if (!e.getKey().equals("identity") && !e.getValue().equals(old.get(e.getKey()))) {
                            diffs.add(e.getKey() + " " + old.get(e.getKey()) + " there, " + e.getValue() + " here");
                        }
                    }
                    throw new KernelMismatchException(dir + " holds tiles of another kernel ("
                            + (diffs.isEmpty() ? "different inputs" : String.join("; ", diffs))
                            + "); choose another directory or delete it");
                }
            } else if (fs.listStatus(root).length > 0) {
                throw new KernelMismatchException(dir + " is not empty and has no " + MANIFEST
                        + ": not a tile directory of ntk4j; choose an empty or new directory");
            }
        }
        if (!fs.exists(mf)) {
            fs.mkdirs(root);
            Properties p = new Properties();
            p.putAll(manifest);
            StringWriter w = new StringWriter();
            p.store(w, "ntk4j kernel tiles: tile-I-J.npy holds rows [I*tile, ...) x [J*tile, ...)");
            Path tmp = new Path(root, "." + MANIFEST + "." + UUID.randomUUID());
            try (OutputStream out = fs.create(tmp, true)) {
                out.write(w.toString().getBytes(StandardCharsets.UTF_8));
            }
            if (!fs.rename(tmp, mf)) {
                fs.delete(tmp, false);
                throw new IOException("could not create " + mf);
            }
        }
        return new TileStore(dir, conf, grid, kernel.mode(), kernel.outputDim(), kernel.float32());
    }

    static Map<String, String> readManifest(FileSystem fs, Path mf) throws IOException {
        Properties p = new Properties();
        try (InputStream in = fs.open(mf)) {
            p.load(new StringReader(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }

    /**
     * The manifest of an existing tile directory (for assembling it).
     *
     * @param dir the tile directory, a Hadoop path or URI
     * @param c   the Hadoop configuration that opens it
     * @return the manifest's fields by name: kernel, mode, outputs, dtype, n1, n2, d, symmetric, tile and identity
     * @throws KernelMismatchException when {@code dir} has no manifest
     * @throws IOException             when the manifest cannot be read
     */
    public static Map<String, String> manifest(String dir, org.apache.hadoop.conf.Configuration c) throws IOException {
        HadoopConf conf = new HadoopConf(c);
        Path mf = new Path(dir, MANIFEST);
        FileSystem fs = conf.fileSystem(mf);
        if (!fs.exists(mf)) {
            throw new KernelMismatchException(dir + " has no " + MANIFEST + ": not a tile directory of ntk4j");
        }
        return readManifest(fs, mf);
    }

    /**
     * Reopens an existing tile directory from its manifest alone (to read or assemble it).
     *
     * @param dir the tile directory, a Hadoop path or URI
     * @param c   the Hadoop configuration that opens it
     * @return the store, for reading; its tiles may still be missing
     * @throws KernelMismatchException when {@code dir} has no manifest, or a field of it is missing or malformed
     * @throws IOException             when the manifest cannot be read
     */
    public static TileStore existing(String dir, org.apache.hadoop.conf.Configuration c) throws IOException {
        Map<String, String> m = manifest(dir, c);
        try {
            TileGrid g = new TileGrid(Integer.parseInt(m.get("n1")), Integer.parseInt(m.get("n2")),
                    Integer.parseInt(m.get("tile")), Boolean.parseBoolean(m.get("symmetric")));
            return new TileStore(dir, new HadoopConf(c), g, NtkMode.valueOf(m.get("mode")),
                    Integer.parseInt(m.get("outputs")), m.get("dtype").equals("float32"));
        } catch (RuntimeException e) {
            throw new KernelMismatchException(dir + "/" + MANIFEST + " is incomplete or unreadable: " + e.getMessage());
        }
    }

    /**
     * How the kernel is split into tiles.
     *
     * @return the tiling, from the manifest
     */
    public TileGrid grid() {
        return grid;
    }

    /**
     * The kernel's mode, which fixes each tile's layout.
     *
     * @return the mode
     */
    public NtkMode mode() {
        return mode;
    }

    /**
     * O, the network's outputs.
     *
     * @return O, ≥ 1
     */
    public int outputs() {
        return outputs;
    }

    /**
     * Whether tiles hold float32 values (else float64).
     *
     * @return true for float32 tiles
     */
    public boolean float32() {
        return float32;
    }

    /**
     * The directory, as given when it was opened.
     *
     * @return a Hadoop path or URI
     */
    public String directory() {
        return dir;
    }

    /**
     * The shape of tile (i, j) in the mode's layout.
     *
     * @param t a tile of {@link #grid()}
     * @return a new array: (rows, cols), (rows, cols, O, O) or (rows, cols, O)
     */
    public int[] shape(TileGrid.Tile t) {
        return mode.shape(grid.to1(t.i()) - grid.from1(t.i()), grid.to2(t.j()) - grid.from2(t.j()), outputs);
    }

    /** The exact size in bytes of a complete tile file. */
    long expectedBytes(TileGrid.Tile t) {
        int[] s = shape(t);
        long count = 1;
        for (int d : s) {
            count *= d;
        }
        return Npy.header(s, float32).length + count * (float32 ? 4 : 8);
    }

    /** What a listing found: complete tiles, and tiles whose file had the wrong size (deleted). */
    record Listing(List<TileGrid.Tile> complete, List<TileGrid.Tile> corrupt) {
    }

    /**
     * Lists the tile files: a file counts as complete only when its size is exactly that of its shape; others are
     * deleted (to be recomputed) and reported.
     */
    Listing list() throws IOException {
        Path root = new Path(dir);
        FileSystem fs = conf.fileSystem(root);
        Map<String, Long> sizes = new HashMap<>();
        for (FileStatus s : fs.listStatus(root)) {
            if (s.isFile()) {
                sizes.put(s.getPath().getName(), s.getLen());
            }
        }
        List<TileGrid.Tile> complete = new ArrayList<>();
        List<TileGrid.Tile> corrupt = new ArrayList<>();
        for (TileGrid.Tile t : grid.tiles()) {
            Long len = sizes.get(t.fileName());
            if (len == null) {
                continue;
            }
            if (len == expectedBytes(t)) {
                complete.add(t);
            } else {
                corrupt.add(t);
                fs.delete(new Path(root, t.fileName()), false);
            }
        }
        return new Listing(complete, corrupt);
    }

    /** Writes tile t (values in the mode's layout) under a temporary name and renames it into place. */
    void write(TileGrid.Tile t, Tensor values, String attempt) throws IOException {
        Path root = new Path(dir);
        FileSystem fs = conf.fileSystem(root);
        Path tmp = new Path(new Path(root, TEMPORARY), t.fileName() + "." + attempt + "." + UUID.randomUUID());
        try (OutputStream out = new BufferedOutputStream(fs.create(tmp, true), 1 << 16)) {
            Npy.write(out, NpyArray.of(values, float32));
        }
        Path target = new Path(root, t.fileName());
        if (!fs.rename(tmp, target)) {
            // Another attempt of the same task (speculation, a retry) finished first: its tile is identical.
            fs.delete(tmp, false);
            if (!fs.exists(target)) {
                throw new IOException("could not rename " + tmp + " to " + target);
            }
        }
    }

    /**
     * Reads tile t, checking its size and header against its place; a mismatch is a {@link CorruptTileException}.
     *
     * @param t a tile of {@link #grid()}
     * @return its values, of shape {@link #shape(TileGrid.Tile) shape(t)}
     * @throws CorruptTileException when the file's size, header, shape or value type does not match
     * @throws IOException          when the file is missing ({@link java.io.FileNotFoundException}) or cannot be
     *                              read
     */
    public Tensor read(TileGrid.Tile t) throws IOException {
        Path p = new Path(dir, t.fileName());
        FileSystem fs = conf.fileSystem(p);
        long len = fs.getFileStatus(p).getLen();
        if (len != expectedBytes(t)) {
            throw new CorruptTileException(p + " has " + len + " bytes, a complete tile " + java.util.Arrays.toString(shape(t))
                    + " has " + expectedBytes(t) + "; rerun the kernel job to recompute it");
        }
        NpyArray a;
        try (InputStream in = new BufferedInputStream(fs.open(p), 1 << 16)) {
            a = Npy.read(in, p.toString());
        } catch (org.ntk4j.io.NpyFormatException e) {
            throw new CorruptTileException(e.getMessage());
        }
        if (!java.util.Arrays.equals(a.shape(), shape(t)) || a.float32() != float32) {
            throw new CorruptTileException(p + " holds a " + (a.float32() ? "float32 " : "float64 ")
                    + java.util.Arrays.toString(a.shape()) + " array, expected " + (float32 ? "float32 " : "float64 ")
                    + java.util.Arrays.toString(shape(t)));
        }
        return a.toTensor();
    }

    /**
     * The whole kernel in memory, in the mode's layout (the lower triangle mirrored from the upper tiles when the
     * kernel is symmetric): for kernels that fit; {@code ntk assemble} writes larger ones into a mapped .npy.
     * Throws {@link CorruptTileException} for a bad tile and {@link java.io.FileNotFoundException} for a missing one.
     *
     * @return the kernel, of shape (n1, n2), (n1, n2, O, O) or (n1, n2, O) by {@link #mode()}, in fp64
     * @throws IOException         when a tile is missing or cannot be read
     * @throws ArithmeticException when the kernel has more values than one array holds
     */
    public Tensor toTensor() throws IOException {
        int[] shape = mode.shape(grid.n1(), grid.n2(), outputs);
        int v = mode.valuesPerPair(outputs);
        int fullO = mode == NtkMode.FULL ? outputs : 0;
        double[] out = new double[Math.multiplyExact(Math.multiplyExact(grid.n1(), grid.n2()), v)];
        for (TileGrid.Tile t : grid.tiles()) {
            double[] tile = read(t).data();
            int i0 = grid.from1(t.i());
            int rows = grid.to1(t.i()) - i0;
            int j0 = grid.from2(t.j());
            int cols = grid.to2(t.j()) - j0;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(tile, r * cols * v, out, ((i0 + r) * grid.n2() + j0) * v, cols * v);
                if (grid.symmetric() && !t.onDiagonal()) {
                    for (int c = 0; c < cols; c++) {
                        int src = (r * cols + c) * v;
                        int dst = ((j0 + c) * grid.n2() + i0 + r) * v;
                        if (fullO > 0) {
                            for (int a = 0; a < fullO; a++) {
                                for (int b = 0; b < fullO; b++) {
                                    out[dst + a * fullO + b] = tile[src + b * fullO + a];
                                }
                            }
                        } else {
                            System.arraycopy(tile, src, out, dst, v);
                        }
                    }
                }
            }
        }
        return new Tensor(shape, out);
    }

    /** Removes the temporary folder (unfinished attempts of a killed job). */
    void clearTemporary() throws IOException {
        Path tmp = new Path(dir, TEMPORARY);
        FileSystem fs = conf.fileSystem(tmp);
        if (fs.exists(tmp)) {
            fs.delete(tmp, true);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format(java.util.Locale.ROOT, "%02x", x));
        }
        return sb.toString();
    }
}
