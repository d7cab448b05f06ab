package org.ntk4j.cpu;

import org.ntk4j.Backend;
import org.ntk4j.BackendKind;
import org.ntk4j.BackendProvider;
import org.ntk4j.Precision;

/** The CPU backend: always available (it falls back to the pure-Java BLAS), priority 10. */
public final class CpuProvider implements BackendProvider {
    @Override
    public BackendKind kind() {
        return BackendKind.CPU;
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Backend open(Precision precision) {
        return CpuBackend.open(precision);
    }
}
