package org.ntk4j.bench;

import java.util.concurrent.TimeUnit;
import org.ntk4j.Matrix;
import org.ntk4j.analytic.AnalyticKernel;
import org.ntk4j.analytic.DualActivation;
import org.ntk4j.model.Activation;
import org.ntk4j.model.Architecture;
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
 * The infinite-width kernel Θ(X, X) (NNGP and NTK, fp64) of d = 64 → 512 → 512 → 512 → 10 (three hidden layers,
 * ntk parameterization, σ_w = 1, the CLI's defaults) on N standard-normal inputs, one call per operation, all cores.
 * Per entry and layer: the time over N²/2 · 3 (the symmetric kernel computes one triangle).
 *
 * <ul>
 *   <li>{@code kernel}: the library's evaluator of each activation (closed forms for relu, erf, gelu; the Hermite
 *       series for tanh; "custom" is tanh given as two lambdas through {@code DualActivation.numerical});</li>
 *   <li>{@code reference}: the graded quadrature the library used before for tanh and gelu (kept as the accurate
 *       reference), and "gh25": a product Gauss–Hermite rule of 25 points per direction, the method and the starting
 *       degree of neural-tangents' {@code ElementwiseNumerical}, for tanh; at small N, since each pair costs ~1 ms
 *       (graded) or ~25 µs (gh25).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class AnalyticBenchmarks {

    /** Architecture of the benchmarks: the CLI's defaults with three hidden layers of 512. */
    static Architecture architecture(Activation activation) {
        return Architecture.builder(64).hidden(512, 512, 512).output(10).activation(activation).build();
    }

    @State(Scope.Benchmark)
    public static class Library {
        @Param({"relu", "erf", "gelu", "tanh", "custom"})
        public String activation;

        @Param({"2000"})
        public int n;

        AnalyticKernel kernel;
        Matrix x;

        @Setup(Level.Trial)
        public void setUp() {
            boolean custom = activation.equals("custom");
            Architecture arch = architecture(custom ? Activation.TANH : Activation.parse(activation));
            kernel = custom
                    ? AnalyticKernel.of(arch, DualActivation.numerical(Math::tanh, z -> 1 - Math.tanh(z) * Math.tanh(z)))
                    : AnalyticKernel.of(arch);
            x = BenchModels.inputs(n, arch.inputDim(), 1);
        }
    }

    @State(Scope.Benchmark)
    public static class Reference {
        @Param({"graded-tanh", "graded-gelu", "gh25-tanh"})
        public String method;

        @Param({"48"})
        public int n;

        AnalyticKernel kernel;
        Matrix x;

        @Setup(Level.Trial)
        public void setUp() {
            Architecture arch = architecture(method.endsWith("gelu") ? Activation.GELU : Activation.TANH);
            DualActivation dual = method.startsWith("graded")
                    ? DualActivation.graded(arch.activation(), DualActivation.DEFAULT_ORDER)
                    : DualActivation.gaussHermite(arch.activation(), 25);
            kernel = AnalyticKernel.of(arch, dual);
            x = BenchModels.inputs(n, arch.inputDim(), 1);
        }
    }

    @Benchmark
    public AnalyticKernel.Kernels kernel(Library s) {
        return s.kernel.compute(s.x);
    }

    @Benchmark
    public AnalyticKernel.Kernels reference(Reference s) {
        return s.kernel.compute(s.x);
    }
}
