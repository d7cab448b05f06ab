/**
 * ntk4j-core: empirical Neural Tangent Kernels of dense networks on the CPU (and any backend a provider adds), the
 * fp64 reference, the infinite-width kernels, the training dynamics and NumPy file I/O.
 *
 * <p>The API is {@link org.ntk4j.Ntk} and the exported packages below; {@code org.ntk4j.cpu} and
 * {@code org.ntk4j.reference} are implementations reached through {@code Ntk.builder().backend("cpu" | "reference")}.
 * The Vector API ({@code jdk.incubator.vector}) is optional: without {@code --add-modules jdk.incubator.vector} the
 * CPU backend uses plain loops and says so once.
 */
@SuppressWarnings("module") // the qualified export names a module that depends on this one (not visible here)
module org.ntk4j.core {
    requires dev.ludovic.netlib.blas;
    requires dev.ludovic.netlib.lapack;
    requires org.apache.commons.numbers.gamma;
    requires arpack.combined.all; // org.netlib.util.intW, LAPACK's output arguments (no module name of its own)
    requires static jdk.incubator.vector;

    exports org.ntk4j;
    exports org.ntk4j.spi;
    exports org.ntk4j.model;
    exports org.ntk4j.analytic;
    exports org.ntk4j.dynamics;
    exports org.ntk4j.io;
    // BlasSelection (which BLAS/LAPACK this process uses) for the demo's GEMM ceiling
    exports org.ntk4j.cpu to org.ntk4j.experiments;

    uses org.ntk4j.spi.BackendProvider;

    provides org.ntk4j.spi.BackendProvider with org.ntk4j.cpu.CpuProvider, org.ntk4j.reference.ReferenceProvider;
}
