// kernels.h — host side of the kernel contract: loads ntk4j_kernels.fatbin, looks entry points up by
// name, and launches them with exactly the argument types, grids and blocks that cuda/*.cu document.
// The Java host mirrors these wrappers.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "../cuda/launch_config.h"

#define CK(call) ::kern::check((call), #call, __FILE__, __LINE__)

namespace kern {

inline void check(cudaError_t e, const char* what, const char* file, int line) {
    if (e != cudaSuccess) {
        std::fprintf(stderr, "CUDA error %s (%s) at %s:%d in %s\n", cudaGetErrorName(e), cudaGetErrorString(e), file,
                     line, what);
        std::exit(3);
    }
}

inline int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Tile {
    int BM, BN, BK;
};
template <typename T>
inline Tile simt_tile() {
    return sizeof(T) == 4 ? Tile{ntk_cfg::F32_BM, ntk_cfg::F32_BN, ntk_cfg::BK}
                          : Tile{ntk_cfg::F64_BM, ntk_cfg::F64_BN, ntk_cfg::BK};
}
inline Tile tf32_tile() { return Tile{ntk_cfg::TF32_BM, ntk_cfg::TF32_BN, ntk_cfg::BK}; }

// Whether a Gram/structured launch sums into the fp64 workspace (then a reduce pass applies the epilogue):
// split-K, or an fp32/TF32 product longer than one slice. Mirrors uses_workspace() in cuda/gemm_nt.cuh.
inline bool uses_workspace(bool fp32, int64_t K, int splits) {
    return splits > 1 || (fp32 && K > ntk_cfg::SLICE_K);
}

// A Jacobian chunk's leading dimension: the chunk width rounded up to J_LD_ALIGN elements, so the Gram kernel
// always takes its 16-byte copy path.
inline int64_t jacobian_ld(int64_t width) { return cdiv(width, ntk_cfg::J_LD_ALIGN) * ntk_cfg::J_LD_ALIGN; }

template <typename T>
inline const char* sfx() {
    return sizeof(T) == 4 ? "f32" : "f64";
}

// Device buffer, freed on scope exit.
template <typename T>
struct DBuf {
    T* p = nullptr;
    size_t n = 0;
    DBuf() = default;
    explicit DBuf(size_t count) : n(count) {
        if (n) CK(cudaMalloc(&p, n * sizeof(T)));
    }
    DBuf(const DBuf&) = delete;
    DBuf& operator=(const DBuf&) = delete;
    DBuf(DBuf&& o) noexcept : p(o.p), n(o.n) {
        o.p = nullptr;
        o.n = 0;
    }
    DBuf& operator=(DBuf&& o) noexcept {
        if (this != &o) {
            release();
            p = o.p;
            n = o.n;
            o.p = nullptr;
            o.n = 0;
        }
        return *this;
    }
    ~DBuf() { release(); }
    void release() {
        if (p) cudaFree(p);
        p = nullptr;
        n = 0;
    }
    void upload(const std::vector<T>& h) {
        if (h.size() != n) {
            std::fprintf(stderr, "upload size mismatch\n");
            std::exit(3);
        }
        if (n) CK(cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    }
    std::vector<T> download() const {
        std::vector<T> h(n);
        if (n) CK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
        return h;
    }
};

class Kernels {
public:
    cudaStream_t stream = nullptr;
    int sms = 0;
    bool sync_each = true;  // synchronize after each launch so a fault names the launch that caused it

    bool load(const std::string& path, std::string& why) {
        const cudaError_t e = cudaLibraryLoadFromFile(&lib_, path.c_str(), nullptr, nullptr, 0, nullptr, nullptr, 0);
        if (e != cudaSuccess) {
            why = std::string(cudaGetErrorName(e)) + " loading " + path;
            return false;
        }
        int dev = 0;
        CK(cudaGetDevice(&dev));
        CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
        CK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
        return true;
    }

    cudaKernel_t get(const std::string& name) {
        auto it = cache_.find(name);
        if (it != cache_.end()) return it->second;
        cudaKernel_t k = nullptr;
        const cudaError_t e = cudaLibraryGetKernel(&k, lib_, name.c_str());
        if (e != cudaSuccess) {
            std::fprintf(stderr, "entry point %s not found in the fatbin: %s\n", name.c_str(), cudaGetErrorName(e));
            std::exit(3);
        }
        cache_[name] = k;
        return k;
    }

    template <typename... Args>
    void launch(const std::string& name, dim3 grid, dim3 block, Args... args) {
        static_assert(sizeof...(Args) > 0, "kernels take arguments");
        void* ptrs[] = {static_cast<void*>(&args)...};
        if (grid.x == 0 || grid.y == 0 || grid.z == 0) return;  // nothing to do
        if (grid.y > unsigned(ntk_cfg::MAX_GRID_YZ) || grid.z > unsigned(ntk_cfg::MAX_GRID_YZ)) {
            std::fprintf(stderr, "launch %s: grid (%u, %u, %u) exceeds limits\n", name.c_str(), grid.x, grid.y, grid.z);
            std::exit(3);
        }
        const cudaError_t e =
            cudaLaunchKernel(reinterpret_cast<const void*>(get(name)), grid, block, ptrs, 0, stream);
        if (e != cudaSuccess) {
            std::fprintf(stderr, "launch %s failed: %s\n", name.c_str(), cudaGetErrorName(e));
            std::exit(3);
        }
        CK(cudaGetLastError());
        if (sync_each) {
            const cudaError_t s = cudaStreamSynchronize(stream);
            if (s != cudaSuccess) {
                std::fprintf(stderr, "kernel %s failed: %s (%s)\n", name.c_str(), cudaGetErrorName(s),
                             cudaGetErrorString(s));
                std::exit(3);
            }
        }
    }

    // ---- helpers.cu ---------------------------------------------------------------------------
    static dim3 stride_grid(int64_t n) {
        int64_t b = cdiv(n, 256);
        if (b < 1) b = 1;
        if (b > 65536) b = 65536;
        return dim3(static_cast<unsigned>(b));
    }

    template <typename T>
    void fill(T* x, int64_t n, T v) {
        launch(std::string("ntk_fill_") + sfx<T>(), stride_grid(n), dim3(256), x, static_cast<long long>(n), v);
    }
    template <typename T>
    void fill_random(T* x, int64_t n, unsigned long long seed, T lo, T hi) {
        launch(std::string("ntk_fill_random_") + sfx<T>(), stride_grid(n), dim3(256), x, static_cast<long long>(n),
               seed, lo, hi);
    }
    template <typename T>
    void poison(DBuf<T>& b) {
        fill(b.p, static_cast<int64_t>(b.n), std::numeric_limits<T>::quiet_NaN());
    }
    template <typename T>
    void transpose(int rows, int cols, const T* X, int64_t ldx, T* Y, int64_t ldy) {
        launch(std::string("ntk_transpose_") + sfx<T>(), dim3(cdiv(cols, 32), cdiv(rows, 32)), dim3(32, 8), rows, cols,
               X, static_cast<long long>(ldx), Y, static_cast<long long>(ldy));
    }
    // Layout helpers work on the fp64 outputs of the Gram and structured kernels.
    void full_to_trace(int N1, int N2, int O, const double* full, double* out) {
        launch("ntk_full_to_trace_f64", stride_grid(int64_t(N1) * N2), dim3(256), N1, N2, O, full, out);
    }
    void full_to_diag(int N1, int N2, int O, const double* full, double* out) {
        launch("ntk_full_to_diag_f64", stride_grid(int64_t(N1) * N2 * O), dim3(256), N1, N2, O, full, out);
    }
    void jc_to_full(int N1, int N2, int O, const double* G, int64_t ldg, double* full) {
        launch("ntk_jc_to_full_f64", stride_grid(int64_t(N1) * N2 * O * O), dim3(256), N1, N2, O, G,
               static_cast<long long>(ldg), full);
    }

    // ---- gram.cu ------------------------------------------------------------------------------
    // Split-K heuristic (launch_config.h): split only when the output tiles do not fill the GPU once (in the
    // upper-triangle mode only the T(T+1)/2 tiles on or above the diagonal run); aim at SPLIT_BLOCKS_PER_SM
    // blocks per SM, keep >= SPLIT_MIN_KTILES k-tiles per split, at most SPLIT_MAX splits.
    int choose_splits(int M, int N, int batch, int64_t K, Tile t, bool upper = false) const {
        const int64_t tm = cdiv(M, t.BM), tn = cdiv(N, t.BN);
        const int64_t tiles = (upper ? tm * (tm + 1) / 2 : tm * tn) * batch;
        if (tiles >= sms) return 1;
        int64_t s = cdiv(ntk_cfg::SPLIT_BLOCKS_PER_SM * int64_t(sms), tiles);
        const int64_t by_k = cdiv(K, t.BK) / ntk_cfg::SPLIT_MIN_KTILES;
        if (s > by_k) s = by_k;
        if (s > ntk_cfg::SPLIT_MAX) s = ntk_cfg::SPLIT_MAX;
        if (s * batch > ntk_cfg::MAX_GRID_YZ) s = ntk_cfg::MAX_GRID_YZ / batch;
        return s < 1 ? 1 : static_cast<int>(s);
    }
    // fp64 workspace elements a Gram or structured launch needs (0: none).
    static size_t workspace_elems(bool fp32, int64_t K, int splits, int batch, int M, int N) {
        return uses_workspace(fp32, K, splits) ? size_t(batch) * splits * M * N : 0;
    }

    // C = alpha A B^T + beta C (per batch entry), C fp64 for every input type; ws (fp64) must hold
    // workspace_elems(...) elements.
    template <typename T>
    void gram(bool tf32, int M, int N, int64_t K, const T* A, int64_t lda, int64_t sA, const T* B, int64_t ldb,
              int64_t sB, double* C, int64_t ldc, int64_t sC, double alpha, double beta, int batch, int splits,
              double* ws, int upper) {
        const Tile t = tf32 ? tf32_tile() : simt_tile<T>();
        std::string name = tf32 ? "ntk_gram_nt_tf32" : std::string("ntk_gram_nt_") + sfx<T>();
        launch(name, dim3(cdiv(N, t.BN), cdiv(M, t.BM), batch * splits), dim3(256), M, N, static_cast<long long>(K), A,
               static_cast<long long>(lda), static_cast<long long>(sA), B, static_cast<long long>(ldb),
               static_cast<long long>(sB), C, static_cast<long long>(ldc), static_cast<long long>(sC), alpha, beta,
               splits, ws, upper);
        if (uses_workspace(sizeof(T) == 4, K, splits))
            launch("ntk_gram_splitk_reduce", stride_grid(int64_t(batch) * M * N), dim3(256),
                   static_cast<const double*>(ws), batch, splits, M, N, upper, C, static_cast<long long>(ldc),
                   static_cast<long long>(sC), alpha, beta);
        if (upper)
            launch("ntk_gram_mirror", dim3(cdiv(N, 32), cdiv(N, 32), batch), dim3(32, 8), C, N,
                   static_cast<long long>(ldc), static_cast<long long>(sC));
    }

    // ---- structured.cu ------------------------------------------------------------------------
    static void struct_dims(int mode, int N1, int N2, int O, int& M, int& N, int& batch) {
        M = mode == 0 ? N1 * O : N1;
        N = mode == 0 ? N2 * O : N2;
        batch = mode == 2 ? O : 1;
    }
    static int64_t struct_k(int mode, int O, int width) { return mode == 1 ? int64_t(width) * O : width; }
    template <typename T>
    int struct_splits(int mode, int N1, int N2, int O, int width) const {
        int M, N, batch;
        struct_dims(mode, N1, N2, O, M, N, batch);
        return choose_splits(M, N, batch, struct_k(mode, O, width), simt_tile<T>());
    }
    template <typename T>
    static size_t struct_workspace_elems(int mode, int N1, int N2, int O, int width, int splits) {
        int M, N, batch;
        struct_dims(mode, N1, N2, O, M, N, batch);
        return workspace_elems(sizeof(T) == 4, struct_k(mode, O, width), splits, batch, M, N);
    }
    // Theta (fp64) = beta Theta + (c2 Gh + s2) (.) delta-Gram; ws (fp64) holds struct_workspace_elems(...).
    template <typename T>
    void struct_layer(int mode, int N1, int N2, int O, int width, const T* D1, const T* D2, const double* Gh,
                      int64_t ldgh, double c2, double s2, double beta, double* Theta, int splits, double* ws) {
        int M, N, batch;
        struct_dims(mode, N1, N2, O, M, N, batch);
        const Tile t = simt_tile<T>();
        launch(std::string("ntk_struct_layer_") + sfx<T>(), dim3(cdiv(N, t.BN), cdiv(M, t.BM), batch * splits),
               dim3(256), mode, N1, N2, O, width, D1, D2, Gh, static_cast<long long>(ldgh), c2, s2, beta, Theta, splits,
               ws);
        if (uses_workspace(sizeof(T) == 4, struct_k(mode, O, width), splits))
            launch("ntk_struct_splitk_reduce", stride_grid(int64_t(batch) * M * N), dim3(256),
                   static_cast<const double*>(ws), mode, N1, N2, O, width, Gh, static_cast<long long>(ldgh), c2, s2,
                   beta, Theta, splits);
    }

    // ---- forward.cu / backward.cu / jacobian.cu -----------------------------------------------
    template <typename T>
    void forward(int N, int n_out, int n_in, const T* H, int64_t ldh, const T* W, const T* b, T c, T s, int act, T* Z,
                 T* Hn) {
        const Tile t = simt_tile<T>();
        launch(std::string("ntk_forward_") + sfx<T>(), dim3(cdiv(n_out, t.BN), cdiv(N, t.BM)), dim3(256), N, n_out,
               n_in, H, static_cast<long long>(ldh), W, b, c, s, act, Z, Hn);
    }
    template <typename T>
    void backward_delta(int R, int n_in, int n_out, const T* Dnext, const T* Wt, const T* Z, int rpe, T c, int act,
                        T* Dout) {
        const Tile t = simt_tile<T>();
        launch(std::string("ntk_backward_delta_") + sfx<T>(), dim3(cdiv(n_in, t.BN), cdiv(R, t.BM)), dim3(256), R, n_in,
               n_out, Dnext, Wt, Z, rpe, c, act, Dout);
    }
    template <typename T>
    void weight_grad(int N, int n_out, int n_in, const T* D, const T* H, T c, T* dW, int accumulate = 0) {
        launch(std::string("ntk_weight_grad_") + sfx<T>(), dim3(cdiv(n_in, 64), cdiv(n_out, 64)), dim3(256), N, n_out,
               n_in, D, H, c, accumulate, dW);
    }
    template <typename T>
    void bias_grad(int N, int n_out, const T* D, T s, T* db, int accumulate = 0) {
        launch(std::string("ntk_bias_grad_") + sfx<T>(), stride_grid(n_out), dim3(256), N, n_out, D, s, accumulate, db);
    }
    template <typename T>
    void delta_seed_identity(int N, int O, T* D) {
        launch(std::string("ntk_delta_seed_identity_") + sfx<T>(), stride_grid(int64_t(N) * O * O), dim3(256), N, O, D);
    }
    // Returns the number of partial sums written (one per block).
    template <typename T>
    int mse_residual(int64_t count, const T* F, const T* Y, T scale, T* D, double* partials, int max_blocks) {
        int blocks = static_cast<int>(cdiv(count, 256));
        if (blocks > max_blocks) blocks = max_blocks;
        if (blocks < 1) blocks = 1;
        launch(std::string("ntk_mse_residual_") + sfx<T>(), dim3(blocks), dim3(256), static_cast<long long>(count), F,
               Y, scale, D, partials);
        return blocks;
    }
    void sum_partials(const double* partials, int n, double scale, double* out) {
        launch("ntk_sum_partials", dim3(1), dim3(256), partials, n, scale, out);
    }
    template <typename T>
    void jacobian_layer(int R, int rpe, int n_out, int n_in, const T* D, const T* H, T c, T s, int has_bias,
                        int64_t q0, int64_t q1, T* J, int64_t ldj, int64_t jcol0) {
        if (q1 <= q0) return;
        int64_t gy = cdiv(R, 8);
        if (gy > ntk_cfg::MAX_GRID_YZ) gy = ntk_cfg::MAX_GRID_YZ;
        launch(std::string("ntk_jacobian_layer_") + sfx<T>(), dim3(cdiv(q1 - q0, 256), gy), dim3(256), R, rpe, n_out,
               n_in, D, H, c, s, has_bias, static_cast<long long>(q0), static_cast<long long>(q1), J,
               static_cast<long long>(ldj), static_cast<long long>(jcol0));
    }

    // ---- conv.cu --------------------------------------------------------------------------------
    // A window over an H x W x C image (conv.cu's NTK_WINDOW_ARGS); `window` works Ho, Wo and the padding before
    // the first row and column out of the padding mode as neural-tangents does.
    enum Pad { SAME = 0, VALID = 1, CIRCULAR = 2 };
    struct Window {
        int H, W, C, kh, kw, sh, sw, Ho, Wo, pt, pl, circ;
        int area() const { return kh * kw; }
        int fan() const { return C * kh * kw; }
        int positions() const { return Ho * Wo; }
    };
    static Window window(int H, int W, int C, int kh, int kw, int sh, int sw, Pad pad) {
        auto axis = [pad](int n, int k, int s, int& out, int& before) {
            if (pad == VALID) {
                out = (n - k) / s + 1;
                before = 0;
            } else {
                out = static_cast<int>(cdiv(n, s));
                const int total = std::max((out - 1) * s + k - n, 0);
                before = total / 2;
            }
        };
        Window w{H, W, C, kh, kw, sh, sw, 0, 0, 0, 0, pad == CIRCULAR ? 1 : 0};
        axis(H, kh, sh, w.Ho, w.pt);
        axis(W, kw, sw, w.Wo, w.pl);
        return w;
    }
    template <typename T, typename... Args>
    void windowed(const char* kernel, int64_t threads, int rows, const Window& w, Args... args) {
        launch(std::string(kernel) + sfx<T>(), stride_grid(threads), dim3(256), rows, w.H, w.W, w.C, w.kh, w.kw, w.sh,
               w.sw, w.Ho, w.Wo, w.pt, w.pl, w.circ, args...);
    }
    // P ((N*Ho*Wo) x fan) = the patches of X (N, H, W, C).
    template <typename T>
    void im2col(int N, const Window& w, const T* X, T* P) {
        windowed<T>("ntk_im2col_", int64_t(N) * w.positions() * w.fan(), N, w, X, P);
    }
    // The parameter-free layers run the activation next to them fused: forward writes Z (pre-activation, unless
    // null) and phi(Z) for `act`; backward multiplies by phi'(Z[r / rpe]) (Z null: by 1).
    // DX (R, H, W, C) = the sums of G ((R*Ho*Wo) x fan) onto the pixels each entry was read from.
    template <typename T>
    void col2im(int R, const Window& w, const T* G, const T* Z, int rpe, int act, T* DX) {
        windowed<T>("ntk_col2im_", int64_t(R) * w.H * w.W * w.C, R, w, G, Z, rpe, act, DX);
    }
    template <typename T>
    void avgpool_forward(int N, const Window& w, const T* X, int act, T* Z, T* Y) {
        windowed<T>("ntk_avgpool_forward_", int64_t(N) * w.positions() * w.C, N, w, X, act, Z, Y);
    }
    template <typename T>
    void avgpool_backward(int R, const Window& w, const T* D, const T* Z, int rpe, int act, T* DX) {
        windowed<T>("ntk_avgpool_backward_", int64_t(R) * w.H * w.W * w.C, R, w, D, Z, rpe, act, DX);
    }
    template <typename T>
    void flatten_forward(int R, int HW, int C, const T* X, int act, T* Z, T* Y) {
        launch(std::string("ntk_flatten_forward_") + sfx<T>(), stride_grid(int64_t(R) * HW * C), dim3(256), R, HW, C,
               X, act, Z, Y);
    }
    template <typename T>
    void flatten_backward(int R, int HW, int C, const T* D, const T* Z, int rpe, int act, T* DX) {
        launch(std::string("ntk_flatten_backward_") + sfx<T>(), stride_grid(int64_t(R) * HW * C), dim3(256), R, HW, C,
               D, Z, rpe, act, DX);
    }
    // Local columns [q0, q1) of the conv layer's Jacobian block for R rows (example r / rpe): weights o*fan + j, then
    // the bias; into J[r*ldj + jcol0 + q - q0].
    template <typename T>
    void conv_jacobian_layer(int R, int rpe, int positions, int cout, int fan, const T* D, const T* P, T c, T s,
                             int has_bias, int64_t q0, int64_t q1, T* J, int64_t ldj, int64_t jcol0) {
        if (q1 <= q0 || R < 1) return;
        const int64_t gz = std::min<int64_t>(R, ntk_cfg::MAX_GRID_YZ);
        launch(std::string("ntk_conv_jacobian_layer_") + sfx<T>(), dim3(cdiv(fan + 1, 64), cdiv(cout, 64), gz),
               dim3(256), R, rpe, positions, cout, fan, D, P, c, s, has_bias, static_cast<long long>(q0),
               static_cast<long long>(q1), J, static_cast<long long>(ldj), static_cast<long long>(jcol0));
    }

private:
    cudaLibrary_t lib_ = nullptr;
    std::map<std::string, cudaKernel_t> cache_;
};

}  // namespace kern
