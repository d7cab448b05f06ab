package org.ntk4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.KernelKind;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.internal.io.OutputFile;
import org.ntk4j.model.Parameters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ntk kernel}: Θ(X, X-test) of a network (or its infinite-width limit) into a .npy file. */
@Command(name = "kernel", mixinStandardHelpOptions = true, sortOptions = false,
        header = "The NTK (or NNGP) of a network, or its infinite-width limit, as a .npy file.",
        description = {"Compute the NTK Θ(X, X-test) (X-test defaults to X) and write it as .npy; with --kind nngp"
                + " the NNGP instead: the products of the network's outputs f_a(x)·f_b(x'), or at infinite width their"
                + " covariance over initialisations Σ ⊗ I_O.",
                "Shapes: full (N, N_test, O, O), trace (N, N_test) = mean over outputs of Θ_aa, diagonal (N, N_test, O).",
                "Kernels larger than --memory are computed in tiles and streamed into the file (upper-triangle tiles"
                        + " only when X-test is X), with a progress bar; the file appears under its name only when complete."},
        footer = {"", "Examples:",
                "  ntk kernel --x X.npy --arch 64,512,512,10 --seed 1 --out K.npy",
                "  ntk kernel --x A.npy --x-test B.npy --weights P.npz --mode full --out K.npy",
                "  ntk kernel --x X.npy --arch 64,1,10 --impl analytic --out Kinf.npy",
                "  ntk kernel --x X.npy --arch 64,1,10 --impl analytic --kind nngp --out Sinf.npy"})
final class KernelCommand extends BaseCommand {
    @Option(names = "--x", required = true, paramLabel = "X.npy", description = "Inputs (N, d), float32 or float64.")
    Path x1File;

    @Option(names = "--x-test", paramLabel = "XT.npy",
            description = "Second inputs (N_test, d), the kernel's columns; default: X (symmetric kernel).")
    Path x2File;

    @Option(names = "--out", required = true, paramLabel = "K.npy", description = "Output .npy file.")
    Path outFile;

    @Option(names = "--mode", defaultValue = "trace", paramLabel = "full|trace|diagonal",
            converter = Converters.ModeConverter.class, description = "Which output pairs: full (all O×O), trace (the"
                    + " mean of Θ_aa) or diagonal (each Θ_aa) (default: ${DEFAULT-VALUE}).")
    NtkMode mode;

    @Option(names = "--kind", defaultValue = "ntk", paramLabel = "ntk|nngp", converter = Converters.KindConverter.class,
            description = "ntk: the tangent kernel; nngp: the output covariance (default: ${DEFAULT-VALUE}).")
    KernelKind kind;

    @Option(names = "--memory", defaultValue = "2g", paramLabel = "SIZE", converter = Converters.ByteSizeConverter.class,
            description = {"Memory budget for inputs, tiles and working memory, e.g. 512m, 8g (default: 2g): it bounds the Java"
                    + " heap this command uses. The ntk launcher sets the JVM's heap from it (-Xmx = 1.25 × SIZE + 64m)"
                    + " unless NTK_JAVA_OPTS sets -Xmx. The process's resident size adds the JVM itself (about"
                    + " 80–150 MB) and the pages of the memory-mapped output window (≤ SIZE/8, at most 256m), which"
                    + " the OS can reclaim."})
    long memory;

    @Mixin
    ModelOptions model;

    @Mixin
    ComputeOptions compute;

    @Mixin
    SparkOptions spark;

    /** Values one Java array holds: the limit of one tile, and of one pair of examples. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    @Override
    protected int execute() throws Exception {
        long start = System.nanoTime();
        Inputs.requireDistinct(Inputs.Role.in("--x", x1File), Inputs.Role.in("--x-test", x2File),
                Inputs.Role.in("--weights", model.weights), Inputs.Role.out("--out", outFile),
                Inputs.Role.out("--save-weights", model.saveWeights));
        Inputs.requireNpy("--out", outFile);
        Inputs.requireWritable(outFile);
        Parameters params = model.parameters();
        spark.validate();
        if (spark.enabled()) { // the executors read and check the inputs, a block at a time
            model.requireStoredLayout();
            boolean fp32 = compute.precision != org.ntk4j.Precision.FP64;
            requireRepresentableMapped(fp32, x1File);
            requireRepresentableMapped(fp32, x2File);
            return onSpark(params, x2File == null || OutputFile.sameFile(x1File, x2File), start);
        }
        Matrix x1 = model.examples(x1File, "X");
        boolean symmetric = x2File == null || OutputFile.sameFile(x1File, x2File);
        Matrix x2 = symmetric ? null : model.examples(x2File, "X-test");
        boolean fp32 = compute.precision != org.ntk4j.Precision.FP64;
        Overflow.requireRepresentable(fp32, x1File.toString(), x1);
        if (x2 != null) {
            Overflow.requireRepresentable(fp32, x2File.toString(), x2);
        }
        int n1 = x1.rows();
        int n2 = symmetric ? n1 : x2.rows();
        int o = params.architecture().outputDim();
        long perPair = mode == NtkMode.FULL ? (long) o * o : mode.valuesPerPair(o);
        if (perPair > MAX_ARRAY) {
            throw new UsageError("--mode " + mode.name().toLowerCase(Locale.ROOT) + " with " + o + " outputs has "
                    + perPair + " values per pair of examples, more than one Java array holds; tiles cannot split a"
                    + " pair: use --mode diagonal or trace");
        }
        long budget = effectiveBudget();
        long fixed = 2L * 8 * ((long) x1.data().length + (x2 == null ? 0 : x2.data().length) + params.size());
        int[] shape = mode.shape(n1, n2, o);
        boolean float32 = compute.float32Output();
        Overflow.Advice advice = Overflow.advice(fp32, Overflow.largest(x1, x2),
                params.architecture());
        // The output is claimed (and its space reserved) before the work: a second run writing the same file is
        // refused now, and a full disk shows now rather than hours later.
        try (OutputFile out = OutputFile.open(outFile, MappedNpyWriter.fileSize(shape, float32));
             KernelSource source = compute.kernelSource(params, kind)) {
            TiledKernel.Plan plan = TiledKernel.plan(n1, n2, symmetric, mode.valuesPerPair(o),
                    source.workingBytesPerExample(), source.workingBytesPerPair(), budget, fixed);
            if (!plan.inMemory()) {
                if (!out.isRegularFile()) {
                    throw new UsageError("--out " + outFile + " is not a regular file, and a kernel larger than --memory"
                            + " is written in tiles through a memory map, which needs one; write to a file");
                }
                info(String.format(Locale.ROOT, "kernel of %s values does not fit %s: %d tiles of %d×%d rows",
                        Arrays.toString(shape), Converters.formatBytes(budget), plan.tileCount(), plan.layout().rows(),
                        plan.layout().cols()));
            }
            TiledKernel.write(source, x1, x2, mode, plan, out, float32, quiet ? null : err(), advice);
            out.commit();
            info(String.format(Locale.ROOT, "wrote %s: %s %s %s kernel in %.2f s [%s]", outFile,
                    float32 ? "float32" : "float64", shapeString(shape), mode.name().toLowerCase(Locale.ROOT),
                    (System.nanoTime() - start) / 1e9, source.description()));
        }
        return 0;
    }

    /**
     * The overflow check of the in-process path, on the file mapped in place (one pass, no copy): the executors'
     * tiles would otherwise report the overflow as a NaN with advice that cannot help. A file that cannot be mapped
     * is left to the executors, which name what is wrong with it.
     */
    private static void requireRepresentableMapped(boolean fp32, java.nio.file.Path file) {
        if (file == null) {
            return;
        }
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Overflow.requireRepresentable(fp32, file.toString(), org.ntk4j.io.Npy.map(file, arena));
        } catch (java.io.IOException | RuntimeException e) {
            if (e instanceof UsageError u) {
                throw u;
            }
        }
    }

    /** The same file, from tiles computed by Spark tasks (kept in --tiles, or OUT.tiles until the file is written). */
    private int onSpark(Parameters params, boolean symmetric, long start) throws Exception {
        Path tiles = spark.tiles != null ? null : outFile.resolveSibling(outFile.getFileName() + ".tiles");
        try (OutputFile out = OutputFile.open(outFile)) {
            if (!out.isRegularFile()) {
                throw new UsageError("--out " + outFile + " is not a regular file; tiles are assembled through a memory"
                        + " map, which needs one");
            }
            String master;
            try {
                master = SparkRun.kernel(spark.master, spark.tile, SparkRun.spec(compute, params, kind, mode), x1File,
                        symmetric ? null : x2File, tiles != null ? tiles : Path.of(spark.tiles), spark.tiles, out,
                        quiet ? null : err(), this::info, Overflow.advice(compute.precision != org.ntk4j.Precision.FP64,
                                Double.NaN, params.architecture()));
            } catch (IOException | RuntimeException e) {
                if (tiles != null && String.valueOf(e.getMessage()).contains("No space left on device")) {
                    SparkRun.deleteTree(tiles); // nothing left behind on a full disk (a rerun could not resume anyway)
                }
                throw e;
            }
            out.commit();
            if (tiles != null) {
                SparkRun.deleteTree(tiles);
            }
            info(String.format(Locale.ROOT, "wrote %s: %s %s kernel in %.2f s [spark %s]", outFile,
                    compute.float32Output() ? "float32" : "float64", mode.name().toLowerCase(Locale.ROOT),
                    (System.nanoTime() - start) / 1e9, master));
        }
        return 0;
    }

    private long effectiveBudget() {
        long heap = Runtime.getRuntime().maxMemory();
        long usable = heap == Long.MAX_VALUE ? memory : (long) (heap * 0.8);
        if (memory > usable) {
            info("note: --memory " + Converters.formatBytes(memory) + " is more than this JVM may use; planning for "
                    + Converters.formatBytes(usable) + " (raise it with NTK_JAVA_OPTS=-Xmx…)");
            return usable;
        }
        return memory;
    }

    static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(')').toString();
    }
}
