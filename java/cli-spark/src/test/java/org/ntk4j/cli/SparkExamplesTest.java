package org.ntk4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's and the help texts' command lines with --spark run (the CLI's VocabularyTest runs the others). */
class SparkExamplesTest {
    @TempDir
    Path dir;

    @Test
    void everyCommandLineWithSparkRuns() throws IOException {
        int ran = VocabularyTest.runExamples(dir, true, new TreeSet<>());
        assertTrue(ran >= 2, "examples with --spark run: " + ran);
    }
}
