package org.ntk4j;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which BLAS the CPU backend uses, in one vocabulary for the system property {@value #PROPERTY} (which chooses the
 * native library, once per JVM, and sets the CPU backends' default) and for {@link CpuOptions#blas} (which takes the
 * process's library or refuses it, per backend). {@code auto} measures the system and the bundled library and keeps
 * the faster; {@code bundled}, {@code system} and {@code java} force a candidate; {@code native} is {@code auto} that
 * fails (saying why) rather than fall back to Java.
 */
public enum Blas {
    /** The process's native BLAS when there is one (measured best of system and bundled), else the pure-Java one. */
    AUTO,
    /** The process's native BLAS, whichever it is; opening fails (saying why) when none loads. */
    NATIVE,
    /** The OpenBLAS shipped with ntk4j; opening fails when the process uses another library. */
    BUNDLED,
    /** The system's BLAS ({@code libblas.so.3}); opening fails when the process uses another library. */
    SYSTEM,
    /** dev.ludovic.netlib's pure-Java BLAS (Vector API when available): always there, much slower. */
    JAVA;

    /** The system property choosing the process's BLAS, with the values of {@link #parse}; default {@code auto}. */
    public static final String PROPERTY = "ntk4j.blas";

    /**
     * The value as written in the property and the options: the name in lower case.
     *
     * @return e.g. {@code "native"}
     */
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code auto}, {@code native}, {@code bundled}, {@code system} or {@code java} (any case, blanks trimmed).
     *
     * @param s the value
     * @return the choice
     * @throws InvalidInputException for any other value, listing the allowed ones
     */
    public static Blas parse(String s) {
        for (Blas b : values()) {
            if (s != null && b.value().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new InvalidInputException("blas must be one of " + Arrays.stream(values()).map(Blas::value)
                .collect(Collectors.joining(", ")) + ", got '" + s + "'");
    }

    /**
     * The process's choice: {@value #PROPERTY}, or {@link #AUTO} when it is not set.
     *
     * @return the choice
     * @throws InvalidInputException when the property holds another value
     */
    public static Blas fromProperty() {
        String v = System.getProperty(PROPERTY);
        return v == null ? AUTO : parse(v);
    }
}
