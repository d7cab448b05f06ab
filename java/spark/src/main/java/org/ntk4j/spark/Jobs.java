package org.ntk4j.spark;

import java.util.function.Supplier;
import org.apache.spark.SparkException;
import org.ntk4j.NtkException;

/**
 * Runs a Spark action and, when it fails because a task threw an ntk4j exception (bad input found on an executor),
 * rethrows that exception itself, so the caller sees one clear message instead of Spark's stage-failure report.
 */
final class Jobs {
    private Jobs() {
    }

    static <T> T run(Supplier<T> action) {
        try {
            return action.get();
        } catch (Exception e) { // Scala code throws SparkException (checked) undeclared
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof NtkException ntk) {
                    throw ntk;
                }
            }
            if (e instanceof SparkException || e.getCause() instanceof SparkException) {
                throw new NtkException("the Spark job failed: " + firstLine(e.getMessage()), e);
            }
            throw e instanceof RuntimeException r ? r : new NtkException(e.toString(), e);
        }
    }

    private static String firstLine(String m) {
        if (m == null) {
            return "no message";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
