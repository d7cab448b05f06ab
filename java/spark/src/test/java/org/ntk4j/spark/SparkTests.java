package org.ntk4j.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.ntk4j.Matrix;
import org.ntk4j.io.Npy;

/** The one Spark session of the test JVM — local[2,2]: two task threads, and a failed task is retried once. */
final class SparkTests {
    private static SparkSession session;

    private SparkTests() {
    }

    static synchronized SparkSession spark() {
        if (session == null) {
            session = SparkSessions.start("local[2,2]", "ntk4j-tests");
        }
        return session;
    }

    /** Writes x as a float64 .npy in dir and opens it as rows for the tasks. */
    static NpyRows rows(Path dir, String name, Matrix x) throws IOException {
        Path f = dir.resolve(name + ".npy");
        Npy.write(f, x.asTensor());
        return NpyRows.open(spark(), f.toString(), name);
    }

    static String fresh(Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        if (Files.exists(p)) {
            throw new IllegalStateException(p + " already exists");
        }
        return p.toString();
    }
}
