// cublas_dyn.h — the few cuBLAS entry points the harness compares against, resolved at run time.
//
// cuBLAS is opened with dlopen (libcublas.so.13, then .12, then libcublas.so, or the path in
// NTK4J_CUBLAS) instead of being linked: the harness then builds with a toolkit that ships no cuBLAS,
// runs its correctness checks on a host without one, and uses whichever major version the GPU host
// has. The declarations below follow the public cuBLAS v2 C API (enum arguments are C ints).
#pragma once

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace cublas {

typedef void* Handle;
typedef int Status;

enum { OP_N = 0, OP_T = 1 };
enum { FILL_LOWER = 0, FILL_UPPER = 1 };
enum { R_32F = 0, R_64F = 1 };                              // cudaDataType
enum { COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77, COMPUTE_64F = 70 };  // cublasComputeType_t
enum { GEMM_DEFAULT = -1 };

struct Api {
    void* lib = nullptr;
    std::string path, why;
    Handle handle = nullptr;

    Status (*create)(Handle*) = nullptr;
    Status (*destroy)(Handle) = nullptr;
    Status (*set_stream)(Handle, cudaStream_t) = nullptr;
    Status (*sgemm)(Handle, int, int, int, int, int, const float*, const float*, int, const float*, int,
                    const float*, float*, int) = nullptr;
    Status (*dgemm)(Handle, int, int, int, int, int, const double*, const double*, int, const double*, int,
                    const double*, double*, int) = nullptr;
    Status (*gemm_ex)(Handle, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int,
                      const void*, void*, int, int, int, int) = nullptr;
    Status (*ssyrk)(Handle, int, int, int, int, const float*, const float*, int, const float*, float*,
                    int) = nullptr;

    bool ok() const { return handle != nullptr; }

    template <typename F>
    bool sym(F& f, const char* name) {
        f = reinterpret_cast<F>(dlsym(lib, name));
        if (f == nullptr) why = std::string("symbol ") + name + " not found in " + path;
        return f != nullptr;
    }

    bool load(cudaStream_t stream) {
        const char* env = std::getenv("NTK4J_CUBLAS");
        const char* names[] = {env, "libcublas.so.13", "libcublas.so.12", "libcublas.so"};
        for (const char* n : names) {
            if (n == nullptr || *n == 0) continue;
            lib = dlopen(n, RTLD_NOW | RTLD_LOCAL);
            if (lib != nullptr) {
                path = n;
                break;
            }
        }
        if (lib == nullptr) {
            why = "libcublas.so.13/.12 not found (set NTK4J_CUBLAS or LD_LIBRARY_PATH)";
            return false;
        }
        if (!sym(create, "cublasCreate_v2") || !sym(destroy, "cublasDestroy_v2") ||
            !sym(set_stream, "cublasSetStream_v2") || !sym(sgemm, "cublasSgemm_v2") || !sym(dgemm, "cublasDgemm_v2") ||
            !sym(gemm_ex, "cublasGemmEx") || !sym(ssyrk, "cublasSsyrk_v2"))
            return false;
        Handle h = nullptr;
        const Status st = create(&h);
        if (st != 0) {
            why = "cublasCreate failed with status " + std::to_string(st);
            return false;
        }
        if (set_stream(h, stream) != 0) {
            destroy(h);
            why = "cublasSetStream failed";
            return false;
        }
        handle = h;
        return true;
    }

    void unload() {
        if (handle != nullptr) destroy(handle);
        handle = nullptr;
        // The library stays mapped: unloading it while the CUDA runtime still holds its state is not safe.
    }
};

}  // namespace cublas
