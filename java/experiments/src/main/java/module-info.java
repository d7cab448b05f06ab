/**
 * ntk4j-experiments: the lazy-training experiments (weight and kernel movement against width, the empirical kernel's
 * convergence to its infinite-width limit, the trained network against its linearization, the lazy-training score)
 * as tables, the demo that runs them ({@link org.ntk4j.experiments.LazyTrainingDemo}), and the data they run on
 * ({@link org.ntk4j.data.Digits}, the UCI handwritten digits, CC BY 4.0: see the jar's {@code META-INF/NOTICE};
 * {@link org.ntk4j.data.Synthetic}). Kept out of ntk4j-core so that a library user who adds core gets the math only,
 * without the data set or the experiments' code.
 */
module org.ntk4j.experiments {
    requires transitive org.ntk4j.core;
    requires dev.ludovic.netlib.blas; // the demo measures its GEMM ceiling in-process

    exports org.ntk4j.experiments;
    exports org.ntk4j.data;
}
