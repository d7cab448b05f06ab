// helpers.cu — small element-wise and layout kernels.
//
// Entry points (T = f32 / f64 unless noted; every kernel is a grid-stride loop unless noted, so any
// 1-D grid is correct):
//   ntk_fill_{f32,f64}(T* X, long long n, T value)                 poison / zero fill
//   ntk_fill_random_{f32,f64}(T* X, long long n, unsigned long long seed, T lo, T hi)
//       X[e] = lo + (hi - lo) * u(seed, e), u in [0, 1) from a SplitMix64 hash of (seed, e): the same
//       values can be regenerated on the host (native/ does this to check sampled entries of big GEMMs).
//   ntk_convert_f64_to_f32(const double* X, float* Y, long long n), ntk_convert_f32_to_f64(...)
//   ntk_transpose_{f32,f64}(int rows, int cols, const T* X, long long ldx, T* Y, long long ldy)
//       Y[c][r] = X[r][c]; 32x32 shared tile, blocks of 32x8 threads, grid (ceil(cols/32), ceil(rows/32)).
//   ntk_full_to_trace_f64(int N1, int N2, int O, const double* full, double* out)   out = mean_a full[.,.,a,a]
//   ntk_full_to_diag_f64(int N1, int N2, int O, const double* full, double* out)    out[.,.,a] = full[.,.,a,a]
//   ntk_jc_to_full_f64(int N1, int N2, int O, const double* G, long long ldg, double* full)
//       G is the (N1*O) x (N2*O) Gram of Jacobian rows (n, a); full is (N1, N2, O, O). fp64 only: the Gram
//       output is fp64 for every input precision.
//   ntk_sq_dist_partials_{f32,f64}(const T* X, const T* X0, long long n, double* partials)
//       partials[blockIdx.x] = sum over the block's grid-stride share of (X - X0)^2 in fp64 (256 threads);
//       then ntk_sum_partials for the total (layer distances of a prepared model).
//   ntk_sgd_update_{f32,f64}(T* X, const T* G, long long n, double lr)            X -= lr * G
//   ntk_sum_partials(const double* partials, int n, double scale, double* out)
//       *out = scale * sum(partials), one block of 256 threads, fixed order (deterministic).
//   ntk_count_nonfinite_{f32,f64}(const T* X, long long n, unsigned long long* count)   adds NaN/Inf count
//
// Versions
//   v1  first set.
//   v2  layout helpers in fp64 only; squared-distance partials and the gradient-descent update (prepared models).
#include "common.cuh"

using namespace ntk;

namespace ntk_helpers_impl {

__host__ __device__ __forceinline__ unsigned long long splitmix64(unsigned long long x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#define GRID_STRIDE(e, n)                                                                        \
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < (n);               \
         e += static_cast<i64>(gridDim.x) * blockDim.x)

template <typename T>
__device__ __forceinline__ void fill(T* X, i64 n, T v) {
    GRID_STRIDE(e, n) X[e] = v;
}

template <typename T>
__device__ __forceinline__ void fill_random(T* X, i64 n, unsigned long long seed, T lo, T hi) {
    GRID_STRIDE(e, n) {
        const unsigned long long h = splitmix64(seed ^ splitmix64(static_cast<unsigned long long>(e)));
        const double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
        // Explicit roundings (no contraction into an fma) so the host can reproduce every value exactly.
        const double span = __dsub_rn(static_cast<double>(hi), static_cast<double>(lo));
        X[e] = static_cast<T>(__dadd_rn(static_cast<double>(lo), __dmul_rn(span, u)));
    }
}

template <typename T>
__device__ __forceinline__ void transpose(int rows, int cols, const T* X, i64 ldx, T* Y, i64 ldy) {
    __shared__ T tile[32][33];
    const int r0 = blockIdx.y * 32, c0 = blockIdx.x * 32;
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        const int r = r0 + y, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[y][threadIdx.x] = X[static_cast<i64>(r) * ldx + c];
    }
    __syncthreads();
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        const int c = c0 + y, r = r0 + threadIdx.x;
        if (r < rows && c < cols) Y[static_cast<i64>(c) * ldy + r] = tile[threadIdx.x][y];
    }
}

template <typename T>
__device__ __forceinline__ void full_to_trace(int N1, int N2, int O, const T* full, T* out) {
    const i64 total = static_cast<i64>(N1) * N2;
    const T inv = T(1) / T(O);
    GRID_STRIDE(e, total) {
        const T* blk = full + e * O * O;
        T s = T(0);
        for (int a = 0; a < O; ++a) s += blk[static_cast<i64>(a) * O + a];
        out[e] = s * inv;
    }
}

template <typename T>
__device__ __forceinline__ void full_to_diag(int N1, int N2, int O, const T* full, T* out) {
    const i64 total = static_cast<i64>(N1) * N2 * O;
    GRID_STRIDE(e, total) {
        const i64 pair = e / O;
        const int a = static_cast<int>(e - pair * O);
        out[e] = full[(pair * O + a) * O + a];
    }
}

template <typename T>
__device__ __forceinline__ void jc_to_full(int N1, int N2, int O, const T* G, i64 ldg, T* full) {
    const i64 total = static_cast<i64>(N1) * N2 * O * O;
    GRID_STRIDE(e, total) {
        i64 t = e;
        const int b = static_cast<int>(t % O);
        t /= O;
        const int a = static_cast<int>(t % O);
        t /= O;
        const int n2 = static_cast<int>(t % N2);
        const int n1 = static_cast<int>(t / N2);
        full[e] = G[(static_cast<i64>(n1) * O + a) * ldg + static_cast<i64>(n2) * O + b];
    }
}

template <typename T>
__device__ __forceinline__ bool finite_val(T v) {
    return isfinite(v);
}

template <typename T>
__device__ __forceinline__ void count_nonfinite(const T* X, i64 n, unsigned long long* count) {
    unsigned long long local = 0;
    GRID_STRIDE(e, n) local += finite_val(X[e]) ? 0ull : 1ull;
    if (local != 0) atomicAdd(count, local);
}

}  // namespace ntk_helpers_impl

using namespace ntk_helpers_impl;

extern "C" __global__ void ntk_fill_f32(float* X, long long n, float v) { fill(X, n, v); }
extern "C" __global__ void ntk_fill_f64(double* X, long long n, double v) { fill(X, n, v); }

extern "C" __global__ void ntk_fill_random_f32(float* X, long long n, unsigned long long seed, float lo, float hi) {
    fill_random(X, n, seed, lo, hi);
}
extern "C" __global__ void ntk_fill_random_f64(double* X, long long n, unsigned long long seed, double lo,
                                               double hi) {
    fill_random(X, n, seed, lo, hi);
}

extern "C" __global__ void ntk_convert_f64_to_f32(const double* X, float* Y, long long n) {
    GRID_STRIDE(e, n) Y[e] = static_cast<float>(X[e]);
}
extern "C" __global__ void ntk_convert_f32_to_f64(const float* X, double* Y, long long n) {
    GRID_STRIDE(e, n) Y[e] = static_cast<double>(X[e]);
}

extern "C" __global__ void ntk_transpose_f32(int rows, int cols, const float* X, long long ldx, float* Y,
                                             long long ldy) {
    transpose(rows, cols, X, ldx, Y, ldy);
}
extern "C" __global__ void ntk_transpose_f64(int rows, int cols, const double* X, long long ldx, double* Y,
                                             long long ldy) {
    transpose(rows, cols, X, ldx, Y, ldy);
}

extern "C" __global__ void ntk_full_to_trace_f64(int N1, int N2, int O, const double* full, double* out) {
    full_to_trace(N1, N2, O, full, out);
}
extern "C" __global__ void ntk_full_to_diag_f64(int N1, int N2, int O, const double* full, double* out) {
    full_to_diag(N1, N2, O, full, out);
}
extern "C" __global__ void ntk_jc_to_full_f64(int N1, int N2, int O, const double* G, long long ldg, double* full) {
    jc_to_full(N1, N2, O, G, ldg, full);
}

template <typename T>
__device__ __forceinline__ void sq_dist_partials(const T* X, const T* X0, i64 n, double* partials) {
    __shared__ double red[256];
    double acc = 0.0;
    GRID_STRIDE(e, n) {
        const double d = static_cast<double>(X[e]) - static_cast<double>(X0[e]);
        acc += d * d;
    }
    red[threadIdx.x] = acc;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (static_cast<int>(threadIdx.x) < w) red[threadIdx.x] += red[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) partials[blockIdx.x] = red[0];
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_sq_dist_partials_f32(const float* X, const float* X0, long long n, double* partials) {
    sq_dist_partials(X, X0, n, partials);
}
extern "C" __global__ void __launch_bounds__(256)
    ntk_sq_dist_partials_f64(const double* X, const double* X0, long long n, double* partials) {
    sq_dist_partials(X, X0, n, partials);
}

// The update in fp64 before rounding to T, so an fp32 step is one rounding of the exact θ − lr·g.
extern "C" __global__ void ntk_sgd_update_f32(float* X, const float* G, long long n, double lr) {
    GRID_STRIDE(e, n) X[e] = static_cast<float>(static_cast<double>(X[e]) - lr * static_cast<double>(G[e]));
}
extern "C" __global__ void ntk_sgd_update_f64(double* X, const double* G, long long n, double lr) {
    GRID_STRIDE(e, n) X[e] = X[e] - lr * G[e];
}

extern "C" __global__ void __launch_bounds__(256) ntk_sum_partials(const double* partials, int n, double scale,
                                                                   double* out) {
    __shared__ double red[256];
    double acc = 0.0;
    for (int e = threadIdx.x; e < n; e += blockDim.x) acc += partials[e];
    red[threadIdx.x] = acc;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (static_cast<int>(threadIdx.x) < w) red[threadIdx.x] += red[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) *out = scale * red[0];
}

extern "C" __global__ void ntk_count_nonfinite_f32(const float* X, long long n, unsigned long long* count) {
    count_nonfinite(X, n, count);
}
extern "C" __global__ void ntk_count_nonfinite_f64(const double* X, long long n, unsigned long long* count) {
    count_nonfinite(X, n, count);
}
