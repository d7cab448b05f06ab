/**
 * ntk4j-experiments: the lazy-training experiments and their demo, and the digits data set they run on.
 */
module org.ntk4j.experiments {
    requires transitive org.ntk4j.core;
    requires dev.ludovic.netlib.blas; // the demo measures its GEMM ceiling in-process

    exports org.ntk4j.experiments;
    exports org.ntk4j.data;

    opens org.ntk4j.data; // the data set is a resource of this package
}
