/**
 * ntk4j-cuda: the CUDA backend of ntk4j. It exports no package: put it on the class path or module path next to
 * ntk4j-core and open it through the API, {@code Ntk.builder().backend("cuda").open()}, or let {@code "auto"} pick
 * it where a GPU is usable (a driver with {@code libcuda.so.1}, a device of compute capability 8.0 or newer, kernels
 * in the jar); elsewhere it reports why not and {@code "auto"} falls back to the CPU. Precisions FP32, FP64 and TF32.
 *
 * <p>Options ({@code Ntk.Builder.option(key, value)}): {@code device} = the device ordinal (default 0);
 * {@code memoryFraction} in (0, 1], the share of free device memory one call may use when no memory budget is set
 * (default 0.8); {@code gram} = {@code native} | {@code cublas}, the Gram product of the Jacobian contraction
 * (default {@code native}); {@code cublasPath} = the cuBLAS library file (default: searched);
 * {@code poison} = {@code true} | {@code false}, fill outputs with NaN before kernels write them (a testing aid).
 *
 * <p>JVM flags: {@code --enable-native-access=org.ntk4j.cuda} on the module path ({@code =ALL-UNNAMED} on the class
 * path), for cuBLAS through {@code java.lang.foreign} and JCuda's native library.
 */
module org.ntk4j.cuda {
    requires org.ntk4j.core;
    requires jcuda;

    provides org.ntk4j.spi.BackendProvider with org.ntk4j.cuda.CudaProvider;
}
