package org.ntk4j.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether the GPU tests run: they need the CUDA backend to be available. Without a GPU they are skipped with the
 * probe's reason printed; with {@code NTK4J_REQUIRE_GPU=1} in the environment a missing GPU fails them instead.
 */
public final class Gpu implements SkipExecutionHook {
    static final boolean REQUIRED = "1".equals(System.getenv("NTK4J_REQUIRE_GPU"));
    private static boolean printed;

    /** For jqwik: skips properties (with the reason) when CUDA is unavailable, unless a GPU is required. */
    public Gpu() {
    }

    static String reason() {
        return CudaProbe.get().reason();
    }

    private static synchronized void print(String why) {
        if (!printed) {
            printed = true;
            System.out.println("[ntk4j] CUDA tests skipped: " + why);
        }
    }

    private static boolean announced;

    /**
     * Says once where the GPU tests run. On the project's CPU emulator (native/emu) they prove indexing, bounds,
     * synchronisation, fragment layouts and the driver contract, not speed or hardware behaviour.
     */
    private static synchronized void announce() {
        if (!announced) {
            announced = true;
            String name = CudaProbe.get().device().name();
            System.out.println("[ntk4j] CUDA tests run on " + name + (name.contains("emulator")
                    ? ": the CPU emulator checks values, indexing, synchronisation and the driver contract, not speed"
                    : ""));
        }
    }

    /** For JUnit tests: aborts (skips) without a usable GPU, or fails when NTK4J_REQUIRE_GPU=1. */
    static void require() {
        String why = reason();
        if (why == null) {
            announce();
            return;
        }
        if (REQUIRED) {
            fail("NTK4J_REQUIRE_GPU=1 but the CUDA backend is unavailable: " + why);
        }
        print(why);
        Assumptions.abort("CUDA backend unavailable: " + why);
    }

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        String why = reason();
        if (why == null) {
            announce();
            return SkipResult.doNotSkip();
        }
        if (REQUIRED) {
            return SkipResult.doNotSkip();
        }
        print(why);
        return SkipResult.skip("CUDA backend unavailable: " + why);
    }
}
