/**
 * ntk4j-cuda: the CUDA backend ({@code Ntk.builder().backend("cuda")}, and what {@code "auto"} picks where a GPU is
 * usable). It exports nothing: everything is reached through ntk4j-core's API.
 */
module org.ntk4j.cuda {
    requires org.ntk4j.core;
    requires jcuda;

    provides org.ntk4j.spi.BackendProvider with org.ntk4j.cuda.CudaProvider;
}
