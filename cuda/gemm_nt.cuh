// gemm_nt.cuh — the NT-GEMM engine shared by gram.cu, structured.cu, forward.cu and backward.cu.
//
// Computes, per batch entry, acc(r, q) = sum_k A[r, k] * B[q, k] for A (M x K) and B (N x K), both
// row-major with K contiguous ("NT" in row-major terms: C = A B^T). What happens to acc(r, q) is the
// epilogue's business: a plain C = alpha*acc + beta*C store, a structured-NTK accumulation, a fused
// bias+activation for the forward pass, or an activation-derivative product for backward. With
// split-K, each split writes raw partials to an fp64 workspace instead, and a second pass
// (splitk_reduce_body) sums them in a fixed order and then applies the same epilogue, so results are
// bit-for-bit reproducible.
//
// Long reductions. For epilogues that are linear in acc (Gram, structured: `kLinear`) in fp32 and TF32, a
// thread's fp32 partial sums run over at most SLICE_K consecutive k (launch_config.h); each slice is then
// added, in fp64 and in k order, into the block's fp64 partial in the workspace, and the reduce pass sums
// the splits in fp64 and applies the epilogue (whose output is fp64 too). So no fp32 chain is longer than
// SLICE_K whatever K and the split count are, and the error of an fp32 Gram no longer grows with K (a
// sequential fp32 chain of K non-negative terms, such as an NTK diagonal, loses up to ~K·2^-24). The
// workspace and the reduce pass are used when splits > 1 or K > SLICE_K (`uses_workspace`, mirrored by the
// hosts); a product with one slice and no split goes straight to the epilogue. Non-linear epilogues (forward,
// backward) get the whole sum at once and never split.
//
// Engines
//   simt_nt_body<T>   fp32: 128x128x16 block tile, 256 threads, 8x8 register tile per thread.
//                     fp64:  64x 64x16 block tile, 256 threads, 4x4 register tile per thread.
//                     Both operands are stored K-major in shared memory ([row][BK + PAD]); each thread
//                     reads 16-byte vectors along k (float4 / double2), and the padding of one 16-byte
//                     vector per row keeps the eight rows a quarter-warp reads in distinct banks.
//                     Two shared-memory stages filled by cp.async (16-byte copies when the operand's
//                     rows are 16-byte aligned, element copies otherwise); rows past M/N and the K tail
//                     are zero-filled by the copy itself, so the inner loop has no bounds checks.
//   tf32_nt_body      fp32 inputs rounded to TF32 (cvt.rna), mma.sync.m16n8k8 tensor-core products,
//                     fp32 accumulation. 128x128x16 block tile, 8 warps of 64x32. Same loader.
//
// Grid: x = N tiles, y = M tiles, z = batch * splits. Tiles strictly below the diagonal are skipped
// when `upper` is set (B is A; a mirror pass fills the lower triangle).
//
// Versions
//   v1  SIMT engine (fp32/fp64), TF32 mma engine, split-K partials + fixed-order reduction, batch via
//       grid.z with element strides, upper-triangle tile skipping.
//   v2  fp32/TF32 chains capped at SLICE_K and accumulated in fp64 (slices, splits, and through the
//       epilogue's fp64 output also chunks and layers); split-K partials in fp64; tile constants from
//       launch_config.h.
#pragma once

#include "common.cuh"
#include "launch_config.h"

namespace ntk {

// JH: how many B vectors a thread holds at once (JH < TN trades extra A reads for fewer registers).
template <typename T> struct SimtTile;
template <> struct SimtTile<float> {
    static constexpr int BM = ntk_cfg::F32_BM, BN = ntk_cfg::F32_BN, BK = ntk_cfg::BK, TM = 8, TN = 8, JH = 8,
                         THREADS = ntk_cfg::THREADS, PAD = 4;
};
template <> struct SimtTile<double> {
    static constexpr int BM = ntk_cfg::F64_BM, BN = ntk_cfg::F64_BN, BK = ntk_cfg::BK, TM = 4, TN = 4, JH = 4,
                         THREADS = ntk_cfg::THREADS, PAD = 2;
};

struct Tf32Tile {
    static constexpr int BM = ntk_cfg::TF32_BM, BN = ntk_cfg::TF32_BN, BK = ntk_cfg::BK, THREADS = ntk_cfg::THREADS,
                         PAD = 4;
    static constexpr int WM = 64, WN = 32;  // warp tile; 2 x 4 warps
    static constexpr int MT = WM / 16, NT = WN / 8;
};

// Problem description shared by every NT-GEMM based kernel.
template <typename T>
struct NtProblem {
    int M, N;
    i64 K;
    const T* A;
    i64 lda, strideA;
    const T* B;
    i64 ldb, strideB;
    int splits;  // >= 1; gridDim.z == batch * splits
    double* ws;  // split-K partials (fp64), laid out [batch * splits][M][N]; unused when splits == 1
    int upper;   // nonzero: skip tiles strictly below the diagonal
};

// A problem from its fields; splits below 1 mean no split.
template <typename T>
__device__ __forceinline__ NtProblem<T> make_problem(int M, int N, i64 K, const T* A, i64 lda, i64 strideA,
                                                     const T* B, i64 ldb, i64 strideB, int splits, double* ws,
                                                     int upper) {
    NtProblem<T> p;
    p.M = M;
    p.N = N;
    p.K = K;
    p.A = A;
    p.lda = lda;
    p.strideA = strideA;
    p.B = B;
    p.ldb = ldb;
    p.strideB = strideB;
    p.splits = splits < 1 ? 1 : splits;
    p.ws = ws;
    p.upper = upper;
    return p;
}

// Loads a ROWS x BK tile of X (rows row0.., columns k0..) into shared memory laid out [ROWS][LDS].
template <typename T, int ROWS, int BK, int LDS, int THREADS>
__device__ __forceinline__ void load_tile(T* __restrict__ s, const T* __restrict__ X, i64 ld, int rows,
                                          int row0, i64 K, i64 k0, bool vec_ok) {
    constexpr int V = Vec16<T>::n;
    constexpr int CPR = BK / V;  // 16-byte chunks per tile row
    constexpr int CHUNKS = ROWS * CPR;
    static_assert(CHUNKS % THREADS == 0, "tile chunks must divide evenly over the block");
#pragma unroll
    for (int it = 0; it < CHUNKS / THREADS; ++it) {
        const int c = threadIdx.x + it * THREADS;
        const int r = c / CPR;
        const int kc = (c % CPR) * V;
        const int gr = row0 + r;
        const i64 gk = k0 + kc;
        T* dst = s + r * LDS + kc;
        const i64 rem = K - gk;
        const int n = (gr < rows) ? (rem <= 0 ? 0 : (rem >= V ? V : static_cast<int>(rem))) : 0;
        // With n == 0 nothing is read, but the address still points inside the operand.
        const T* src = (n > 0) ? X + static_cast<i64>(gr) * ld + gk : X;
        if (vec_ok) {
            cp_async_16(dst, src, n * static_cast<int>(sizeof(T)));
        } else {
#pragma unroll
            for (int e = 0; e < V; ++e) {
                const bool in = e < n;
                cp_async_elem(dst + e, in ? src + e : src, in ? static_cast<int>(sizeof(T)) : 0);
            }
        }
    }
}

__device__ __forceinline__ void fma_vec(const float4& a, const float4& b, float& acc) {
    acc = fmaf(a.x, b.x, acc);
    acc = fmaf(a.y, b.y, acc);
    acc = fmaf(a.z, b.z, acc);
    acc = fmaf(a.w, b.w, acc);
}
__device__ __forceinline__ void fma_vec(const double2& a, const double2& b, double& acc) {
    acc = fma(a.x, b.x, acc);
    acc = fma(a.y, b.y, acc);
}

// Decodes blockIdx.z and the split's k-tile range. Returns false when the block has nothing to do.
struct BlockWork {
    int batch, split;
    i64 kt0, kt1;
};

template <int BK, typename T>
__device__ __forceinline__ BlockWork block_work(const NtProblem<T>& p) {
    BlockWork w;
    const int z = blockIdx.z;
    w.batch = z / p.splits;
    w.split = z - w.batch * p.splits;
    const i64 k_tiles = ceil_div(p.K, BK);
    const i64 per = ceil_div(k_tiles, p.splits);
    w.kt0 = static_cast<i64>(w.split) * per;
    w.kt1 = w.kt0 + per < k_tiles ? w.kt0 + per : k_tiles;
    return w;
}

// k-tiles per fp32 slice for this epilogue and element type: SLICE_K for linear epilogues in fp32 (TF32 too),
// unbounded otherwise (fp64 chains, and non-linear epilogues, which need the whole sum at once).
template <typename T, class Epi>
__device__ __forceinline__ i64 slice_ktiles(int bk) {
    return (Epi::kLinear && sizeof(T) == 4) ? static_cast<i64>(ntk_cfg::SLICE_K / bk) : (static_cast<i64>(1) << 62);
}

// Whether the block's sums go to the fp64 workspace (and a reduce pass applies the epilogue): with split-K, and
// when an fp32 product has more than one slice. The hosts mirror this rule to allocate ws and launch the reduce.
__host__ __device__ __forceinline__ bool uses_workspace(bool fp32, i64 K, int splits) {
    return splits > 1 || (fp32 && K > ntk_cfg::SLICE_K);
}

// Adds one slice's sum of element (r, q) into the block's fp64 partial (written by the first slice).
template <typename T>
__device__ __forceinline__ void add_partial(const NtProblem<T>& p, int r, int q, T v, bool first) {
    double* w = p.ws + (static_cast<i64>(blockIdx.z) * p.M + r) * p.N + q;
    *w = first ? static_cast<double>(v) : *w + static_cast<double>(v);
}

// The block's last slice of element (r, q): into the workspace, or straight to the epilogue.
template <typename T, class Epi>
__device__ __forceinline__ void store(const NtProblem<T>& p, const Epi& epi, bool to_ws, int batch, int r, int q,
                                      T v, bool first) {
    if constexpr (Epi::kLinear) {
        if (to_ws) {
            add_partial(p, r, q, v, first);
        } else {
            epi.apply(batch, r, q, static_cast<double>(v));
        }
    } else {
        epi.apply(batch, r, q, v);
    }
}

// The end of the k-slice that starts at s0, within [s0, end).
__device__ __forceinline__ i64 slice_end(i64 s0, i64 end, i64 slice) { return end - s0 > slice ? s0 + slice : end; }

// ---------------------------------------------------------------------------------------------------
// SIMT engine.
// ---------------------------------------------------------------------------------------------------
template <typename T, class Epi>
__device__ __forceinline__ void simt_nt_body(const NtProblem<T>& p, const Epi& epi) {
    typedef SimtTile<T> C;
    typedef typename Vec16<T>::type VT;
    constexpr int V = Vec16<T>::n;
    constexpr int BM = C::BM, BN = C::BN, BK = C::BK, TM = C::TM, TN = C::TN, JH = C::JH, LDS = BK + C::PAD;
    constexpr int TX = BN / TN, TY = BM / TM;
    static_assert(TX * TY == C::THREADS, "thread layout");
    static_assert(BK % V == 0, "BK must hold whole vectors");

    __shared__ __align__(16) T As[2][BM * LDS];
    __shared__ __align__(16) T Bs[2][BN * LDS];

    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    if (p.upper && m0 > n0 + BN - 1) return;  // uniform over the block

    const BlockWork w = block_work<BK>(p);
    const T* A = p.A + static_cast<i64>(w.batch) * p.strideA;
    const T* B = p.B + static_cast<i64>(w.batch) * p.strideB;
    const bool vecA = (p.lda % V == 0) && is_aligned16(A);
    const bool vecB = (p.ldb % V == 0) && is_aligned16(B);

    const int tx = threadIdx.x % TX;
    const int ty = threadIdx.x / TX;

    const i64 slice = slice_ktiles<T, Epi>(BK);
    const bool to_ws = Epi::kLinear && uses_workspace(sizeof(T) == 4, p.K, p.splits);
    T acc[TM][TN];
    i64 s0 = w.kt0;
    bool first = true;
    for (;;) {  // one fp32 slice of k-tiles per iteration (a single one for fp64 and non-linear epilogues)
        const i64 s1 = slice_end(s0, w.kt1, slice);
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
            for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

        if (s0 < s1) {
            load_tile<T, BM, BK, LDS, C::THREADS>(As[0], A, p.lda, p.M, m0, p.K, s0 * BK, vecA);
            load_tile<T, BN, BK, LDS, C::THREADS>(Bs[0], B, p.ldb, p.N, n0, p.K, s0 * BK, vecB);
            cp_async_commit();
            for (i64 kt = s0; kt < s1; ++kt) {
                const int s = static_cast<int>((kt - s0) & 1);
                if (kt + 1 < s1) {
                    load_tile<T, BM, BK, LDS, C::THREADS>(As[s ^ 1], A, p.lda, p.M, m0, p.K, (kt + 1) * BK, vecA);
                    load_tile<T, BN, BK, LDS, C::THREADS>(Bs[s ^ 1], B, p.ldb, p.N, n0, p.K, (kt + 1) * BK, vecB);
                    cp_async_commit();
                    cp_async_wait<1>();
                } else {
                    cp_async_wait<0>();
                }
                __syncthreads();
                const T* as = As[s];
                const T* bs = Bs[s];
#pragma unroll
                for (int kk = 0; kk < BK; kk += V) {
#pragma unroll
                    for (int jh = 0; jh < TN; jh += JH) {
                        VT b[JH];
#pragma unroll
                        for (int j = 0; j < JH; ++j)
                            b[j] = *reinterpret_cast<const VT*>(bs + (tx + (jh + j) * TX) * LDS + kk);
#pragma unroll
                        for (int i = 0; i < TM; ++i) {
                            const VT a = *reinterpret_cast<const VT*>(as + (ty + i * TY) * LDS + kk);
#pragma unroll
                            for (int j = 0; j < JH; ++j) fma_vec(a, b[j], acc[i][jh + j]);
                        }
                    }
                }
                __syncthreads();
            }
        }

        if (s1 >= w.kt1) break;
        if constexpr (Epi::kLinear) {  // more slices follow: this one into the fp64 partial
#pragma unroll
            for (int i = 0; i < TM; ++i) {
                const int r = m0 + ty + i * TY;
#pragma unroll
                for (int j = 0; j < TN; ++j) {
                    const int q = n0 + tx + j * TX;
                    if (r < p.M && q < p.N) add_partial(p, r, q, acc[i][j], first);
                }
            }
        }
        first = false;
        s0 = s1;
    }

#pragma unroll
    for (int i = 0; i < TM; ++i) {
        const int r = m0 + ty + i * TY;
        if (r >= p.M) continue;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            const int q = n0 + tx + j * TX;
            if (q < p.N) store(p, epi, to_ws, w.batch, r, q, acc[i][j], first);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// TF32 tensor-core engine (fp32 in, fp32 accumulate).
// ---------------------------------------------------------------------------------------------------
__device__ __forceinline__ unsigned to_tf32(float x) {
    unsigned u;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(u) : "f"(x));
    return u;
}

__device__ __forceinline__ void mma_tf32_16x8x8(float (&c)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

template <class Epi>
__device__ __forceinline__ void tf32_nt_body(const NtProblem<float>& p, const Epi& epi) {
    typedef Tf32Tile C;
    constexpr int BM = C::BM, BN = C::BN, BK = C::BK, LDS = BK + C::PAD;
    constexpr int MT = C::MT, NT = C::NT;

    __shared__ __align__(16) float As[2][BM * LDS];
    __shared__ __align__(16) float Bs[2][BN * LDS];

    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    if (p.upper && m0 > n0 + BN - 1) return;

    const BlockWork w = block_work<BK>(p);
    const float* A = p.A + static_cast<i64>(w.batch) * p.strideA;
    const float* B = p.B + static_cast<i64>(w.batch) * p.strideB;
    const bool vecA = (p.lda % 4 == 0) && is_aligned16(A);
    const bool vecB = (p.ldb % 4 == 0) && is_aligned16(B);

    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int g = lane >> 2;  // groupID
    const int t = lane & 3;   // thread in group
    const int wm = (warp / (BN / C::WN)) * C::WM;
    const int wn = (warp % (BN / C::WN)) * C::WN;

    const i64 slice = slice_ktiles<float, Epi>(BK);
    const bool to_ws = uses_workspace(true, p.K, p.splits);
    float acc[MT][NT][4];
    i64 s0 = w.kt0;
    bool first = true;
    for (;;) {  // one fp32 slice of k-tiles per iteration
        const i64 s1 = slice_end(s0, w.kt1, slice);
#pragma unroll
        for (int i = 0; i < MT; ++i)
#pragma unroll
            for (int j = 0; j < NT; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

        if (s0 < s1) {
            load_tile<float, BM, BK, LDS, C::THREADS>(As[0], A, p.lda, p.M, m0, p.K, s0 * BK, vecA);
            load_tile<float, BN, BK, LDS, C::THREADS>(Bs[0], B, p.ldb, p.N, n0, p.K, s0 * BK, vecB);
            cp_async_commit();
            for (i64 kt = s0; kt < s1; ++kt) {
                const int s = static_cast<int>((kt - s0) & 1);
                if (kt + 1 < s1) {
                    load_tile<float, BM, BK, LDS, C::THREADS>(As[s ^ 1], A, p.lda, p.M, m0, p.K, (kt + 1) * BK,
                                                              vecA);
                    load_tile<float, BN, BK, LDS, C::THREADS>(Bs[s ^ 1], B, p.ldb, p.N, n0, p.K, (kt + 1) * BK,
                                                              vecB);
                    cp_async_commit();
                    cp_async_wait<1>();
                } else {
                    cp_async_wait<0>();
                }
                __syncthreads();
                const float* as = As[s] + wm * LDS;
                const float* bs = Bs[s] + wn * LDS;
#pragma unroll
                for (int ks = 0; ks < BK; ks += 8) {
                    unsigned af[MT][4];
                    unsigned bf[NT][2];
#pragma unroll
                    for (int i = 0; i < MT; ++i) {
                        const float* a0 = as + (i * 16 + g) * LDS + ks + t;
                        af[i][0] = to_tf32(a0[0]);
                        af[i][1] = to_tf32(a0[8 * LDS]);
                        af[i][2] = to_tf32(a0[4]);
                        af[i][3] = to_tf32(a0[8 * LDS + 4]);
                    }
#pragma unroll
                    for (int j = 0; j < NT; ++j) {
                        const float* b0 = bs + (j * 8 + g) * LDS + ks + t;
                        bf[j][0] = to_tf32(b0[0]);
                        bf[j][1] = to_tf32(b0[4]);
                    }
#pragma unroll
                    for (int i = 0; i < MT; ++i)
#pragma unroll
                        for (int j = 0; j < NT; ++j) mma_tf32_16x8x8(acc[i][j], af[i], bf[j]);
                }
                __syncthreads();
            }
        }

        // One store site (a second one puts the accumulators in local memory): a slice that more slices follow
        // goes into the fp64 partial, the last one is stored.
        const bool last = s1 >= w.kt1;
#pragma unroll
        for (int i = 0; i < MT; ++i)
#pragma unroll
            for (int j = 0; j < NT; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int r = m0 + wm + i * 16 + g + ((e & 2) ? 8 : 0);
                    const int q = n0 + wn + j * 8 + t * 2 + (e & 1);
                    if (r < p.M && q < p.N) {
                        if (last) {
                            store(p, epi, to_ws, w.batch, r, q, acc[i][j][e], first);
                        } else {
                            add_partial(p, r, q, acc[i][j][e], first);
                        }
                    }
                }
        if (last) break;
        first = false;
        s0 = s1;
    }
}

// ---------------------------------------------------------------------------------------------------
// Split-K second pass: sums the fp64 partials of each element over the splits in index order, then hands
// the sum to the (linear) epilogue. Grid-stride over batch * M * N elements.
// ---------------------------------------------------------------------------------------------------
template <class Epi>
__device__ __forceinline__ void splitk_reduce_body(const double* __restrict__ ws, int batches, int splits, int M,
                                                   int N, int upper, const Epi& epi) {
    const i64 mn = static_cast<i64>(M) * N;
    const i64 total = static_cast<i64>(batches) * mn;
    for (i64 idx = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
         idx += static_cast<i64>(gridDim.x) * blockDim.x) {
        const int batch = static_cast<int>(idx / mn);
        const i64 rem = idx - batch * mn;
        const int r = static_cast<int>(rem / N);
        const int q = static_cast<int>(rem - static_cast<i64>(r) * N);
        if (upper && r > q) continue;
        const double* src = ws + static_cast<i64>(batch) * splits * mn + rem;
        double sum = 0.0;
        for (int s = 0; s < splits; ++s) sum += src[static_cast<i64>(s) * mn];
        epi.apply(batch, r, q, sum);
    }
}

// ---------------------------------------------------------------------------------------------------
// Plain epilogue, fp64 output whatever the input type: C[batch][r][q] = alpha * acc + beta * C (C is not read
// when beta == 0).
// ---------------------------------------------------------------------------------------------------
struct EpiGram {
    static constexpr bool kLinear = true;
    double* C;
    i64 ldc, strideC;
    double alpha, beta;
    __device__ __forceinline__ void apply(int batch, int r, int q, double v) const {
        double* c = C + static_cast<i64>(batch) * strideC + static_cast<i64>(r) * ldc + q;
        double out = alpha * v;
        if (beta != 0.0) out += beta * *c;
        *c = out;
    }
};

}  // namespace ntk
