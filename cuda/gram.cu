// gram.cu — the P-contracted Gram product C = alpha * A B^T + beta * C.
//
// A (M x K) and B (N x K) are row-major with K contiguous; K is the huge parameter dimension when the
// Jacobian-contraction NTK is computed (Theta = J1 J2^T), so K is a 64-bit count and the leading
// dimensions are 64-bit. Batched through element strides (grid.z = batch * splits).
//
// Entry points (T = f32 / f64; argument order is part of the host contract, see cuda/README.md):
//   ntk_gram_nt_{f32,f64}        SIMT engine (gemm_nt.cuh), one launch per product, or the first pass of
//                                split-K when splits > 1 (partials into ws[batch*splits][M][N]).
//   ntk_gram_nt_tf32             opt-in TF32 tensor-core variant: inputs rounded to TF32 (10-bit
//                                mantissa, round-to-nearest), fp32 accumulation. Each product carries a
//                                relative error up to about 2^-10; expect a relative Frobenius error of
//                                the result of order 1e-4 .. 1e-3 (more under heavy cancellation),
//                                versus about 1e-6 for the fp32 SIMT kernel at moderate K.
//   ntk_gram_splitk_reduce_{f32,f64}  second pass: fixed-order sum over splits, then alpha/beta store.
//   ntk_gram_mirror_{f32,f64}    fills the strictly lower triangle from the upper one (after an
//                                `upper` launch with B == A, M == N).
//
// Launch: gram kernels 256 threads, grid (ceil(N/128), ceil(M/128), batch*splits) for f32/tf32 and
// (ceil(N/64), ceil(M/64), batch*splits) for f64. Reduce: 1-D grid-stride, any size. Mirror: 32x8
// threads, grid (ceil(N/32), ceil(N/32), batch).
//
// Versions
//   v1  SIMT fp32/fp64 + TF32 mma engines, split-K with deterministic reduction, upper-triangle + mirror.
#include "gemm_nt.cuh"

using namespace ntk;

namespace ntk_gram_impl {

template <typename T>
__device__ __forceinline__ EpiGram<T> make_epi(T* C, i64 ldc, i64 strideC, T alpha, T beta) {
    EpiGram<T> e;
    e.C = C;
    e.ldc = ldc;
    e.strideC = strideC;
    e.alpha = alpha;
    e.beta = beta;
    return e;
}

// Lower-triangle fill: C[r][q] = C[q][r] for r > q, through a 32x32 shared tile for coalescing.
template <typename T>
__device__ __forceinline__ void mirror_body(T* C, int N, i64 ldc, i64 strideC) {
    __shared__ T tile[32][33];
    const int tr = blockIdx.y * 32;  // destination rows (lower part)
    const int tc = blockIdx.x * 32;  // destination columns
    if (tr + 31 < tc) return;        // tile entirely strictly upper: nothing to fill
    T* base = C + static_cast<i64>(blockIdx.z) * strideC;
    // Read the source block C[tc.., tr..] (rows tc+y, columns tr+x), coalesced along x.
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        const int sr = tc + y, sc = tr + threadIdx.x;
        if (sr < N && sc < N) tile[y][threadIdx.x] = base[static_cast<i64>(sr) * ldc + sc];
    }
    __syncthreads();
    for (int y = threadIdx.y; y < 32; y += blockDim.y) {
        const int r = tr + y, q = tc + threadIdx.x;
        if (r < N && q < N && r > q) base[static_cast<i64>(r) * ldc + q] = tile[threadIdx.x][y];
    }
}

}  // namespace ntk_gram_impl

using namespace ntk_gram_impl;

#define NTK_GRAM_ARGS(T)                                                                                     \
    int M, int N, long long K, const T *A, long long lda, long long strideA, const T *B, long long ldb,     \
        long long strideB, T *C, long long ldc, long long strideC, T alpha, T beta, int splits, T *ws,       \
        int upper

extern "C" __global__ void __launch_bounds__(256) ntk_gram_nt_f32(NTK_GRAM_ARGS(float)) {
    simt_nt_body(make_problem<float>(M, N, K, A, lda, strideA, B, ldb, strideB, splits, ws, upper),
                 make_epi<float>(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void __launch_bounds__(256) ntk_gram_nt_f64(NTK_GRAM_ARGS(double)) {
    simt_nt_body(make_problem<double>(M, N, K, A, lda, strideA, B, ldb, strideB, splits, ws, upper),
                 make_epi<double>(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void __launch_bounds__(256) ntk_gram_nt_tf32(NTK_GRAM_ARGS(float)) {
    tf32_nt_body(make_problem<float>(M, N, K, A, lda, strideA, B, ldb, strideB, splits, ws, upper),
                 make_epi<float>(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void ntk_gram_splitk_reduce_f32(const float* ws, int batches, int splits, int M, int N,
                                                      int upper, float* C, long long ldc, long long strideC,
                                                      float alpha, float beta) {
    splitk_reduce_body(ws, batches, splits, M, N, upper, make_epi<float>(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void ntk_gram_splitk_reduce_f64(const double* ws, int batches, int splits, int M, int N,
                                                      int upper, double* C, long long ldc, long long strideC,
                                                      double alpha, double beta) {
    splitk_reduce_body(ws, batches, splits, M, N, upper, make_epi<double>(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void ntk_gram_mirror_f32(float* C, int N, long long ldc, long long strideC) {
    mirror_body(C, N, ldc, strideC);
}

extern "C" __global__ void ntk_gram_mirror_f64(double* C, int N, long long ldc, long long strideC) {
    mirror_body(C, N, ldc, strideC);
}
