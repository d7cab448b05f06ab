package org.ntk4j.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ntk4j.Ntk;
import org.ntk4j.Precision;

/**
 * One open backend per (name, options, precision, threads) in each executor JVM, shared by the tasks that run there: opening
 * a CUDA context or a CPU thread pool per tile would cost more than many tiles. Closed when the JVM exits.
 */
final class ExecutorBackends {
    private static final ConcurrentHashMap<String, Ntk> OPEN = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.values().forEach(Ntk::close), "ntk4j-backends-close"));
    }

    private ExecutorBackends() {
    }

    static Ntk get(String backend, Map<String, String> options, Precision precision, int threads) {
        return OPEN.computeIfAbsent(backend + options + "/" + precision + "/" + threads, k -> {
            Ntk.Builder b = Ntk.builder().backend(backend).precision(precision);
            options.forEach(b::option);
            if (threads > 0 && backend.equals("cpu")) {
                b.threads(threads);
            }
            return b.open();
        });
    }
}
