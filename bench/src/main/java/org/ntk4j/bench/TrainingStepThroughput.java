package org.ntk4j.bench;

import java.util.Arrays;
import java.util.Locale;
import org.ntk4j.LossGradient;
import org.ntk4j.Matrix;
import org.ntk4j.Precision;
import org.ntk4j.cpu.CpuBackend;
import org.ntk4j.cpu.CpuProfile;
import org.ntk4j.data.Dataset;
import org.ntk4j.data.Digits;
import org.ntk4j.experiments.LazyTrainingDemo;
import org.ntk4j.experiments.SweepConfig;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/**
 * Throughput of the demo's full-batch gradient step (CPU backend, fp32, 256 digits, two relu hidden layers of each
 * width, 10 outputs) against the sgemm ceiling in the same process: the sgemm of the step's dominant GEMM shape
 * (m = N, n = k = width), timed alternately with the steps so both see the same machine load (the cores may be
 * shared), and the square 2048³ one once before. Reports the step's wall-clock GFLOP/s (nominal
 * 6·N·Σ n_l·n_{l+1}) and the GFLOP/s of its GEMM phases (the backend's profile: useful flops over time inside
 * BLAS), each as a fraction of the median same-shape sgemm. Usage:
 * {@code java -cp bench/target/benchmarks.jar org.ntk4j.bench.TrainingStepThroughput
 * [steps] [width…]}.
 */
public final class TrainingStepThroughput {
    private TrainingStepThroughput() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int[] widths = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {512, 1024, 2048};
        Dataset.Split split = Digits.load().split(256, 0, 1);
        Matrix x = split.train().x();
        Matrix y = split.train().y();
        System.out.println("| width | P | step ms (median) | step GFLOP/s | GEMM-phase GFLOP/s | BLAS share of step |"
                + " sgemm same shape (median) | sgemm 2048³ | step / same-shape sgemm | GEMM phases / same-shape sgemm |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        try (CpuBackend b = CpuBackend.open(Precision.FP32)) {
            for (int w : widths) {
                Architecture arch = SweepConfig.defaults(w).architecture(w, x.cols(), y.cols());
                Parameters p = Parameters.init(arch, 0);
                double square = SgemmCeiling.measure(2048, 5)[0];
                double[] sameRates = new double[steps];
                for (int i = 0; i < 3; i++) {
                    b.mseLossGradient(p, x, y);
                }
                double[] ms = new double[steps];
                double[] blas = new double[steps];
                double[] share = new double[steps];
                for (int i = 0; i < steps; i++) {
                    sameRates[i] = LazyTrainingDemo.gemmGflops(false, x.rows(), w, w);
                    long t0 = System.nanoTime();
                    LossGradient g = b.mseLossGradient(p, x, y);
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                    CpuProfile prof = b.lastProfile();
                    blas[i] = prof.blasGflops();
                    share[i] = (double) prof.blasNanos() / prof.wallNanos();
                    p.addScaled(-1e-3, g.gradient());
                }
                double flops = 6.0 * x.rows() * arch.forwardMultiplyAdds();
                double med = median(ms);
                double same = median(sameRates);
                System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.1f | %.0f%% | %.1f | %.1f | %.0f%% | %.0f%% |%n",
                        w, arch.parameterCount(), med, flops / med / 1e6, median(blas), 100 * median(share), same,
                        square, 100 * flops / med / 1e6 / same, 100 * median(blas) / same);
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
