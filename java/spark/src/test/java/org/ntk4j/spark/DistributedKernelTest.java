package org.ntk4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ntk4j.Implementation;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Matrix;
import org.ntk4j.Ntk;
import org.ntk4j.NtkException;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.io.Npy;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
import org.ntk4j.testing.Compare;
import org.ntk4j.testing.NtkCase;
import org.ntk4j.testing.Tolerances;

/** The distributed kernel against the single-process CPU kernel, and its behaviour under faults and bad input. */
class DistributedKernelTest {
    private static final Architecture ARCH = Architecture.builder(6).hidden(17, 11).activation(Activation.ERF).output(3)
            .sigmaW(1.3).sigmaB(0.2).build();
    private static final Parameters P = Parameters.init(ARCH, 7);
    private static final Matrix X1 = NtkCase.gaussianInputs(37, 6, 1);
    private static final Matrix X2 = NtkCase.gaussianInputs(23, 6, 2);

    @TempDir
    Path dir;

    private static Tensor single(Precision precision, Matrix a, Matrix b, NtkMode mode) {
        try (Ntk cpu = Ntk.builder().backend("cpu").precision(precision).open()) {
            return b == null ? cpu.kernel(P, a, mode, Implementation.STRUCTURED)
                    : cpu.kernel(P, a, b, mode, Implementation.STRUCTURED);
        }
    }

    private Tensor distributed(SerializableKernel k, Matrix a, Matrix b, int tile, String name) throws IOException {
        DistributedKernel.Result r = DistributedKernel.builder(SparkTests.spark(), k,
                        SparkTests.rows(dir, name + "-x1", a), SparkTests.fresh(dir, name))
                .columns(b == null ? null : SparkTests.rows(dir, name + "-x2", b)).tile(tile).compute();
        assertEquals(r.total(), r.computed(), "a fresh directory computes every tile");
        return r.store().toTensor();
    }

    @Test
    void fp64TilesOfOddSizesEqualTheSingleProcessKernelSymmetricAndCross() throws IOException {
        for (NtkMode mode : NtkMode.values()) {
            KernelSpec k = KernelSpec.empirical(P, mode, Precision.FP64, Implementation.STRUCTURED, "cpu");
            Compare.assertClose("symmetric " + mode, distributed(k, X1, null, 10, "s" + mode), single(Precision.FP64, X1,
                    null, mode), Tolerances.FP64);
            Compare.assertClose("cross " + mode, distributed(k, X1, X2, 9, "c" + mode), single(Precision.FP64, X1, X2, mode),
                    Tolerances.FP64);
        }
    }

    @Test
    void fp32TilesEqualTheSingleProcessKernel() throws IOException {
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP32, Implementation.AUTO, "auto");
        Compare.assertClose("symmetric fp32", distributed(k, X1, null, 8, "s32"), single(Precision.FP32, X1, null,
                NtkMode.TRACE), 1e-6);
        Compare.assertClose("cross fp32", distributed(k, X2, X1, 7, "c32"), single(Precision.FP32, X2, X1, NtkMode.TRACE),
                1e-6);
    }

    @Test
    void analyticTilesEqualTheInfiniteWidthKernel() throws IOException {
        AnalyticKernel ak = AnalyticKernel.of(ARCH);
        for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.FULL}) {
            KernelSpec k = KernelSpec.analytic(ARCH, mode, false);
            Compare.assertClose("analytic symmetric " + mode, distributed(k, X1, null, 11, "as" + mode),
                    ak.ntk(X1, mode), Tolerances.FP64);
            Compare.assertClose("analytic cross " + mode, distributed(k, X1, X2, 5, "ac" + mode), ak.ntk(X1, X2, mode),
                    Tolerances.FP64);
        }
    }

    @Test
    void withoutATileSizeTheExecutorsMemoryChoosesIt() throws IOException {
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64, Implementation.STRUCTURED, "cpu");
        int tile = DistributedKernel.defaultTile(SparkTests.spark(), NtkMode.TRACE, k.outputDim());
        DistributedKernel.Result r = DistributedKernel.builder(SparkTests.spark(), k, SparkTests.rows(dir, "xd", X1),
                SparkTests.fresh(dir, "default-tile")).compute();
        int blocks = (X1.rows() + tile - 1) / tile;
        assertEquals(blocks * (blocks + 1) / 2, r.total(), "upper-triangle tiles of " + tile + " rows");
        Compare.assertClose("default tile", r.store().toTensor(), single(Precision.FP64, X1, null, NtkMode.TRACE),
                Tolerances.FP64);
        assertThrows(InvalidInputException.class,
                () -> DistributedKernel.builder(SparkTests.spark(), k, SparkTests.rows(dir, "xd", X1), "t").tile(0));
        assertThrows(InvalidInputException.class, () -> DistributedKernel.builder(SparkTests.spark(), k,
                SparkTests.rows(dir, "xd", X1), "t").progress(null));
    }

    @Test
    void aDatasetOfVectorsGivesTheSameKernelAsTheFile() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < X1.rows(); i++) {
            rows.add(RowFactory.create(i, X1.row(i)));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType)
                .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
        // Three partitions, so blocks of 10 rows straddle them.
        Dataset<Row> ds = SparkTests.spark().createDataFrame(org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                SparkTests.spark().sparkContext()).parallelize(rows, 3), schema);
        DatasetRows staged = DatasetRows.stage(ds, "features", dir.resolve("staged").toString(), 10);
        assertEquals(37, staged.rows());
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64, Implementation.STRUCTURED, "cpu");
        DistributedKernel.Result r = DistributedKernel.builder(SparkTests.spark(), k, staged, dir.resolve("ds").toString())
                .tile(10).compute();
        Compare.assertClose("Dataset input", r.store().toTensor(), single(Precision.FP64, X1, null, NtkMode.TRACE),
                Tolerances.FP64);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DatasetRows.stage(ds, "id", dir.resolve("bad").toString(), 10));
        assertTrue(e.getMessage().contains("array<double>"), e.getMessage());
    }

    /** Throws on the first attempt of every task: Spark retries it (local[2,2]). */
    static final class FirstAttemptFails implements SerializableKernel {
        private static final long serialVersionUID = 1L;
        private final SerializableKernel inner;

        FirstAttemptFails(SerializableKernel inner) {
            this.inner = inner;
        }

        @Override
        public Tensor kernel(Matrix x, NtkMode mode) {
            inject();
            return inner.kernel(x, mode);
        }

        @Override
        public Tensor kernel(Matrix x1, Matrix x2, NtkMode mode) {
            inject();
            return inner.kernel(x1, x2, mode);
        }

        private static void inject() {
            if (TaskContext.get().attemptNumber() == 0) {
                throw new IllegalStateException("injected failure on the first attempt");
            }
        }

        @Override public NtkMode mode() { return inner.mode(); }
        @Override public int outputDim() { return inner.outputDim(); }
        @Override public int inputDim() { return inner.inputDim(); }
        @Override public boolean float32() { return inner.float32(); }
        @Override public String description() { return inner.description(); }
        @Override public org.ntk4j.KernelKind kind() { return inner.kind(); }
        @Override public void digest(java.security.MessageDigest md) { inner.digest(md); }
    }

    /** Fails every attempt of the tasks at partition ≥ 4: the job aborts partway, as if killed. */
    static final class DiesPartway implements SerializableKernel {
        private static final long serialVersionUID = 1L;
        private final SerializableKernel inner;

        DiesPartway(SerializableKernel inner) {
            this.inner = inner;
        }

        @Override
        public Tensor kernel(Matrix x, NtkMode mode) {
            inject();
            return inner.kernel(x, mode);
        }

        @Override
        public Tensor kernel(Matrix x1, Matrix x2, NtkMode mode) {
            inject();
            return inner.kernel(x1, x2, mode);
        }

        private static void inject() {
            if (TaskContext.get().partitionId() >= 4) {
                throw new IllegalStateException("injected: executor lost");
            }
        }

        @Override public NtkMode mode() { return inner.mode(); }
        @Override public int outputDim() { return inner.outputDim(); }
        @Override public int inputDim() { return inner.inputDim(); }
        @Override public boolean float32() { return inner.float32(); }
        @Override public String description() { return inner.description(); }
        @Override public org.ntk4j.KernelKind kind() { return inner.kind(); }
        @Override public void digest(java.security.MessageDigest md) { inner.digest(md); }
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheResultIsIdentical() throws IOException {
        KernelSpec k = KernelSpec.empirical(P, NtkMode.FULL, Precision.FP64, Implementation.STRUCTURED, "cpu");
        Tensor clean = distributed(k, X1, null, 13, "clean");
        Tensor retried = distributed(new FirstAttemptFails(k), X1, null, 13, "retried");
        assertArrayEquals(clean.doubles(), retried.doubles(), "bit-identical after retries");
    }

    @Test
    void aJobKilledPartwayResumesWithOnlyTheMissingTiles() throws IOException {
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64, Implementation.STRUCTURED, "cpu");
        NpyRows x = SparkTests.rows(dir, "x", X1);
        String out = dir.resolve("resume").toString();
        NtkException e = assertThrows(NtkException.class,
                () -> DistributedKernel.builder(SparkTests.spark(), new DiesPartway(k), x, out).tile(6).compute());
        assertTrue(e.getMessage().contains("Spark job failed"), e.getMessage());
        long before;
        try (var files = Files.list(Path.of(out))) {
            before = files.filter(f -> f.getFileName().toString().startsWith("tile-")).count();
        }
        DistributedKernel.Result r = DistributedKernel.builder(SparkTests.spark(), k, x, out).tile(6).compute();
        assertEquals(28, r.total(), "7 row blocks: 7·8/2 upper-triangle tiles");
        assertTrue(before >= 1 && before <= 4 && before < r.total(), "tiles finished before the failure: " + before);
        assertEquals(before, r.skipped(), "finished tiles are kept");
        assertEquals(r.total() - before, r.computed(), "only the missing tiles are computed");
        Compare.assertClose("resumed", r.store().toTensor(), single(Precision.FP64, X1, null, NtkMode.TRACE), Tolerances.FP64);
        DistributedKernel.Result again = DistributedKernel.builder(SparkTests.spark(), k, x, out).tile(6).compute();
        assertEquals(0, again.computed(), "a complete directory needs nothing");
    }

    /** Θ(X1, X1) in tiles of 10 rows into {@code out}: computed, resumed or repaired. */
    private DistributedKernel.Result tilesOfX1(KernelSpec k, String out) throws IOException {
        return DistributedKernel.builder(SparkTests.spark(), k, SparkTests.rows(dir, "x", X1), out).tile(10).compute();
    }

    /**
     * Every way a tile file can lie about what it holds: two same-size tiles swapped, values overwritten with NaN
     * (size, header and trailer intact), a truncated file, a garbage header of the right size, a directory in a tile's
     * place, and a tile of another kernel copied in. Each is named by {@link TileStore#verify}, refused by
     * {@link TileStore#read}, and recomputed by the next run, which then gives the same kernel bit for bit.
     */
    @Test
    void everyTileThatDoesNotMatchIsRecomputedNeverUsed() throws IOException {
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP32, Implementation.STRUCTURED, "cpu");
        String out = dir.resolve("hostile").toString();
        DistributedKernel.Result first = tilesOfX1(k, out);
        assertEquals(10, first.total(), "4 row blocks: 4·5/2 tiles");
        Tensor good = first.store().toTensor();
        KernelSpec otherSpec = KernelSpec.empirical(Parameters.init(ARCH, 8), NtkMode.TRACE, Precision.FP32,
                Implementation.STRUCTURED, "cpu");
        String other = dir.resolve("other").toString();
        tilesOfX1(otherSpec, other);

        Path root = Path.of(out);
        // swapped: two 10×10 tiles trade places
        Path a = root.resolve("tile-0-1.npy");
        Path b = root.resolve("tile-0-2.npy");
        Path swap = root.resolve("swap");
        Files.move(a, swap);
        Files.move(b, a);
        Files.move(swap, b);
        // NaN-filled: every value NaN, the header and the trailer kept
        Path nan = root.resolve("tile-1-1.npy");
        byte[] bytes = Files.readAllBytes(nan);
        int data = Npy.header(new int[] {10, 10}, true).length;
        for (int i = data; i < data + 400; i += 4) {
            java.nio.ByteBuffer.wrap(bytes, i, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
        }
        Files.write(nan, bytes);
        // truncated: one float short
        try (RandomAccessFile f = new RandomAccessFile(root.resolve("tile-1-2.npy").toFile(), "rw")) {
            f.setLength(f.length() - 4);
        }
        // garbage header, the file's size unchanged
        Path garbage = root.resolve("tile-1-3.npy");
        bytes = Files.readAllBytes(garbage);
        java.util.Arrays.fill(bytes, 0, 40, (byte) 'x');
        Files.write(garbage, bytes);
        // a directory (with something in it) in a tile's place
        Path d = root.resolve("tile-2-2.npy");
        Files.delete(d);
        Files.createDirectories(d.resolve("inside"));
        Files.writeString(d.resolve("inside/file"), "not a tile");
        // a tile of another kernel (other parameters), same place and shape
        Files.copy(Path.of(other, "tile-2-3.npy"), root.resolve("tile-2-3.npy"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        TileStore store = first.store();
        java.util.Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("0-1", "not (0, 1): it was moved");
        expected.put("0-2", "not (0, 2): it was moved");
        expected.put("1-1", "does not match its checksum");
        expected.put("1-2", "bytes, a complete tile");
        expected.put("1-3", "is not a complete tile");
        expected.put("2-2", "is a directory");
        expected.put("2-3", "a tile of another kernel");
        for (java.util.Map.Entry<String, String> e : expected.entrySet()) {
            String[] ij = e.getKey().split("-");
            org.ntk4j.tiling.TilePlan.Tile t = store.plan().tile(Integer.parseInt(ij[0]), Integer.parseInt(ij[1]));
            TileStore.Verdict v = store.verify(t);
            assertEquals(TileStore.Status.INVALID, v.status(), e.getKey() + ": " + v);
            assertTrue(v.problem().contains(e.getValue()) && v.problem().contains("tile-" + e.getKey() + ".npy"),
                    e.getKey() + ": " + v.problem());
            assertThrows(CorruptTileException.class, () -> store.read(t));
        }
        assertEquals(TileStore.Status.VALID, store.verify(store.plan().tile(0, 0)).status());
        assertThrows(CorruptTileException.class, store::toTensor);

        DistributedKernel.Result r = tilesOfX1(k, out);
        assertEquals(expected.size(), r.corrupt(), "every bad tile found");
        assertEquals(expected.size(), r.computed(), "and recomputed");
        assertEquals(r.total() - expected.size(), r.skipped(), "the good ones kept");
        assertArrayEquals(good.doubles(), r.store().toTensor().doubles(), "the same kernel, bit for bit");
        DistributedKernel.Result again = tilesOfX1(k, out);
        assertEquals(0, again.computed() + again.corrupt(), "a repaired directory needs nothing");
    }

    /** Every hostile .npy of core's suite, put in a tile's place, is refused with a reason and then recomputed. */
    @Test
    void hostileNpyFilesInATilesPlaceAreNeverUsed() throws IOException {
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64, Implementation.STRUCTURED, "cpu");
        String out = dir.resolve("hostile-npy").toString();
        DistributedKernel.Result first = tilesOfX1(k, out);
        TileStore store = first.store();
        org.ntk4j.tiling.TilePlan.Tile t = store.plan().tile(0, 1);
        Path tile = Path.of(out, "tile-0-1.npy");
        byte[] good = Files.readAllBytes(tile);
        int refused = 0;
        for (org.ntk4j.io.HostileFiles.Case c : new org.ntk4j.io.HostileFiles(3).generate()) {
            if (c.reader() != org.ntk4j.io.HostileFiles.Reader.NPY) {
                continue;
            }
            Files.write(tile, c.bytes());
            TileStore.Verdict v = store.verify(t);
            assertEquals(TileStore.Status.INVALID, v.status(), c.name() + ": " + v);
            assertTrue(v.problem().contains("tile-0-1.npy"), c.name() + ": " + v.problem());
            refused++;
        }
        assertTrue(refused >= 20, "hostile .npy cases: " + refused);
        Files.write(tile, java.util.Arrays.copyOf(good, good.length)); // the genuine tile again
        assertEquals(TileStore.Status.VALID, store.verify(t).status());
        Files.write(tile, new byte[0]);
        DistributedKernel.Result r = tilesOfX1(k, out);
        assertEquals(1, r.corrupt());
        assertArrayEquals(good, Files.readAllBytes(tile), "recomputed bit for bit");
    }

    @Test
    void aTileDirectoryThatIsNoPathOrUriIsOneClearError() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TileStore.requireValidDirectory("a:b"));
        assertTrue(e.getMessage().contains("'a:b' is not a valid path or URI"), e.getMessage());
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64, Implementation.STRUCTURED, "cpu");
        assertThrows(InvalidInputException.class, () -> DistributedKernel.builder(SparkTests.spark(), k,
                SparkTests.rows(dir, "x", X1), "a:b").tile(10).compute());
    }

    @Test
    void badInputGivesOneClearError() throws IOException {
        KernelSpec k = KernelSpec.empirical(P, NtkMode.TRACE, Precision.FP64, Implementation.STRUCTURED, "cpu");
        NpyRows wrongDim = SparkTests.rows(dir, "x5", NtkCase.gaussianInputs(9, 5, 3));
        InvalidInputException dims = assertThrows(InvalidInputException.class, () -> DistributedKernel.builder(
                SparkTests.spark(), k, wrongDim, dir.resolve("a").toString()).tile(4).compute());
        assertTrue(dims.getMessage().contains("5 features per example") && dims.getMessage().contains("is 6"),
                dims.getMessage());

        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> NpyRows.open(SparkTests.spark(), dir.resolve("nope.npy").toString(), "X1"));
        assertTrue(missing.getMessage().contains("cannot read X1"), missing.getMessage());
        Files.writeString(dir.resolve("text.npy"), "not an array");
        InvalidInputException garbage = assertThrows(InvalidInputException.class,
                () -> NpyRows.open(SparkTests.spark(), dir.resolve("text.npy").toString(), "X1"));
        assertTrue(garbage.getMessage().contains("not a .npy file"), garbage.getMessage());

        NpyRows x = SparkTests.rows(dir, "x", X1);
        String out = dir.resolve("taken").toString();
        DistributedKernel.builder(SparkTests.spark(), k, x, out).tile(12).compute();
        KernelSpec other = KernelSpec.empirical(Parameters.init(ARCH, 8), NtkMode.TRACE, Precision.FP64,
                Implementation.STRUCTURED, "cpu");
        KernelMismatchException taken = assertThrows(KernelMismatchException.class,
                () -> DistributedKernel.builder(SparkTests.spark(), other, x, out).tile(12).compute());
        assertTrue(taken.getMessage().contains("another kernel"), taken.getMessage());
        KernelMismatchException tiling = assertThrows(KernelMismatchException.class,
                () -> DistributedKernel.builder(SparkTests.spark(), k, x, out).tile(11).compute());
        assertTrue(tiling.getMessage().contains("tile 12 there, 11 here"), tiling.getMessage());

        Files.createDirectories(dir.resolve("stuff"));
        Files.writeString(dir.resolve("stuff/notes.txt"), "mine");
        KernelMismatchException foreign = assertThrows(KernelMismatchException.class, () -> DistributedKernel.builder(
                SparkTests.spark(), k, x, dir.resolve("stuff").toString()).tile(12).compute());
        assertTrue(foreign.getMessage().contains("not a tile directory"), foreign.getMessage());
    }
}
