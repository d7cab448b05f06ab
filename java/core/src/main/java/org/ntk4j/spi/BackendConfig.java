package org.ntk4j.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.ntk4j.InvalidInputException;
import org.ntk4j.Precision;

/**
 * How to open a backend, as collected by {@link org.ntk4j.Ntk.Builder}: the precision, the settings every backend
 * understands (threads, memory budget) and backend-specific options by name. A provider calls
 * {@link #requireOnly} with the options it knows, so a misspelt option is an error, not silently ignored.
 *
 * @param precision    the arithmetic precision
 * @param threads      worker threads, 0 for the backend's default (all cores)
 * @param memoryBudget working-memory bytes, 0 for the backend's default
 * @param options      backend-specific options (copied; keys are case-sensitive)
 */
public record BackendConfig(Precision precision, int threads, long memoryBudget, Map<String, String> options) {

    /** Checks and copies. */
    public BackendConfig {
        if (precision == null) {
            throw new InvalidInputException("precision must be given");
        }
        if (threads != 0) {
            requireThreads(threads);
        }
        if (memoryBudget < 0) {
            throw new InvalidInputException("memory budget must be positive (or 0 for the default), got " + memoryBudget);
        }
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options == null ? Map.of() : options));
    }

    /** The most worker threads a backend runs: the largest parallelism of a Java fork-join pool. */
    public static final int MAX_THREADS = 32767;

    /**
     * Checks a number of worker threads.
     *
     * @param threads the number asked for
     * @return {@code threads}
     * @throws InvalidInputException unless 1 ≤ threads ≤ {@value #MAX_THREADS}
     */
    public static int requireThreads(int threads) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new InvalidInputException("threads must be " + (threads < 1 ? "at least 1" : "at most " + MAX_THREADS
                    + " (the most a Java thread pool runs)") + ", got " + threads);
        }
        return threads;
    }

    /**
     * The defaults in this precision.
     *
     * @param precision the precision
     * @return a configuration with no options and the defaults for threads and memory
     */
    public static BackendConfig of(Precision precision) {
        return new BackendConfig(precision, 0, 0, Map.of());
    }

    /**
     * Throws naming the first option the backend does not know, and the ones it does.
     *
     * @param backend the backend's name, for the message
     * @param known   the option names it knows
     */
    public void requireOnly(String backend, String... known) {
        Set<String> ok = Set.of(known);
        for (String k : options.keySet()) {
            if (!ok.contains(k)) {
                throw new InvalidInputException("the " + backend + " backend has no option '" + k + "'"
                        + (known.length == 0 ? " (it takes none)" : " (it takes " + String.join(", ", new TreeSet<>(ok)) + ")"));
            }
        }
    }

    /**
     * The option's value, or {@code fallback} when it is not set.
     *
     * @param key      the option's name
     * @param fallback the value when it is not set
     * @return the value as given
     */
    public String option(String key, String fallback) {
        return options.getOrDefault(key, fallback);
    }

    /**
     * A boolean option ({@code true}/{@code false}, any case).
     *
     * @param key      the option's name
     * @param fallback the value when it is not set
     * @return the value
     * @throws org.ntk4j.InvalidInputException when the value is neither true nor false
     */
    public boolean booleanOption(String key, boolean fallback) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidInputException("option " + key + " must be true or false, got '" + v + "'");
        };
    }

    /**
     * An integer option within [min, max].
     *
     * @param key      the option's name
     * @param fallback the value when it is not set
     * @param min      the smallest value allowed
     * @param max      the largest value allowed
     * @return the value
     * @throws org.ntk4j.InvalidInputException when the value is not an integer in range
     */
    public int intOption(String key, int fallback, int min, int max) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new InvalidInputException("option " + key + " must be in [" + min + ", " + max + "], got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("option " + key + " must be an integer, got '" + v + "'");
        }
    }

    /**
     * A decimal option within [min, max].
     *
     * @param key      the option's name
     * @param fallback the value when it is not set
     * @param min      the smallest value allowed
     * @param max      the largest value allowed
     * @return the value
     * @throws org.ntk4j.InvalidInputException when the value is not a number in range
     */
    public double doubleOption(String key, double fallback, double min, double max) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d >= min && d <= max)) {
                throw new InvalidInputException("option " + key + " must be in [" + min + ", " + max + "], got " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("option " + key + " must be a number, got '" + v + "'");
        }
    }

    /**
     * One of the given choices (any case), returned lower case.
     *
     * @param key      the option's name
     * @param fallback the value when it is not set
     * @param choices  the values allowed, lower case
     * @return the value, lower case
     * @throws org.ntk4j.InvalidInputException when the value is not one of the choices
     */
    public String choiceOption(String key, String fallback, String... choices) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        String k = v.trim().toLowerCase(Locale.ROOT);
        for (String c : choices) {
            if (c.equals(k)) {
                return c;
            }
        }
        throw new InvalidInputException("option " + key + " must be one of " + String.join(", ", choices) + ", got '"
                + v + "'");
    }
}
