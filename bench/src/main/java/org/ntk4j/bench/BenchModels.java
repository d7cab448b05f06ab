package org.ntk4j.bench;

import java.util.SplittableRandom;
import org.ntk4j.Matrix;
import org.ntk4j.Tensor;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;

/** The benchmark configurations, shared by the JMH benchmarks and the peer comparison. */
public final class BenchModels {
    private BenchModels() {
    }

    /**
     * "peer": d = 64, two hidden layers of 512, relu, O = 10, N = 128 (P = 301 066) — the configuration the PyTorch
     * comparison uses; "small": d = 16, one hidden layer of 64, O = 3, N = 32.
     */
    public static Architecture architecture(String config) {
        return switch (config) {
            case "peer" -> Architecture.builder(64).hidden(512, 512).output(10).build();
            case "small" -> Architecture.builder(16).hidden(64).output(3).build();
            default -> throw new IllegalArgumentException("unknown config " + config + " (peer or small)");
        };
    }

    public static int examples(String config) {
        return config.equals("peer") ? 128 : 32;
    }

    public static Parameters parameters(Architecture arch) {
        return Parameters.init(arch, 42);
    }

    /** Standard-normal inputs from a fixed seed. */
    public static Matrix inputs(int n, int d, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return new Matrix(n, d, v);
    }

    /** ‖a − b‖_F / ‖b‖_F. */
    public static double relativeError(Tensor a, Tensor b) {
        return a.relativeDistance(b);
    }
}
