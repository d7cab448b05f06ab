package org.ntk4j.cuda;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.io.Npy;
import org.ntk4j.io.ParametersIO;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameterization;
import org.ntk4j.model.Parameters;

/**
 * GPU benchmark harness (run on a CUDA host):
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp 'lib/*' org.ntk4j.cuda.CudaBenchmark
 *        [--gram M,N,K]... [--ntk N,d,width,depth,O] [--reps R] [--peer-dir DIR] [--peer-ntk N,d,width,depth,O]
 * </pre>
 * Times, with CUDA events after a warm-up (median of R runs), the Gram kernel (fp32, TF32, fp64) against cuBLAS
 * (sgemm, GemmEx FAST_TF32, dgemm) on device-generated data, then the NTK through the backend end to end (wall clock,
 * transfers included) for the structured and Jacobian-contraction implementations (the latter only where it finishes
 * in seconds). With {@code --peer-dir} it also times a smaller network (default 64 examples, 32-512-512-5) and writes
 * it (params.npz, x.npy, meta.txt) with ntk4j's kernels (theta_full_fp64.npy, theta_trace_fp32.npy, …) for the
 * PyTorch/JAX peer scripts to recompute, time and compare. {@code --extract-fatbin FILE} only writes the packaged
 * kernels to FILE (for the native harness) and exits. Each result line starts with
 * {@code RESULT} for the summary table.
 */
public final class CudaBenchmark {
    private CudaBenchmark() {
    }

    private record Shape(int m, int n, long k) {
    }

    public static void main(String[] args) throws IOException {
        List<Shape> grams = new ArrayList<>();
        int[] net = {128, 128, 2048, 3, 10};
        int[] peerNet = {64, 32, 512, 2, 5};
        int reps = 5;
        Path peerDir = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gram" -> {
                    String[] s = args[++i].split(",");
                    grams.add(new Shape(Integer.parseInt(s[0]), Integer.parseInt(s[1]), Long.parseLong(s[2])));
                }
                case "--ntk" -> net = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--peer-dir" -> peerDir = Path.of(args[++i]);
                case "--extract-fatbin" -> {
                    byte[] image = CudaProbe.readImage(CudaProbe.FATBIN);
                    if (image == null) {
                        System.err.println("built without CUDA kernels: no " + CudaProbe.FATBIN + " on the class path");
                        System.exit(3);
                    }
                    Files.write(Path.of(args[++i]), image);
                    return;
                }
                case "--peer-ntk" -> peerNet = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> {
                    System.err.println("usage: CudaBenchmark [--gram M,N,K]... [--ntk N,d,width,depth,O] [--reps R]"
                            + " [--peer-dir DIR] [--peer-ntk N,d,width,depth,O]");
                    System.exit(2);
                }
            }
        }
        if (grams.isEmpty()) {
            grams.add(new Shape(4096, 4096, 1L << 18));
            grams.add(new Shape(256, 256, 1L << 22));
        }
        String why = CudaProbe.get().reason();
        if (why != null) {
            System.out.println("RESULT cuda unavailable: " + why);
            System.exit(3);
        }
        PrintStream out = System.out;
        try (CudaBackend f32 = new CudaBackend(Precision.FP32)) {
            out.println("device: " + f32.device().describe() + ", " + f32.device().driver().description());
            Cublas cublas = null;
            try {
                cublas = Cublas.open(f32);
                out.println("cuBLAS: " + cublas.path());
            } catch (RuntimeException e) {
                out.println("cuBLAS unavailable: " + e.getMessage());
            }
            for (Shape s : grams) {
                gram(out, f32.device(), cublas, s, KernelLaunches.Elem.F32, false, reps);
                gram(out, f32.device(), cublas, s, KernelLaunches.Elem.F32, true, reps);
                gram(out, f32.device(), cublas, s, KernelLaunches.Elem.F64, false, reps);
            }
            if (cublas != null) {
                cublas.close();
            }
        }
        ntk(out, "main", net, reps, null);
        if (peerDir != null) {
            ntk(out, "peer", peerNet, reps, peerDir);
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static void gram(PrintStream out, CudaDevice dev, Cublas cublas, Shape s, KernelLaunches.Elem e, boolean tf32,
                             int reps) {
        String kind = tf32 ? "tf32" : e.suffix;
        long es = e.bytes;
        long need = (s.m() + s.n()) * s.k() * es + 2L * s.m() * s.n() * 8;
        long free = dev.memoryInfo()[0];
        if (need > free * 0.9) {
            out.printf(Locale.ROOT, "RESULT gram %s %dx%dx%d skipped: needs %.1f GiB, %.1f GiB free%n", kind, s.m(), s.n(),
                    s.k(), need / 1073741824.0, free / 1073741824.0);
            return;
        }
        KernelLaunches k = new KernelLaunches(dev);
        int bm = tf32 ? KernelLaunches.TF32_BM : e.bm;
        int bn = tf32 ? KernelLaunches.TF32_BN : e.bn;
        int splits = k.chooseSplits(s.m(), s.n(), 1, s.k(), bm, bn, 256L << 20, false);
        long wsElems = KernelLaunches.workspaceElements(e == KernelLaunches.Elem.F32, s.k(), splits, 1, s.m(), s.n());
        try (DeviceBuffer a = dev.allocate((long) s.m() * s.k(), e.bytes);
             DeviceBuffer b = dev.allocate((long) s.n() * s.k(), e.bytes);
             DeviceBuffer c = dev.allocate((long) s.m() * s.n(), 8);
             DeviceBuffer c2 = dev.allocate((long) s.m() * s.n(), e.bytes);
             DeviceBuffer ws = dev.allocate(Math.max(1, wsElems), 8);
             CudaDevice.Timer t = dev.timer()) {
            k.fillRandom(e, a.address(), a.elements(), 11, -1, 1);
            k.fillRandom(e, b.address(), b.elements(), 12, -1, 1);
            double flops = 2.0 * s.m() * s.n() * s.k();
            Runnable ours = () -> k.gram(e, tf32, s.m(), s.n(), s.k(), a.address(), s.k(), 0, b.address(), s.k(), 0,
                    c.address(), s.n(), 0, 1, 0, 1, splits, ws.address(), false);
            double ms = time(dev, t, ours, reps);
            double base = Double.NaN;
            if (cublas != null && s.k() <= Integer.MAX_VALUE) {
                Runnable cb = () -> cublas.gemmNT(dev, e, tf32, s.m(), s.n(), s.k(), a.address(), s.k(), b.address(),
                        s.k(), c2.address(), s.n(), 1, 0);
                base = time(dev, t, cb, reps);
            }
            // Agreement with cuBLAS on a sample of rows.
            int rows = Math.min(s.m(), 16);
            double[] x = new double[rows * s.n()];
            double[] y = new double[rows * s.n()];
            dev.download(c, 0, x, 0, x.length);
            String agree = "";
            if (!Double.isNaN(base)) {
                dev.download(c2, 0, y, 0, y.length);
                double num = 0;
                double den = 0;
                for (int i = 0; i < x.length; i++) {
                    num += (x[i] - y[i]) * (x[i] - y[i]);
                    den += y[i] * y[i];
                }
                agree = String.format(Locale.ROOT, ", rel diff vs cuBLAS %.1e", Math.sqrt(num / Math.max(den, 1e-300)));
            }
            out.printf(Locale.ROOT, "RESULT gram %-4s %5dx%5dx%-9d splits %2d  ours %9.3f ms %7.2f TFLOP/s  cuBLAS %9.3f ms"
                            + " %7.2f TFLOP/s  ours/cuBLAS %5.1f%%%s%n", kind, s.m(), s.n(), s.k(), splits, ms,
                    flops / ms / 1e9, base, flops / base / 1e9, 100 * base / ms, agree);
        }
    }

    private static double time(CudaDevice dev, CudaDevice.Timer t, Runnable r, int reps) {
        r.run();
        dev.synchronize();
        double[] v = new double[Math.max(1, reps)];
        for (int i = 0; i < v.length; i++) {
            t.start();
            r.run();
            v[i] = t.stopMillis();
        }
        return median(v);
    }

    private static Architecture architecture(int[] cfg) {
        int[] widths = new int[cfg[3] + 2];
        widths[0] = cfg[1];
        Arrays.fill(widths, 1, cfg[3] + 1, cfg[2]);
        widths[cfg[3] + 1] = cfg[4];
        return Architecture.widths(widths)
                .activation(Activation.RELU).parameterization(Parameterization.NTK).sigmaW(1.4).sigmaB(0.1).build();
    }

    private static Matrix inputs(int n, int d, long seed) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        double[] xv = new double[n * d];
        for (int i = 0; i < xv.length; i++) {
            xv[i] = rng.nextGaussian();
        }
        return new Matrix(n, d, xv);
    }

    /** Jacobian contraction is timed only below this many flops (2·(N·O)²·P): beyond, it runs for minutes. */
    private static final double JC_FLOP_LIMIT = 5e14;

    private static void ntk(PrintStream out, String tag, int[] cfg, int reps, Path peerDir) throws IOException {
        Architecture arch = architecture(cfg);
        int n = cfg[0];
        int o = arch.outputDim();
        Parameters p = Parameters.init(arch, 42);
        Matrix x = inputs(n, arch.inputDim(), 7);
        double jcFlops = 2.0 * n * o * (double) n * o * arch.parameterCount();
        out.printf(Locale.ROOT, "%s network: %s, N=%d, P=%d%n", tag, arch, n, arch.parameterCount());
        if (peerDir != null) {
            Files.createDirectories(peerDir);
            ParametersIO.save(p, peerDir.resolve("params.npz"));
            Npy.write(peerDir.resolve("x.npy"), x.asTensor());
            Files.writeString(peerDir.resolve("meta.txt"), "widths=" + Arrays.toString(arch.widths())
                    .replaceAll("[\\[\\] ]", "") + "\nactivation=relu\nparameterization=ntk\nsigma_w=1.4\nsigma_b=0.1\n"
                    + "bias=1\n", StandardCharsets.UTF_8);
        }
        for (Precision prec : new Precision[] {Precision.FP32, Precision.FP64, Precision.TF32}) {
            try (CudaBackend b = new CudaBackend(prec)) {
                for (NtkMode mode : new NtkMode[] {NtkMode.TRACE, NtkMode.FULL}) {
                    for (Implementation impl : new Implementation[] {Implementation.STRUCTURED,
                            Implementation.JACOBIAN_CONTRACTION}) {
                        if (prec == Precision.TF32 && impl == Implementation.STRUCTURED) {
                            continue;
                        }
                        String label = String.format(Locale.ROOT, "%s ntk %-5s %-6s %-21s", tag,
                                prec.name().toLowerCase(), mode.name().toLowerCase(), impl.name().toLowerCase());
                        if (impl == Implementation.JACOBIAN_CONTRACTION && jcFlops > JC_FLOP_LIMIT) {
                            out.printf(Locale.ROOT, "RESULT %s skipped: %.1e flops%n", label, jcFlops);
                            continue;
                        }
                        try {
                            Tensor th = b.kernel(p, x, mode, impl);
                            double[] v = new double[Math.max(1, reps)];
                            for (int r = 0; r < v.length; r++) {
                                long t0 = System.nanoTime();
                                th = b.kernel(p, x, mode, impl);
                                v[r] = (System.nanoTime() - t0) / 1e6;
                            }
                            out.printf(Locale.ROOT, "RESULT %s %10.2f ms end-to-end (K(x,x), transfers included)%n",
                                    label, median(v));
                            if (peerDir != null && (impl == Implementation.STRUCTURED || prec == Precision.TF32)) {
                                Npy.write(peerDir.resolve("theta_" + mode.name().toLowerCase() + "_"
                                        + prec.name().toLowerCase() + ".npy"), th);
                            }
                        } catch (RuntimeException e) {
                            out.printf(Locale.ROOT, "RESULT %s failed: %s%n", label, e.getMessage());
                        }
                    }
                }
            }
        }
    }
}
