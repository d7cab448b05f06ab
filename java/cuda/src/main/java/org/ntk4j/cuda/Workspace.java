package org.ntk4j.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Device buffers by role, grow-only: a slot is reallocated only when a call needs more than it holds. A call of the
 * backend uses a workspace for that call alone; a prepared model keeps one between calls.
 */
final class Workspace implements AutoCloseable {
    private final CudaDevice dev;
    private final KernelLaunches.Elem elem;
    private final Consumer<DeviceBuffer> poison;
    private final Map<String, DeviceBuffer> slots = new HashMap<>();

    /**
     * @param elem   the backend's element type
     * @param poison fills an output buffer with NaN when the backend's poison option is on (else does nothing)
     */
    Workspace(CudaDevice dev, KernelLaunches.Elem elem, Consumer<DeviceBuffer> poison) {
        this.dev = dev;
        this.elem = elem;
        this.poison = poison;
    }

    /** The slot's buffer with room for {@code elements} values of {@code elementBytes} (contents undefined). */
    DeviceBuffer get(String slot, long elements, int elementBytes) {
        long need = Math.max(1, elements) * elementBytes;
        DeviceBuffer b = slots.get(slot);
        if (b != null && b.bytes() >= need && b.elementBytes() == elementBytes) {
            return b;
        }
        if (b != null) {
            slots.remove(slot);
            b.close();
        }
        b = dev.allocate(Math.max(1, elements), elementBytes);
        slots.put(slot, b);
        return b;
    }

    /** In the backend's element type. */
    DeviceBuffer elems(String slot, long elements) {
        return get(slot, elements, elem.bytes);
    }

    /** fp64. */
    DeviceBuffer f64(String slot, long elements) {
        return get(slot, elements, 8);
    }

    /** In the element type, poisoned when the poison option is on (a kernel must overwrite every value). */
    DeviceBuffer output(String slot, long elements) {
        DeviceBuffer b = elems(slot, elements);
        poison.accept(b);
        return b;
    }

    /** fp64, poisoned when the option is on. */
    DeviceBuffer output64(String slot, long elements) {
        DeviceBuffer b = f64(slot, elements);
        poison.accept(b);
        return b;
    }

    long bytes() {
        long s = 0;
        for (DeviceBuffer b : slots.values()) {
            s += b.bytes();
        }
        return s;
    }

    @Override
    public void close() {
        Release r = new Release();
        r.close(new ArrayList<>(slots.values()));
        slots.clear();
        r.rethrow();
    }
}
