package org.ntk4j.spark;

import org.apache.spark.sql.SparkSession;

/** The Spark session ntk4j's commands run in. */
public final class SparkSessions {
    private SparkSessions() {
    }

    /**
     * The session for {@code master} (local[*], local[2], spark://…, yarn, k8s://…). Under spark-submit the master
     * given there wins; a local master binds to the loopback address only (no network needed or used). The web UI
     * is off and Spark logs at WARN.
     *
     * @param master  the Spark master URL, used unless the {@code spark.master} system property is set
     * @param appName the application's name, shown by the cluster manager
     * @return the running session (an existing one in this JVM is reused)
     */
    public static SparkSession start(String master, String appName) {
        SparkSession.Builder b = SparkSession.builder().appName(appName).config("spark.ui.enabled", "false");
        String configured = System.getProperty("spark.master");
        String effective = configured != null ? configured : master;
        if (configured == null) {
            b.master(master);
        }
        if (effective.startsWith("local")) {
            b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        SparkSession s = b.getOrCreate();
        s.sparkContext().setLogLevel("WARN");
        return s;
    }
}
