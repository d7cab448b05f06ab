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
        if (enabled()) {
            requireMaster(master.trim());
        }
    }

    /**
     * Checks a master URL before Spark sees it: Spark answers a mistake with pages of logs, or (for an unreachable
     * standalone master) a minute of retries.
     */
    static void requireMaster(String m) {
        java.util.regex.Matcher local = java.util.regex.Pattern.compile("local(\\[(\\*|\\d+)(,\\d+)?])?").matcher(m);
        if (local.matches()) {
            if (local.group(2) != null && !local.group(2).equals("*") && !(Long.parseLong(local.group(2)) >= 1)) {
                throw new UsageError("--spark " + m + " runs no worker threads; use local[N] with N ≥ 1, or local[*]");
            }
            return;
        }
        if (m.equals("yarn")) {
            if (System.getenv("HADOOP_CONF_DIR") == null && System.getenv("YARN_CONF_DIR") == null) {
                throw new UsageError("--spark yarn needs HADOOP_CONF_DIR or YARN_CONF_DIR set to the cluster's"
                        + " configuration folder");
            }
            return;
        }
        if (m.matches("spark://[^/\\s]+:\\d+(,[^/\\s]+:\\d+)*") || m.startsWith("k8s://") || m.startsWith("local-cluster[")) {
            return;
        }
        throw new UsageError("--spark '" + m + "' is not a Spark master: local[*], local[N], spark://HOST:PORT, yarn"
                + " or k8s://…");
    }
}
