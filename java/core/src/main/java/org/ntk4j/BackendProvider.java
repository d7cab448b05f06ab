package org.ntk4j;

/**
 * How a backend is found: listed in {@code META-INF/services/org.ntk4j.BackendProvider}, asked whether it can run
 * here, and opened. {@link Backends#open} picks the available provider of highest priority for {@link BackendKind#AUTO}.
 */
public interface BackendProvider {

    /** Which kind this provider serves. */
    BackendKind kind();

    /** Higher wins under AUTO (CUDA 100, CPU 10; the reference never wins AUTO). */
    int priority();

    /** Null when this backend can run here, else a one-line reason (e.g. "no CUDA driver (libcuda.so.1)"). */
    String unavailableReason();

    /** Opens an instance in this precision; throws {@link BackendUnavailableException} if it cannot. */
    Backend open(Precision precision);
}
