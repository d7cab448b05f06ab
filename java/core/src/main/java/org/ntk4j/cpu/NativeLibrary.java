package org.ntk4j.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * One native BLAS (and maybe LAPACK) library opened in this process through FFM, for what JNI cannot do: say what
 * it is (OpenBLAS, MKL, BLIS or unknown), set its thread count, and time it on a small product before anything is
 * bound to it. The heavy calls go through dev.ludovic.netlib's JNI binding, which opens the same file (the dynamic
 * loader hands back the same instance, so the thread count set here is the one those calls see).
 *
 * <p>Probe products run on native memory with ordinary (non-critical) downcalls, so they never hold a safepoint.
 */
@SuppressWarnings("restricted")
final class NativeLibrary implements AutoCloseable {

    /** Where a library comes from. */
    enum Origin {
        /** The OpenBLAS shipped in ntk4j's jar, extracted to a cache folder. */
        BUNDLED,
        /** The system's {@code libblas.so.3} (or the library named by {@value BlasSelection#SYSTEM_BLAS_PROPERTY}). */
        SYSTEM
    }

    final Origin origin;
    /** The name or path it was opened by (what netlib is pointed at). */
    final String location;
    /** "OpenBLAS 0.3.31 (Haswell)", "Intel MKL …", "BLIS …", or null when the library does not say. */
    final String vendor;
    private final Arena arena;
    private final SymbolLookup lookup;
    private final MethodHandle sgemm;
    private final MethodHandle dgemm;
    private final MethodHandle setThreads;
    private final boolean setThreadsTakesLong;

    private NativeLibrary(Origin origin, String location, Arena arena, SymbolLookup lookup) {
        this.origin = origin;
        this.location = location;
        this.arena = arena;
        this.lookup = lookup;
        Linker linker = Linker.nativeLinker();
        // Fortran BLAS: every argument by reference, then the hidden lengths of the two character arguments
        FunctionDescriptor gemm = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
        this.sgemm = linker.downcallHandle(lookup.find("sgemm_").orElseThrow(
                () -> new IllegalStateException(location + " has no sgemm_: not a BLAS library")), gemm);
        this.dgemm = linker.downcallHandle(lookup.find("dgemm_").orElseThrow(
                () -> new IllegalStateException(location + " has no dgemm_: not a BLAS library")), gemm);
        String v = null;
        MethodHandle threads = null;
        boolean takesLong = false;
        Optional<MemorySegment> openblas = lookup.find("openblas_get_config");
        if (openblas.isPresent()) {
            String[] config = cString(linker, openblas.get()).trim().split("\\s+");
            String version = config.length > 1 && config[0].equals("OpenBLAS") ? "OpenBLAS " + config[1] : "OpenBLAS";
            String core = lookup.find("openblas_get_corename").map(s -> cString(linker, s)).orElse(null);
            v = core == null ? version : version + " (" + core.trim() + ")";
            threads = lookup.find("openblas_set_num_threads").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT))).orElse(null);
        } else if (lookup.find("MKL_Set_Num_Threads").isPresent()) {
            v = "Intel MKL";
            threads = linker.downcallHandle(lookup.find("MKL_Set_Num_Threads").get(),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        } else if (lookup.find("bli_thread_set_num_threads").isPresent()) {
            v = "BLIS";
            threads = linker.downcallHandle(lookup.find("bli_thread_set_num_threads").get(),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
            takesLong = true;
        }
        this.vendor = v;
        this.setThreads = threads;
        this.setThreadsTakesLong = takesLong;
    }

    /**
     * Opens a library by path or by name (the dynamic loader's search). Throws {@link IllegalStateException} naming
     * the reason when it does not load or is not a BLAS.
     */
    static NativeLibrary open(Origin origin, String location) {
        Arena arena = Arena.ofShared();
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(location, arena);
            return new NativeLibrary(origin, location, arena, lookup);
        } catch (IllegalArgumentException e) {
            arena.close();
            throw new IllegalStateException(location + " does not load (" + e.getMessage() + ")", e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Whether the library exports this symbol (e.g. {@code dsyevd_}: it carries LAPACK). */
    boolean has(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    /** Whether its thread count can be set (OpenBLAS, MKL, BLIS). */
    boolean threadControl() {
        return setThreads != null;
    }

    /** Sets the library's thread count for the calls that follow (process-wide); no-op when it cannot. */
    void setThreads(int n) {
        if (setThreads == null) {
            return;
        }
        try {
            if (setThreadsTakesLong) {
                setThreads.invokeExact((long) n);
            } else {
                setThreads.invokeExact(n);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("setting the thread count of " + location + " failed", e);
        }
    }

    /**
     * GFLOP/s of the best of {@code reps} n×n×n products in fp32 (or fp64) on native memory, after one warm-up
     * call, on the calling thread with the library's current thread count.
     */
    double gemmGflops(boolean fp64, int n, int reps) {
        long bytes = (long) n * n * (fp64 ? 8 : 4);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = a.allocate(bytes, 64);
            MemorySegment y = a.allocate(bytes, 64);
            MemorySegment z = a.allocate(bytes, 64);
            int count = n * n;
            if (fp64) {
                double[] v = new double[count];
                for (int i = 0; i < count; i++) {
                    v[i] = ((i * 2654435761L) % 1000) / 1000.0 - 0.5;
                }
                MemorySegment.copy(v, 0, x, ValueLayout.JAVA_DOUBLE, 0, count);
                MemorySegment.copy(v, 0, y, ValueLayout.JAVA_DOUBLE, 0, count);
            } else {
                float[] v = new float[count];
                for (int i = 0; i < count; i++) {
                    v[i] = ((i * 2654435761L) % 1000) / 1000f - 0.5f;
                }
                MemorySegment.copy(v, 0, x, ValueLayout.JAVA_FLOAT, 0, count);
                MemorySegment.copy(v, 0, y, ValueLayout.JAVA_FLOAT, 0, count);
            }
            MemorySegment trans = a.allocateFrom(ValueLayout.JAVA_BYTE, (byte) 'N');
            MemorySegment dim = a.allocateFrom(ValueLayout.JAVA_INT, n);
            MemorySegment one = fp64 ? a.allocateFrom(ValueLayout.JAVA_DOUBLE, 1.0)
                    : a.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
            MemorySegment zero = fp64 ? a.allocateFrom(ValueLayout.JAVA_DOUBLE, 0.0)
                    : a.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
            MethodHandle h = fp64 ? dgemm : sgemm;
            long best = Long.MAX_VALUE;
            for (int r = 0; r <= reps; r++) {
                long t0 = System.nanoTime();
                h.invokeExact(trans, trans, dim, dim, dim, one, x, dim, y, dim, zero, z, dim, 1L, 1L);
                long t = System.nanoTime() - t0;
                if (r > 0) {
                    best = Math.min(best, t);
                }
            }
            return 2.0 * n * n * n / Math.max(1, best);
        } catch (Throwable e) {
            throw new IllegalStateException("timing " + (fp64 ? "dgemm" : "sgemm") + " of " + location + " failed", e);
        }
    }

    /** Unloads the library (when nothing else holds it). */
    @Override
    public void close() {
        arena.close();
    }

    private static String cString(Linker linker, MemorySegment fn) {
        try {
            MemorySegment s = (MemorySegment) linker.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.ADDRESS))
                    .invokeExact();
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(512).getString(0);
        } catch (Throwable e) {
            return "";
        }
    }
}
