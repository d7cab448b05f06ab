// common.cuh — shared device helpers for the ntk4j kernels.
//
// Contents: integer helpers, activation functions and their derivatives (codes shared with the host),
// cp.async wrappers (16-byte and element-sized, with zero fill), and the launch-time constants that the
// host side mirrors.
//
// Versions
//   v1  first version: activations (identity, relu, erf, tanh, exact gelu), cp.async wrappers.
#pragma once

#include <cuda_runtime.h>
#include <stdint.h>

namespace ntk {

// Activation codes; the host passes these as int kernel arguments.
enum Act : int {
    ACT_IDENTITY = 0,
    ACT_RELU = 1,
    ACT_ERF = 2,
    ACT_TANH = 3,
    ACT_GELU = 4,
};

typedef long long i64;

__host__ __device__ __forceinline__ i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }

// ---------------------------------------------------------------------------------------------------
// Activations. phi(z) and phi'(z) for every supported code; unknown codes behave as identity.
// ---------------------------------------------------------------------------------------------------
__device__ __forceinline__ float act_erf(float x) { return erff(x); }
__device__ __forceinline__ double act_erf(double x) { return erf(x); }
__device__ __forceinline__ float act_exp(float x) { return expf(x); }
__device__ __forceinline__ double act_exp(double x) { return exp(x); }
__device__ __forceinline__ float act_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double act_tanh(double x) { return tanh(x); }

template <typename T>
__device__ __forceinline__ T act_phi(int act, T z) {
    const T inv_sqrt2 = T(0.70710678118654752440);
    switch (act) {
        case ACT_RELU: return z > T(0) ? z : T(0);
        case ACT_ERF: return act_erf(z);
        case ACT_TANH: return act_tanh(z);
        case ACT_GELU: return T(0.5) * z * (T(1) + act_erf(z * inv_sqrt2));
        default: return z;
    }
}

template <typename T>
__device__ __forceinline__ T act_dphi(int act, T z) {
    const T inv_sqrt2 = T(0.70710678118654752440);
    const T two_over_sqrt_pi = T(1.12837916709551257390);
    const T inv_sqrt_2pi = T(0.39894228040143267794);
    switch (act) {
        case ACT_RELU: return z > T(0) ? T(1) : T(0);
        case ACT_ERF: return two_over_sqrt_pi * act_exp(-z * z);
        case ACT_TANH: {
            T t = act_tanh(z);
            return T(1) - t * t;
        }
        case ACT_GELU: return T(0.5) * (T(1) + act_erf(z * inv_sqrt2)) + z * inv_sqrt_2pi * act_exp(T(-0.5) * z * z);
        default: return T(1);
    }
}

// ---------------------------------------------------------------------------------------------------
// cp.async (sm_80+). The src_bytes form zero-fills the destination beyond src_bytes, which is how the
// tile loaders handle rows past M/N and the K tail without branches around the copy.
// ---------------------------------------------------------------------------------------------------
__device__ __forceinline__ unsigned smem_addr(const void* p) {
    return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// 16-byte copy, L2 only (streamed operands are not reused from L1).
__device__ __forceinline__ void cp_async_16(void* smem, const void* gmem, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(smem)), "l"(gmem),
                 "r"(src_bytes)
                 : "memory");
}

// Element-sized copies for operands whose rows are not 16-byte aligned.
__device__ __forceinline__ void cp_async_elem(float* smem, const float* gmem, int src_bytes) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(smem_addr(smem)), "l"(gmem),
                 "r"(src_bytes)
                 : "memory");
}
__device__ __forceinline__ void cp_async_elem(double* smem, const double* gmem, int src_bytes) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(smem_addr(smem)), "l"(gmem),
                 "r"(src_bytes)
                 : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// 16-byte vector type per element type.
template <typename T> struct Vec16;
template <> struct Vec16<float> {
    typedef float4 type;
    static constexpr int n = 4;
};
template <> struct Vec16<double> {
    typedef double2 type;
    static constexpr int n = 2;
};

__device__ __forceinline__ bool is_aligned16(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

// acc[u][v] += sum over k < KB of A[k][ty + 16u] * B[k][tx + 16v]: the 4x4 outer products of a 256-thread block's
// 64x64 tile (weight gradient, conv Jacobian block), the two operands staged in shared memory k-major.
template <typename T, int KB, int TILE>
__device__ __forceinline__ void tile_outer_4x4(const T (*A)[TILE], const T (*B)[TILE], int tx, int ty,
                                               T (&acc)[4][4]) {
#pragma unroll
    for (int k = 0; k < KB; ++k) {
        T a[4], b[4];
#pragma unroll
        for (int u = 0; u < 4; ++u) a[u] = A[k][ty + 16 * u];
#pragma unroll
        for (int v = 0; v < 4; ++v) b[v] = B[k][tx + 16 * v];
#pragma unroll
        for (int u = 0; u < 4; ++u)
#pragma unroll
            for (int v = 0; v < 4; ++v) acc[u][v] = fma(a[u], b[v], acc[u][v]);
    }
}

}  // namespace ntk
