package org.ntk4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Every JMH benchmark of this module runs once, in this JVM, at small sizes: a benchmark that no longer works
 * against the library (an API change, a call the library now refuses) fails here rather than in the next
 * measurement session. Timings mean nothing here.
 */
class BenchmarksRunTest {

    @Test
    void everyBenchmarkRunsOnceAtSmallSizes() throws RunnerException {
        Options opt = new OptionsBuilder()
                .include("org\\.ntk4j\\.bench\\..*")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementBatchSize(1)
                .mode(org.openjdk.jmh.annotations.Mode.SingleShotTime)
                .timeout(TimeValue.minutes(2))
                .shouldFailOnError(true)
                .param("config", "small")
                .param("n", "24")
                .verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(opt).run();
        assertFalse(results.isEmpty(), "no benchmark ran");
        Set<String> ran = new TreeSet<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            ran.add(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1));
            assertEquals(1, r.getPrimaryResult().getSampleCount(), name);
            assertTrue(r.getPrimaryResult().getScore() > 0, name);
        }
        for (String must : new String[] {"AnalyticBenchmarks.kernel", "AnalyticBenchmarks.reference",
                "CpuBenchmarks.ntkStructured", "SgemmCeiling.sgemm"}) {
            assertTrue(ran.stream().anyMatch(s -> s.startsWith(must)), must + " did not run: " + ran);
        }
    }
}
