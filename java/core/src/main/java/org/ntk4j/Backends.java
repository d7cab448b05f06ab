package org.ntk4j;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Finds and opens backends by kind and availability. */
public final class Backends {
    private Backends() {
    }

    /** Every backend provider on the class path, highest priority first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return list;
    }

    /**
     * Opens a backend. AUTO takes the available provider of highest priority (CUDA if a device is present and the
     * kernels load, else CPU); an explicit kind that cannot run here throws {@link BackendUnavailableException}
     * with the reason.
     */
    public static Backend open(BackendKind kind, Precision precision) {
        List<BackendProvider> providers = providers();
        StringBuilder reasons = new StringBuilder();
        for (BackendProvider p : providers) {
            if (kind == BackendKind.AUTO ? p.kind() == BackendKind.REFERENCE : p.kind() != kind) {
                continue;
            }
            String why = p.unavailableReason();
            if (why == null) {
                return p.open(precision);
            }
            reasons.append(reasons.isEmpty() ? "" : "; ").append(p.kind().name().toLowerCase()).append(": ").append(why);
        }
        throw new BackendUnavailableException("no " + kind.name().toLowerCase() + " backend can run here"
                + (reasons.isEmpty() ? " (none is built in)" : " (" + reasons + ")"));
    }
}
