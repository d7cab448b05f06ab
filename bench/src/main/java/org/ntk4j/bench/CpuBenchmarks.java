package org.ntk4j.bench;

import java.util.concurrent.TimeUnit;
import org.ntk4j.Implementation;
import org.ntk4j.Matrix;
import org.ntk4j.NtkMode;
import org.ntk4j.Precision;
import org.ntk4j.Tensor;
import org.ntk4j.Blas;
import org.ntk4j.cpu.CpuBackend;
import org.ntk4j.model.Architecture;
import org.ntk4j.model.Parameters;
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
import org.openjdk.jmh.annotations.TearDown;

/**
 * The CPU backend's operations at the peer configuration (d 64, hidden 512·512, relu, O 10, N 128) and a small one:
 * forward, Jacobian (N = 8 at peer size: 80 × 301 066 doubles), the Gram product of one Jacobian chunk in both
 * shapes the Jacobian contraction uses, and the NTK in TRACE mode by both implementations. Average time per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
@State(Scope.Benchmark)
public class CpuBenchmarks {

    @Param({"peer", "small"})
    public String config;

    @Param({"fp32"})
    public String precision;

    @Param({"auto"})
    public String blas;

    private CpuBackend backend;
    private Parameters params;
    private Matrix x;
    private Matrix xJacobian;
    private Matrix chunkFull;
    private Matrix chunkTrace;

    @Setup(Level.Trial)
    public void setUp() {
        Architecture arch = BenchModels.architecture(config);
        params = BenchModels.parameters(arch);
        int n = BenchModels.examples(config);
        x = BenchModels.inputs(n, arch.inputDim(), 1);
        xJacobian = config.equals("peer") ? x.rowRange(0, 8) : x;
        backend = CpuBackend.builder().precision(Precision.parse(precision)).blas(Blas.parse(blas))
                .build();
        // one Jacobian chunk as the contraction sees it: FULL view (N·O) × C and TRACE view N × (O·C), C = 8192
        int o = arch.outputDim();
        int c = config.equals("peer") ? CpuBackend.DEFAULT_MAX_PARAMETER_CHUNK : 512;
        Matrix chunk = BenchModels.inputs(n * o, c, 3);
        chunkFull = chunk;
        chunkTrace = new Matrix(n, o * c, chunk.data());
        System.out.println("# " + backend.description() + ", P = " + arch.parameterCount());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.println("# last call: " + backend.lastProfile());
        backend.close();
    }

    @Benchmark
    public Matrix forward() {
        return backend.forward(params, x);
    }

    @Benchmark
    public Matrix jacobian() {
        return backend.jacobian(params, xJacobian);
    }

    /** Gram of one Jacobian chunk, FULL shape: (N·O) × C, symmetric rank-k update. */
    @Benchmark
    public Matrix gramFullChunk() {
        return backend.gram(chunkFull, chunkFull);
    }

    /** Gram of one Jacobian chunk, TRACE shape: N × (O·C). */
    @Benchmark
    public Matrix gramTraceChunk() {
        return backend.gram(chunkTrace, chunkTrace);
    }

    @Benchmark
    public Tensor ntkStructuredTrace() {
        return backend.kernel(params, x, NtkMode.TRACE, Implementation.STRUCTURED);
    }

    @Benchmark
    public Tensor ntkJacobianContractionTrace() {
        return backend.kernel(params, x, NtkMode.TRACE, Implementation.JACOBIAN_CONTRACTION);
    }
}
