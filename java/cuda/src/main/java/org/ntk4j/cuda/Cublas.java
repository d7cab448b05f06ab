package org.ntk4j.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.File;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.ntk4j.BackendUnavailableException;

/**
 * cuBLAS through {@code java.lang.foreign}: the GEMM baseline for the Gram kernel and an optional Gram implementation
 * (backend option {@code gram=cublas}).
 *
 * <p>Why not JCublas: its 12.6.0 natives link {@code libcublas.so.12} at load time, which CUDA 13 hosts do not have, so
 * the class would not even load there. Binding the handful of C functions needed here at run time works with
 * {@code libcublas.so.13} or {@code .12}, whichever the host has.
 *
 * <p>Search order: the backend option {@code cublasPath} (a file); {@code java.library.path}; {@code LD_LIBRARY_PATH};
 * {@code /usr/local/cuda*}{@code /lib64} (and {@code targets/x86_64-linux/lib}); Python site-packages
 * {@code nvidia/cublas/lib}, {@code nvidia/cu13/lib}, {@code nvidia/cu12/lib}; finally the plain names through the
 * system loader. The first library that opens and has every symbol wins.
 *
 * <p>Calls run on cuBLAS's default (legacy) stream, which orders itself with the backend's blocking stream.
 */
@SuppressWarnings("restricted")
public final class Cublas implements AutoCloseable {
    static final String[] NAMES = {"libcublas.so.13", "libcublas.so.12"};
    private static final int OP_N = 0;
    private static final int OP_T = 1;
    private static final int R_32F = 0;
    private static final int COMPUTE_32F_FAST_TF32 = 77;
    private static final int GEMM_DEFAULT = -1;

    private final Arena arena;
    private final String path;
    private final MethodHandle destroy;
    private final MethodHandle sgemm;
    private final MethodHandle dgemm;
    private final MethodHandle gemmEx;
    private MemorySegment handle;

    private Cublas(Arena arena, String path, SymbolLookup lib) throws Throwable {
        Linker linker = Linker.nativeLinker();
        this.arena = arena;
        this.path = path;
        MethodHandle create = linker.downcallHandle(lib.find("cublasCreate_v2").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.destroy = linker.downcallHandle(lib.find("cublasDestroy_v2").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        this.sgemm = linker.downcallHandle(lib.find("cublasSgemm_v2").orElseThrow(), gemm);
        this.dgemm = linker.downcallHandle(lib.find("cublasDgemm_v2").orElseThrow(), gemm);
        this.gemmEx = linker.downcallHandle(lib.find("cublasGemmEx").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS,
                        JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                        JAVA_INT));
        MemorySegment hp = arena.allocate(ADDRESS);
        int st = (int) create.invokeExact(hp);
        if (st != 0) {
            throw new CudaException("cublasCreate", st, "CUBLAS_STATUS_" + st);
        }
        this.handle = hp.get(ADDRESS, 0);
    }

    /** Candidate library files in search order (existing files only), then the plain names; {@code explicit} first. */
    static List<String> candidates(String explicit) {
        Set<String> out = new LinkedHashSet<>();
        if (explicit != null && !explicit.isBlank()) {
            out.add(explicit);
        }
        List<Path> dirs = new ArrayList<>();
        for (String var : new String[] {System.getProperty("java.library.path"), System.getenv("LD_LIBRARY_PATH")}) {
            if (var != null) {
                for (String d : var.split(File.pathSeparator)) {
                    if (!d.isBlank()) {
                        dirs.add(Path.of(d));
                    }
                }
            }
        }
        for (Path cuda : list(Path.of("/usr/local"), "cuda")) {
            dirs.add(cuda.resolve("lib64"));
            dirs.add(cuda.resolve("targets/x86_64-linux/lib"));
        }
        List<Path> pyRoots = new ArrayList<>();
        for (String base : new String[] {"/usr/lib", "/usr/local/lib", System.getProperty("user.home") + "/.local/lib",
                System.getenv("VIRTUAL_ENV") == null ? null : System.getenv("VIRTUAL_ENV") + "/lib",
                System.getenv("CONDA_PREFIX") == null ? null : System.getenv("CONDA_PREFIX") + "/lib"}) {
            if (base == null) {
                continue;
            }
            for (Path py : list(Path.of(base), "python3")) {
                pyRoots.add(py.resolve("site-packages"));
                pyRoots.add(py.resolve("dist-packages"));
            }
        }
        for (Path root : pyRoots) {
            for (String sub : new String[] {"nvidia/cublas/lib", "nvidia/cu13/lib", "nvidia/cu12/lib"}) {
                dirs.add(root.resolve(sub));
            }
        }
        for (Path d : dirs) {
            for (String name : NAMES) {
                Path f = d.resolve(name);
                if (Files.isRegularFile(f)) {
                    out.add(f.toAbsolutePath().toString());
                }
            }
        }
        for (String name : NAMES) {
            out.add(name);
        }
        return new ArrayList<>(out);
    }

    private static List<Path> list(Path dir, String prefix) {
        List<Path> r = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)).sorted().forEach(r::add);
        } catch (Exception e) {
            // missing or unreadable directory: nothing to add
        }
        return r;
    }

    /**
     * Opens cuBLAS with the device's context current, trying {@code explicit} (a file, or null) first; throws
     * {@link BackendUnavailableException} if none loads.
     */
    static Cublas open(CudaDevice dev, String explicit) {
        dev.makeCurrent();
        StringBuilder tried = new StringBuilder();
        for (String c : candidates(explicit)) {
            Arena arena = Arena.ofShared();
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup(c, arena);
                return new Cublas(arena, c, lib);
            } catch (Throwable e) {
                arena.close();
                tried.append(tried.isEmpty() ? "" : "; ").append(c).append(": ").append(e.getClass().getSimpleName());
            }
        }
        throw new BackendUnavailableException("cuBLAS (libcublas.so.13 or .12) not found or not usable (" + tried
                + "); name the library with the backend option cublasPath");
    }

    /** Opens cuBLAS for the backend's device (its {@code cublasPath} option first). */
    public static Cublas open(CudaBackend backend) {
        return open(backend.device(), backend.cublasPath());
    }

    public String path() {
        return path;
    }

    private static int checkedInt(long v, String what) {
        if (v > Integer.MAX_VALUE || v < 0) {
            throw new IllegalArgumentException(what + " = " + v + " exceeds cuBLAS's 32-bit int");
        }
        return (int) v;
    }

    /**
     * Row-major C (M×N, ldc) = alpha·A·Bᵀ + beta·C with A (M×K, lda), B (N×K, ldb) device matrices, through
     * cublasSgemm / cublasDgemm, or cublasGemmEx with CUBLAS_COMPUTE_32F_FAST_TF32 when {@code tf32}.
     */
    void gemmNT(CudaDevice dev, KernelLaunches.Elem e, boolean tf32, long m, long n, long k, long a, long lda, long b, long ldb,
                long c, long ldc, double alpha, double beta) {
        dev.synchronize();
        int im = checkedInt(m, "M");
        int in = checkedInt(n, "N");
        int ik = checkedInt(k, "K");
        // Column-major view: Cᵀ (N×M) = B (as N×K, i.e. (K×N)ᵀ) · Aᵀ.
        try (Arena call = Arena.ofConfined()) {
            MemorySegment pa = MemorySegment.ofAddress(a);
            MemorySegment pb = MemorySegment.ofAddress(b);
            MemorySegment pc = MemorySegment.ofAddress(c);
            int st;
            if (e == KernelLaunches.Elem.F64) {
                MemorySegment al = call.allocateFrom(JAVA_DOUBLE, alpha);
                MemorySegment be = call.allocateFrom(JAVA_DOUBLE, beta);
                st = (int) dgemm.invokeExact(handle, OP_T, OP_N, in, im, ik, al, pb, checkedInt(ldb, "ldb"), pa,
                        checkedInt(lda, "lda"), be, pc, checkedInt(ldc, "ldc"));
            } else {
                MemorySegment al = call.allocateFrom(JAVA_FLOAT, (float) alpha);
                MemorySegment be = call.allocateFrom(JAVA_FLOAT, (float) beta);
                if (tf32) {
                    st = (int) gemmEx.invokeExact(handle, OP_T, OP_N, in, im, ik, al, pb, R_32F, checkedInt(ldb, "ldb"),
                            pa, R_32F, checkedInt(lda, "lda"), be, pc, R_32F, checkedInt(ldc, "ldc"),
                            COMPUTE_32F_FAST_TF32, GEMM_DEFAULT);
                } else {
                    st = (int) sgemm.invokeExact(handle, OP_T, OP_N, in, im, ik, al, pb, checkedInt(ldb, "ldb"), pa,
                            checkedInt(lda, "lda"), be, pc, checkedInt(ldc, "ldc"));
                }
            }
            if (st != 0) {
                throw new CudaException(tf32 ? "cublasGemmEx" : e == KernelLaunches.Elem.F64 ? "cublasDgemm" : "cublasSgemm", st,
                        "CUBLAS_STATUS_" + st);
            }
        } catch (CudaException | IllegalArgumentException ex) {
            throw ex;
        } catch (Throwable t) {
            throw new CudaException("cuBLAS call", -1, t.toString());
        }
    }

    @Override
    public void close() {
        if (handle != null) {
            try {
                int st = (int) destroy.invokeExact(handle);
                if (st != 0) {
                    throw new CudaException("cublasDestroy", st, "CUBLAS_STATUS_" + st);
                }
            } catch (CudaException e) {
                throw e;
            } catch (Throwable t) {
                throw new CudaException("cublasDestroy", -1, t.toString());
            } finally {
                handle = null;
                // The library stays mapped (the arena is not closed): unmapping cuBLAS under a live CUDA context is unsafe.
            }
        }
    }
}
