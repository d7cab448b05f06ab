/**
 * The CUDA backend: hand-written kernels ({@code cuda/*.cu}, one fatbin packaged as the resource
 * {@code org/ntk4j/cuda/ntk4j_kernels.fatbin}) driven through JCuda's driver API behind the small {@link
 * org.ntk4j.cuda.CudaDriver} interface, and cuBLAS through {@code java.lang.foreign} ({@link org.ntk4j.cuda.Cublas}).
 *
 * <p>{@link org.ntk4j.cuda.CudaProvider} reports the backend unavailable, with a reason and without touching native
 * code that could end the process, when the jar was built without nvcc, when {@code libcuda.so.1} is missing, when no
 * device exists, or when the device is older than compute capability 8.0. {@link org.ntk4j.cuda.CudaBackend}
 * implements {@link org.ntk4j.Backend}; {@link org.ntk4j.cuda.CudaBenchmark} times the kernels on a GPU host.
 */
package org.ntk4j.cuda;
