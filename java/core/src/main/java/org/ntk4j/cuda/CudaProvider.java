package org.ntk4j.cuda;

import org.ntk4j.Backend;
import org.ntk4j.BackendKind;
import org.ntk4j.BackendProvider;
import org.ntk4j.BackendUnavailableException;
import org.ntk4j.Precision;

/** Makes the CUDA backend findable; available only when {@link CudaProbe} says so (never crashes when it is not). */
public final class CudaProvider implements BackendProvider {
    @Override
    public BackendKind kind() {
        return BackendKind.CUDA;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public String unavailableReason() {
        return CudaProbe.get().reason();
    }

    @Override
    public Backend open(Precision precision) {
        String why = unavailableReason();
        if (why != null) {
            throw new BackendUnavailableException("CUDA backend unavailable: " + why);
        }
        return new CudaBackend(precision);
    }
}
