// gram.cu — the P-contracted Gram product C = alpha * A B^T + beta * C.
//
// A (M x K) and B (N x K) are row-major with K contiguous; K is the huge parameter dimension when the
// Jacobian-contraction NTK is computed (Theta = J1 J2^T), so K is a 64-bit count and the leading
// dimensions are 64-bit. Batched through element strides (grid.z = batch * splits).
//
// The output C, alpha, beta and the split-K workspace are fp64 for every input type: fp32 products are summed
// in fp32 over at most SLICE_K terms and in fp64 beyond (gemm_nt.cuh), and C accumulates P chunks (beta = 1)
// in fp64 too.
//
// Entry points (T = f32 / f64 inputs; argument order is part of the host contract, see cuda/README.md):
//   ntk_gram_nt_{f32,f64}(int M, int N, long long K, const T* A, long long lda, long long strideA,
//       const T* B, long long ldb, long long strideB, double* C, long long ldc, long long strideC,
//       double alpha, double beta, int splits, double* ws, int upper)
//                                SIMT engine (gemm_nt.cuh), one launch per product, or the first pass of
//                                split-K when splits > 1 (fp64 partials into ws[batch*splits][M][N]).
//   ntk_gram_nt_tf32             (same arguments as f32) opt-in TF32 tensor-core variant: inputs rounded to
//                                TF32 (10-bit mantissa, cvt.rna), fp32 accumulation within a slice. Each
//                                product carries a relative error up to about 2^-10; expect a relative
//                                Frobenius error of order 1e-4 .. 1e-3 (more under heavy cancellation).
//   ntk_gram_splitk_reduce(const double* ws, int batches, int splits, int M, int N, int upper, double* C,
//       long long ldc, long long strideC, double alpha, double beta)
//                                second pass: fixed-order sum over splits, then alpha/beta store.
//   ntk_gram_mirror(double* C, int N, long long ldc, long long strideC)
//                                fills the strictly lower triangle from the upper one (after an `upper`
//                                launch with B == A, M == N).
//
// `upper` with beta != 0: only the upper triangle of alpha A A^T + beta C is formed and the mirror copies it
// down, so the result is right only when the incoming C is symmetric (the harness tests exactly that).
//
// Launch: gram kernels 256 threads, grid (ceil(N/BN), ceil(M/BM), batch*splits) with the tiles of
// launch_config.h (128x128 for f32/tf32, 64x64 for f64). Reduce: 1-D grid-stride, any size. Mirror: 32x8
// threads, grid (ceil(N/32), ceil(N/32), batch).
//
// Versions
//   v1  SIMT fp32/fp64 + TF32 mma engines, split-K with deterministic reduction, upper-triangle + mirror.
//   v2  fp64 output, workspace and alpha/beta for every input type (one reduce and one mirror kernel).
#include "gemm_nt.cuh"

using namespace ntk;

namespace ntk_gram_impl {

__device__ __forceinline__ EpiGram make_epi(double* C, i64 ldc, i64 strideC, double alpha, double beta) {
    EpiGram e;
    e.C = C;
    e.ldc = ldc;
    e.strideC = strideC;
    e.alpha = alpha;
    e.beta = beta;
    return e;
}

// Lower-triangle fill: C[r][q] = C[q][r] for r > q, through a 32x32 shared tile for coalescing.
__device__ __forceinline__ void mirror_body(double* C, int N, i64 ldc, i64 strideC) {
    __shared__ double tile[32][33];
    const int tr = blockIdx.y * 32;  // destination rows (lower part)
    const int tc = blockIdx.x * 32;  // destination columns
    if (tr + 31 < tc) return;        // tile entirely strictly upper: nothing to fill
    double* base = C + static_cast<i64>(blockIdx.z) * strideC;
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
        long long strideB, double *C, long long ldc, long long strideC, double alpha, double beta, int splits, \
        double *ws, int upper

extern "C" __global__ void __launch_bounds__(256) ntk_gram_nt_f32(NTK_GRAM_ARGS(float)) {
    simt_nt_body(make_problem<float>(M, N, K, A, lda, strideA, B, ldb, strideB, splits, ws, upper),
                 make_epi(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void __launch_bounds__(256) ntk_gram_nt_f64(NTK_GRAM_ARGS(double)) {
    simt_nt_body(make_problem<double>(M, N, K, A, lda, strideA, B, ldb, strideB, splits, ws, upper),
                 make_epi(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void __launch_bounds__(256) ntk_gram_nt_tf32(NTK_GRAM_ARGS(float)) {
    tf32_nt_body(make_problem<float>(M, N, K, A, lda, strideA, B, ldb, strideB, splits, ws, upper),
                 make_epi(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void ntk_gram_splitk_reduce(const double* ws, int batches, int splits, int M, int N, int upper,
                                                  double* C, long long ldc, long long strideC, double alpha,
                                                  double beta) {
    splitk_reduce_body(ws, batches, splits, M, N, upper, make_epi(C, ldc, strideC, alpha, beta));
}

extern "C" __global__ void ntk_gram_mirror(double* C, int N, long long ldc, long long strideC) {
    mirror_body(C, N, ldc, strideC);
}
