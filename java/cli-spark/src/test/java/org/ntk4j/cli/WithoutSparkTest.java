package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ntk4j-cli-spark on the class path without Spark's jars (the CLI run by hand with this module's jar alone): a
 * command with --spark says in one line that Spark is missing, whatever it asks of Spark first.
 */
class WithoutSparkTest {
    @TempDir
    Path dir;

    @Test
    void aCommandWithSparkSaysSparkIsMissingInOneLine() throws Exception {
        Path x = dir.resolve("x.npy");
        Cli.randomInputs(x, 4, 3, 1, false);
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (!name.startsWith("spark-") && !name.startsWith("hadoop-")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader withoutSpark = new URLClassLoader(urls.toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class,
                    () -> Class.forName("org.apache.spark.sql.SparkSession", false, withoutSpark));
            var run = Class.forName(Main.class.getName(), true, withoutSpark)
                    .getMethod("run", PrintWriter.class, PrintWriter.class, String[].class);
            String[][] commands = {
                {"kernel", "--x", x.toString(), "--arch", "3,4,2", "--out", dir.resolve("k.npy").toString(), "--spark",
                    "local[1]"},
                {"kernel", "--x", x.toString(), "--arch", "3,4,2", "--out", dir.resolve("k.npy").toString(), "--spark",
                    "local[1]", "--tiles", dir.resolve("tiles").toString()},
                {"regress", "--x", x.toString(), "--y", x.toString(), "--x-test", x.toString(), "--arch", "3,1,3",
                    "--impl", "analytic", "--ridge", "1", "--out", dir.resolve("p.npy").toString(), "--spark",
                    "local[1]"}};
            for (String[] args : commands) {
                StringWriter err = new StringWriter();
                int code = (int) run.invoke(null, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                        args);
                assertEquals(2, code, String.join(" ", args) + "\n" + err);
                assertEquals(1, err.toString().strip().lines().count(), err.toString());
                assertTrue(err.toString().contains("Spark is not on the class path"), err.toString());
            }
        }
        assertFalse(Files.exists(dir.resolve("k.npy")) || Files.exists(dir.resolve("p.npy")));
    }
}
