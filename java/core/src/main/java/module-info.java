/**
 * ntk4j-core: empirical Neural Tangent Kernels of dense networks on the CPU (and on any backend a provider adds), the
 * fp64 reference, the infinite-width kernels, the training dynamics, the linear algebra they solve with and NumPy
 * file I/O.
 *
 * <p>The API is {@link org.ntk4j.Ntk} and the exported packages; {@code org.ntk4j.cpu} and {@code org.ntk4j.reference}
 * stay internal and are reached through {@code Ntk.builder().backend("cpu")} or {@code backend("reference")}.
 * Backends come from {@link org.ntk4j.spi.BackendProvider} services: this module provides {@code "cpu"} and
 * {@code "reference"}, ntk4j-cuda adds {@code "cuda"}.
 *
 * <p>CPU backend options ({@link org.ntk4j.CpuOptions}, or {@code Ntk.Builder.option(key, value)}): {@code blas} =
 * {@code auto} | {@code native} | {@code bundled} | {@code system} | {@code java} ({@link org.ntk4j.Blas}, the values
 * of the system property {@code ntk4j.blas} too); {@code vector} = {@code true} | {@code false}
 * (the Vector API's elementwise loops when its module is present); {@code maxParameterChunk}, Jacobian columns per
 * chunk in the Jacobian contraction (default 8192). The reference backend takes none.
 *
 * <p>JVM flags: {@code --add-modules jdk.incubator.vector} for the Vector API (optional: without it the CPU backend
 * uses plain loops and says so once, in one line, on stderr); {@code --enable-native-access=org.ntk4j.core,
 * dev.ludovic.netlib.blas} on the module path ({@code =ALL-UNNAMED} on the class path) for the native BLAS, which
 * otherwise works but makes the JVM print a warning.
 */
@SuppressWarnings("module") // the qualified export names a module that depends on this one (not visible here)
module org.ntk4j.core {
    requires dev.ludovic.netlib.blas;
    requires java.logging; // to quiet netlib's own warning once ntk4j has said it (cpu.BlasSelection)
    requires dev.ludovic.netlib.lapack;
    requires org.apache.commons.numbers.gamma;
    // org.netlib.util.intW, LAPACK's output arguments: the jar has no module name of its own, so this is the name
    // derived from its file name (arpack_combined_all-0.1.jar), as dev.ludovic.netlib's LAPACK needs it anyway.
    requires arpack.combined.all;
    requires static jdk.incubator.vector;

    exports org.ntk4j;
    exports org.ntk4j.spi;
    exports org.ntk4j.model;
    exports org.ntk4j.analytic;
    exports org.ntk4j.dynamics;
    exports org.ntk4j.linalg;
    exports org.ntk4j.io;
    // The one tile plan of a kernel, for the backends, the command line and Spark (internal, not API). The CLI and
    // Spark run on the class path today; the names are theirs for when they are modules.
    exports org.ntk4j.tiling to org.ntk4j.cuda, org.ntk4j.cli, org.ntk4j.spark;
    exports org.ntk4j.internal to org.ntk4j.cuda;
    // Atomic output files (OutputFile) for the commands and the experiments' reports
    exports org.ntk4j.internal.io to org.ntk4j.cli, org.ntk4j.experiments;
    // BlasSelection (which BLAS/LAPACK this process uses) for the demo's GEMM ceiling
    exports org.ntk4j.cpu to org.ntk4j.experiments;

    uses org.ntk4j.spi.BackendProvider;

    provides org.ntk4j.spi.BackendProvider with org.ntk4j.cpu.CpuProvider, org.ntk4j.reference.ReferenceProvider;
}
