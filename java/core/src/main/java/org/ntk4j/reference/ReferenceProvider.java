package org.ntk4j.reference;

import org.ntk4j.Backend;
import org.ntk4j.BackendKind;
import org.ntk4j.BackendProvider;
import org.ntk4j.Precision;

/** The reference backend is always available and always computes in fp64, whatever precision is asked for. */
public final class ReferenceProvider implements BackendProvider {
    @Override
    public BackendKind kind() {
        return BackendKind.REFERENCE;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Backend open(Precision precision) {
        return new ReferenceBackend();
    }
}
