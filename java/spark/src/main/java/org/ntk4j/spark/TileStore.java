package org.ntk4j.spark;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.ntk4j.InvalidInputException;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.tiling.TilePlacer;
import org.ntk4j.tiling.TilePlan;

/**
 * A directory of kernel tiles on a Hadoop file system: {@code manifest.properties} (what kernel, which inputs,
 * which tiling, and their SHA-256 identity) and one {@code tile-I-J.npy} per finished tile, in the kernel mode's
 * layout — (rows, cols), (rows, cols, O, O) or (rows, cols, O) — followed by a trailer of {@value #TRAILER} bytes:
 * the tile's position (I, J and its rows and columns), the kernel's identity, and a SHA-256 of the values and of all
 * that (NumPy reads the array and ignores the trailer). A tile is written under a unique temporary name in
 * {@code _temporary/} and renamed into place when complete (atomic on HDFS and local disks); a tile file is used only
 * when its size, header, position, kernel identity and checksum all match ({@link #verify}): one that was moved,
 * truncated, overwritten, copied from another kernel, or replaced by a directory is recomputed, never used.
 */
public final class TileStore implements Serializable {
    private static final long serialVersionUID = 1L;
    static final String MANIFEST = "manifest.properties";
    private static final String TEMPORARY = "_temporary";
    /** The trailer's first bytes: an ntk4j tile, format 1. */
    private static final byte[] MAGIC = "ntk4jTL1".getBytes(StandardCharsets.US_ASCII);
    /** What the checksum covers after the array: magic, i, j, row0, rows, col0, cols, the kernel's identity. */
    private static final int TRAILER_HEAD = 8 + 6 * 4 + 32;
    /** Bytes after the array: the trailer's head and the SHA-256 of the array and the head. */
    static final int TRAILER = TRAILER_HEAD + 32;

    /** The directory, as given: a Hadoop path or URI. */
    private final String dir;
    /** The driver's Hadoop configuration, which opens {@link #dir} in the tasks that write tiles. */
    private final HadoopConf conf;
    /** How the kernel is split into tiles. */
    private final TilePlan plan;
    /** The kernel's mode, which fixes each tile's layout. */
    private final NtkMode mode;
    /** O, the network's outputs. */
    private final int outputs;
    /** Whether tiles hold float32 values (else float64). */
    private final boolean float32;
    /** The kernel's identity (SHA-256 of the kernel, its inputs and the tiling; the manifest's), which tiles carry. */
    private final byte[] identity;

    private TileStore(String dir, HadoopConf conf, TilePlan plan, NtkMode mode, int outputs, boolean float32,
                      String identity) {
        this.identity = identityBytes(dir, identity);
        this.dir = dir;
        this.conf = conf;
        this.plan = plan;
        this.mode = mode;
        this.outputs = outputs;
        this.float32 = float32;
    }

    /**
     * Opens {@code dir} for this kernel: creates it with its manifest, or reuses it when its manifest has the same
     * identity. Throws {@link KernelMismatchException} naming the differences when the directory holds another
     * kernel, and when it is a non-empty directory without a manifest (never written into).
     */
    static TileStore open(String dir, HadoopConf conf, TilePlan plan, SerializableKernel kernel, Map<String, String> manifest)
            throws IOException {
        Path root = directory(dir);
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
        return new TileStore(dir, conf, plan, kernel.mode(), kernel.outputDim(), kernel.float32(),
                manifest.get("identity"));
    }

    /**
     * Checks that {@code dir} is a Hadoop path or URI, before anything is started.
     *
     * @param dir a tile directory, as a user gave it
     * @throws InvalidInputException naming it, when Hadoop cannot parse it (such as {@code a:b}, a relative path
     *                               under a scheme)
     */
    public static void requireValidDirectory(String dir) {
        directory(dir);
    }

    private static Path directory(String dir) {
        try {
            return new Path(dir);
        } catch (IllegalArgumentException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new InvalidInputException("the tile directory '" + dir + "' is not a valid path or URI ("
                    + cause.getMessage() + "); give a path, or a URI such as file:///data/tiles or hdfs://host/tiles");
        }
    }

    private static byte[] identityBytes(String dir, String hex) {
        if (hex == null || !hex.matches("[0-9a-f]{64}")) {
            throw new KernelMismatchException(dir + "/" + MANIFEST + " has no valid identity: " + hex);
        }
        return HexFormat.of().parseHex(hex);
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
        Path mf = new Path(directory(dir), MANIFEST);
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
            TilePlan g = TilePlan.of(Integer.parseInt(m.get("n1")), Integer.parseInt(m.get("n2")),
                    Integer.parseInt(m.get("tile")), Boolean.parseBoolean(m.get("symmetric")));
            return new TileStore(dir, new HadoopConf(c), g, NtkMode.valueOf(m.get("mode")),
                    Integer.parseInt(m.get("outputs")), m.get("dtype").equals("float32"), m.get("identity"));
        } catch (RuntimeException e) {
            throw new KernelMismatchException(dir + "/" + MANIFEST + " is incomplete or unreadable: " + e.getMessage());
        }
    }

    /**
     * How the kernel is split into tiles.
     *
     * @return the tile plan, from the manifest
     */
    public TilePlan plan() {
        return plan;
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
     * @param t a tile of {@link #plan()}
     * @return a new array: (rows, cols), (rows, cols, O, O) or (rows, cols, O)
     */
    public int[] shape(TilePlan.Tile t) {
        return mode.shape(t.rows(), t.cols(), outputs);
    }

    /** The size in bytes of tile t's array (.npy header and values), without the trailer. */
    private long arrayBytes(TilePlan.Tile t) {
        int[] s = shape(t);
        long count = 1;
        for (int d : s) {
            count *= d;
        }
        return Npy.header(s, float32).length + count * (float32 ? 4 : 8);
    }

    /** The exact size in bytes of a complete tile file. */
    long expectedBytes(TilePlan.Tile t) {
        return arrayBytes(t) + TRAILER;
    }

    /** What a tile file is worth. */
    enum Status {
        /** No file (nor anything else) under the tile's name. */
        MISSING,
        /** A complete tile of this kernel at this place: used as it is. */
        VALID,
        /** Something under the tile's name that is not that tile: to delete and recompute. */
        INVALID
    }

    /**
     * The state of a tile's file, and what is wrong with it when it is invalid.
     *
     * @param status  the file's state
     * @param problem what does not match, for {@link Status#INVALID}; else null
     */
    record Verdict(Status status, String problem) {
    }

    /**
     * Reads tile t completely and checks it as {@link #read} does, without keeping its values.
     *
     * @param t a tile of {@link #plan()}
     * @return missing, valid, or invalid with the reason
     * @throws IOException when the file system fails (not when the file is bad)
     */
    Verdict verify(TilePlan.Tile t) throws IOException {
        try {
            read(t);
            return new Verdict(Status.VALID, null);
        } catch (FileNotFoundException e) {
            return new Verdict(Status.MISSING, null);
        } catch (CorruptTileException e) {
            return new Verdict(Status.INVALID, e.getMessage());
        }
    }

    /** Deletes whatever is under tile t's name (a bad file, or a directory with all it holds). */
    void delete(TilePlan.Tile t) throws IOException {
        Path p = new Path(dir, fileName(t));
        FileSystem fs = conf.fileSystem(p);
        if (fs.exists(p) && !fs.delete(p, true)) {
            throw new IOException("could not delete " + p + " to recompute it");
        }
    }

    /** Writes tile t (values in the mode's layout) under a temporary name and renames it into place. */
    void write(TilePlan.Tile t, Tensor values, String attempt) throws IOException {
        Path root = new Path(dir);
        FileSystem fs = conf.fileSystem(root);
        Path tmp = new Path(new Path(root, TEMPORARY), fileName(t) + "." + attempt + "." + UUID.randomUUID());
        MessageDigest md = sha256();
        try (OutputStream raw = fs.create(tmp, true);
             BufferedOutputStream out = new BufferedOutputStream(raw, 1 << 16)) {
            DigestOutputStream summed = new DigestOutputStream(out, md);
            Npy.write(summed, values.toPrecision(float32 ? Precision.FP32 : Precision.FP64));
            summed.write(trailerHead(t));
            summed.flush();
            out.write(md.digest());
        }
        Path target = new Path(root, fileName(t));
        if (!fs.rename(tmp, target) || !fs.getFileStatus(target).isFile()) {
            // Another attempt of the same task (speculation, a retry) may have finished first: its tile is identical,
            // and used only if it checks out.
            fs.delete(tmp, false);
            Verdict v = verify(t);
            if (v.status() != Status.VALID) {
                throw new IOException("could not rename " + tmp + " to " + target
                        + (v.problem() == null ? "" : ": " + v.problem()));
            }
        }
    }

    /** The trailer's checked part for tile t: magic, position, kernel identity. */
    private byte[] trailerHead(TilePlan.Tile t) {
        return ByteBuffer.allocate(TRAILER_HEAD).put(MAGIC).putInt(t.i()).putInt(t.j()).putInt(t.row0())
                .putInt(t.rows()).putInt(t.col0()).putInt(t.cols()).put(identity).array();
    }

    /**
     * Reads tile t, checking its size, header, position, kernel identity and checksum; a mismatch is a
     * {@link CorruptTileException} (the tile is then recomputed by the next run of the kernel job).
     *
     * @param t a tile of {@link #plan()}
     * @return its values, of shape {@link #shape(TilePlan.Tile) shape(t)}
     * @throws CorruptTileException when anything under the tile's name is not this tile of this kernel: a directory,
     *                              a file of the wrong size, header, shape or value type, one of another place or
     *                              kernel, or one whose contents changed after it was written
     * @throws IOException          when the file is missing ({@link java.io.FileNotFoundException}) or cannot be
     *                              read
     */
    public Tensor read(TilePlan.Tile t) throws IOException {
        Path p = new Path(dir, fileName(t));
        FileSystem fs = conf.fileSystem(p);
        FileStatus st = fs.getFileStatus(p);
        if (!st.isFile()) {
            throw corrupt(p, "is " + (st.isDirectory() ? "a directory" : "not a regular file") + ", not a tile file");
        }
        long arrayBytes = arrayBytes(t);
        if (st.getLen() != arrayBytes + TRAILER) {
            throw corrupt(p, "has " + st.getLen() + " bytes, a complete tile " + Arrays.toString(shape(t)) + " has "
                    + (arrayBytes + TRAILER));
        }
        MessageDigest md = sha256();
        Tensor a;
        byte[] head;
        byte[] sum;
        try (InputStream in = new BufferedInputStream(fs.open(p), 1 << 16)) {
            DigestInputStream summed = new DigestInputStream(in, md);
            try {
                a = Npy.read(new Prefix(summed, arrayBytes), p.toString());
            } catch (org.ntk4j.io.NpyFormatException e) {
                throw corrupt(p, "is not a complete tile (" + e.getMessage() + ")");
            }
            head = summed.readNBytes(TRAILER_HEAD);
            sum = in.readNBytes(32);
        }
        if (!Arrays.equals(a.shape(), shape(t)) || a.float32() != float32) {
            throw corrupt(p, "holds a " + (a.float32() ? "float32 " : "float64 ") + Arrays.toString(a.shape())
                    + " array, expected " + (float32 ? "float32 " : "float64 ") + Arrays.toString(shape(t)));
        }
        ByteBuffer h = ByteBuffer.wrap(head);
        byte[] magic = new byte[MAGIC.length];
        h.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw corrupt(p, "has no ntk4j tile trailer (position, kernel identity, checksum)");
        }
        int i = h.getInt();
        int j = h.getInt();
        if (i != t.i() || j != t.j() || h.getInt() != t.row0() || h.getInt() != t.rows() || h.getInt() != t.col0()
                || h.getInt() != t.cols()) {
            throw corrupt(p, "holds tile (" + i + ", " + j + "), not (" + t.i() + ", " + t.j() + "): it was moved");
        }
        byte[] id = new byte[identity.length];
        h.get(id);
        if (!MessageDigest.isEqual(id, identity)) {
            throw corrupt(p, "is a tile of another kernel (another model, inputs, mode or precision)");
        }
        if (!MessageDigest.isEqual(md.digest(), sum)) {
            throw corrupt(p, "does not match its checksum: its contents changed after it was written");
        }
        return a;
    }

    private static CorruptTileException corrupt(Path p, String what) {
        return new CorruptTileException(p + " " + what + "; rerun the kernel job to recompute it");
    }

    /** The first {@code length} bytes of a stream, then its end (so that a reader sees the array alone). */
    private static final class Prefix extends FilterInputStream {
        private long left;

        Prefix(InputStream in, long length) {
            super(in);
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return len == 0 ? 0 : -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = in.skip(Math.min(n, left));
            left -= k;
            return k;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), left);
        }

        @Override
        public void close() {
            // the caller closes the underlying stream, after the trailer
        }
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
        int[] shape = mode.shape(plan.n1(), plan.n2(), outputs);
        double[] out = new double[Math.multiplyExact(Math.multiplyExact(plan.n1(), plan.n2()),
                mode.valuesPerPair(outputs))];
        TilePlacer<RuntimeException> placer = new TilePlacer<>(plan, mode, outputs, TilePlacer.into(out));
        for (TilePlan.Tile t : plan.tiles()) {
            placer.place(t, read(t)); // a float32 tile is widened value by value into the array, not copied first
        }
        return new Tensor(shape, out);
    }

    /** The file name of tile t in the directory. */
    static String fileName(TilePlan.Tile t) {
        return "tile-" + t.i() + "-" + t.j() + ".npy";
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
