package org.ntk4j.bench;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The ceiling for GEMM-shaped work: netlib's sgemm at n³ through the same BLAS the backend loads (the system
 * OpenBLAS through JNI). GFLOP/s = 2n³ / time. Also runnable as a main: {@code java -cp benchmarks.jar
 * org.ntk4j.bench.SgemmCeiling [n] [repeats]} prints the best and median rate.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Benchmark)
public class SgemmCeiling {

    @Param({"2048"})
    public int n;

    private BLAS blas;
    private float[] a;
    private float[] b;
    private float[] c;

    @Setup(Level.Trial)
    public void setUp() {
        blas = NativeBLAS.getInstance();
        a = random(n * n, 1);
        b = random(n * n, 2);
        c = new float[n * n];
    }

    @Benchmark
    public float[] sgemm() {
        blas.sgemm("N", "N", n, n, n, 1f, a, n, b, n, 0f, c, n);
        return c;
    }

    private static float[] random(int len, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[len];
        for (int i = 0; i < len; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** A ready instance at n³, warmed up by two calls. */
    public static SgemmCeiling prepared(int n) {
        SgemmCeiling s = new SgemmCeiling();
        s.n = n;
        s.setUp();
        s.sgemm();
        s.sgemm();
        return s;
    }

    /** GFLOP/s of one call. */
    public double rate() {
        long t = System.nanoTime();
        sgemm();
        return 2.0 * n * n * n / (System.nanoTime() - t);
    }

    /** Best and median GFLOP/s of {@code repeats} sgemm calls after two warm-up calls. */
    public static double[] measure(int n, int repeats) {
        SgemmCeiling s = prepared(n);
        double[] rates = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            rates[i] = s.rate();
        }
        java.util.Arrays.sort(rates);
        return new double[] {rates[repeats - 1], rates[repeats / 2]};
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        double[] r = measure(n, repeats);
        System.out.printf("sgemm %d³ through %s: best %.1f GFLOP/s, median %.1f GFLOP/s%n", n,
                NativeBLAS.getInstance().getClass().getSimpleName(), r[0], r[1]);
    }
}
