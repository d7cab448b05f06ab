package org.ntk4j.cli;

import picocli.CommandLine.Option;

/** Where a command runs on Spark: --spark MASTER, the tile size, and (for kernel) the tile directory. */
final class SparkOptions {
    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Run on Apache Spark: local[*] (this machine, every core), local[N], or a master URL (spark://…,"
                    + " yarn, k8s://…). Under spark-submit the master given there is used.")
    String master;

    @Option(names = "--tile", paramLabel = "ROWS",
            description = "With --spark: rows per tile (default: sized from the executors' memory).")
    Integer tile;

    @Option(names = "--tiles", paramLabel = "DIR",
            description = "With --spark (kernel): where the tiles go, on any file system Hadoop reaches (hdfs://, s3a://);"
                    + " kept, and a rerun resumes from them. Default: OUT.tiles beside the output, removed once the .npy"
                    + " is written.")
    String tiles;

    boolean enabled() {
        return master != null;
    }

    void validate() {
        if ((tile != null || tiles != null) && !enabled()) {
            throw new UsageError((tile != null ? "--tile" : "--tiles") + " applies only with --spark");
        }
        if (tile != null && tile < 1) {
            throw new UsageError("--tile must be at least 1, got " + tile);
        }
        if (enabled() && master.isBlank()) {
            throw new UsageError("--spark needs a master: local[*], local[N] or a master URL");
        }
    }
}
