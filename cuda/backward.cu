// backward.cu — delta propagation for all rows at once, weight/bias gradients, and backward seeds.
//
// Rows r are (n, a) pairs for the NTK (rows-per-example rpe = O, seed delta^L = e_a) or plain examples
// for the MSE gradient (rpe = 1, seed delta^L = (f - y) / (N*O), so the 1/(N*O) of the mean sits in
// the seed and every gradient below it is already the gradient of the mean loss).
//
//   ntk_backward_delta_{f32,f64}(int R, int n_in, int n_out, const T* Dnext, const T* Wt, const T* Z,
//       int rpe, T c, int act, T* Dout)
//       Dout (R x n_in) = phi'(Z[r / rpe]) (.) (c * Dnext W): Dnext is R x n_out, W is n_out x n_in and is
//       passed transposed (Wt = W^T, n_in x n_out row-major, see ntk_transpose_*) so that the product is
//       NT-shaped and runs on the shared engine (gemm_nt.cuh) with the derivative fused in the epilogue.
//       Z = null means no activation derivative (factor 1).
//       Launch: 256 threads, grid (ceil(n_in/BN), ceil(R/BM), 1), BM = BN = 128 (f32) / 64 (f64).
//   ntk_weight_grad_{f32,f64}(int N, int n_out, int n_in, const T* D, const T* H, T c, int accumulate, T* dW)
//       dW (n_out x n_in) = c * D^T H (+ dW when accumulate != 0, to sum tiles of examples): 64x64 output tile
//       per 256-thread block, 4x4 per thread, fixed summation order over n (deterministic, no atomics).
//       Grid (ceil(n_in/64), ceil(n_out/64)).
//   ntk_bias_grad_{f32,f64}(int N, int n_out, const T* D, T s, int accumulate, T* db)
//       db[i] = s * sum_n D[n][i] (+ db[i] when accumulate != 0); one thread per column, fixed order. Any 1-D
//       grid covering n_out.
//   ntk_delta_seed_identity_{f32,f64}(int N, int O, T* D)
//       D ((N*O) x O): D[(n*O + a)][b] = (a == b). Any 1-D grid (grid-stride).
//   ntk_mse_residual_{f32,f64}(long long count, const T* F, const T* Y, T scale, T* D, double* partials)
//       D = (F - Y) * scale; partials[blockIdx.x] = sum over the block's grid-stride share of (F - Y)^2, in
//       double. Launch with 256 threads and a fixed grid; then ntk_sum_partials (helpers.cu) for the loss.
//
// Versions
//   v1  NT engine with fused phi' epilogue; tiled deterministic weight gradient; seeds.
//   v2  weight and bias gradients can accumulate over tiles of examples (prepared models).
#include "gemm_nt.cuh"

using namespace ntk;

namespace ntk_backward_impl {

template <typename T>
struct EpiBackward {
    static constexpr bool kLinear = false;  // non-linear: gets the whole sum at once, no split-K
    T* Dout;
    const T* Z;
    T c;
    int act, rpe, n_in;
    __device__ __forceinline__ void apply(int, int r, int q, T v) const {
        T d = c * v;
        if (Z != nullptr) d *= act_dphi(act, Z[static_cast<i64>(r / rpe) * n_in + q]);
        Dout[static_cast<i64>(r) * n_in + q] = d;
    }
};

template <typename T>
__device__ __forceinline__ void backward_delta(int R, int n_in, int n_out, const T* Dnext, const T* Wt, const T* Z,
                                               int rpe, T c, int act, T* Dout) {
    const NtProblem<T> p = make_problem<T>(R, n_in, n_out, Dnext, n_out, 0, Wt, n_out, 0, 1, nullptr, 0);
    EpiBackward<T> e;
    e.Dout = Dout;
    e.Z = Z;
    e.c = c;
    e.act = act;
    e.rpe = rpe < 1 ? 1 : rpe;
    e.n_in = n_in;
    simt_nt_body(p, e);
}

// dW = c * D^T H. D: N x n_out, H: N x n_in.
template <typename T>
__device__ __forceinline__ void weight_grad(int N, int n_out, int n_in, const T* __restrict__ D,
                                            const T* __restrict__ H, T c, int accumulate, T* __restrict__ dW) {
    constexpr int TILE = 64, KB = 16;
    __shared__ T Ds[KB][TILE];
    __shared__ T Hs[KB][TILE];
    const int i0 = blockIdx.y * TILE;
    const int j0 = blockIdx.x * TILE;
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    T acc[4][4];
#pragma unroll
    for (int u = 0; u < 4; ++u)
#pragma unroll
        for (int v = 0; v < 4; ++v) acc[u][v] = T(0);
    for (int n0 = 0; n0 < N; n0 += KB) {
#pragma unroll
        for (int it = 0; it < (KB * TILE) / 256; ++it) {
            const int e = threadIdx.x + it * 256;
            const int k = e / TILE, col = e % TILE;
            const int n = n0 + k;
            Ds[k][col] = (n < N && i0 + col < n_out) ? D[static_cast<i64>(n) * n_out + i0 + col] : T(0);
            Hs[k][col] = (n < N && j0 + col < n_in) ? H[static_cast<i64>(n) * n_in + j0 + col] : T(0);
        }
        __syncthreads();
        tile_outer_4x4<T, KB, TILE>(Ds, Hs, tx, ty, acc);
        __syncthreads();
    }
#pragma unroll
    for (int u = 0; u < 4; ++u) {
        const int i = i0 + ty + 16 * u;
        if (i >= n_out) continue;
#pragma unroll
        for (int v = 0; v < 4; ++v) {
            const int j = j0 + tx + 16 * v;
            if (j < n_in) {
                T* out = dW + static_cast<i64>(i) * n_in + j;
                *out = accumulate ? *out + c * acc[u][v] : c * acc[u][v];
            }
        }
    }
}

template <typename T>
__device__ __forceinline__ void bias_grad(int N, int n_out, const T* __restrict__ D, T s, int accumulate,
                                          T* __restrict__ db) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n_out; i += gridDim.x * blockDim.x) {
        T acc = T(0);
        for (int n = 0; n < N; ++n) acc += D[static_cast<i64>(n) * n_out + i];
        db[i] = accumulate ? db[i] + s * acc : s * acc;
    }
}

template <typename T>
__device__ __forceinline__ void delta_seed_identity(int N, int O, T* D) {
    const i64 total = static_cast<i64>(N) * O * O;
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
         e += static_cast<i64>(gridDim.x) * blockDim.x) {
        const i64 row = e / O;
        const int b = static_cast<int>(e - row * O);
        const int a = static_cast<int>(row % O);
        D[e] = (a == b) ? T(1) : T(0);
    }
}

template <typename T>
__device__ __forceinline__ void mse_residual(i64 count, const T* __restrict__ F, const T* __restrict__ Y, T scale,
                                             T* __restrict__ D, double* __restrict__ partials) {
    __shared__ double red[256];
    double acc = 0.0;
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
         e += static_cast<i64>(gridDim.x) * blockDim.x) {
        const T diff = F[e] - Y[e];
        D[e] = diff * scale;
        acc += static_cast<double>(diff) * static_cast<double>(diff);
    }
    red[threadIdx.x] = acc;
    __syncthreads();
    for (int w = blockDim.x / 2; w > 0; w >>= 1) {
        if (static_cast<int>(threadIdx.x) < w) red[threadIdx.x] += red[threadIdx.x + w];
        __syncthreads();
    }
    if (threadIdx.x == 0) partials[blockIdx.x] = red[0];
}

}  // namespace ntk_backward_impl

using namespace ntk_backward_impl;

extern "C" __global__ void __launch_bounds__(256)
    ntk_backward_delta_f32(int R, int n_in, int n_out, const float* Dnext, const float* Wt, const float* Z, int rpe,
                           float c, int act, float* Dout) {
    backward_delta<float>(R, n_in, n_out, Dnext, Wt, Z, rpe, c, act, Dout);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_backward_delta_f64(int R, int n_in, int n_out, const double* Dnext, const double* Wt, const double* Z,
                           int rpe, double c, int act, double* Dout) {
    backward_delta<double>(R, n_in, n_out, Dnext, Wt, Z, rpe, c, act, Dout);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_weight_grad_f32(int N, int n_out, int n_in, const float* D, const float* H, float c, int accumulate,
                        float* dW) {
    weight_grad<float>(N, n_out, n_in, D, H, c, accumulate, dW);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_weight_grad_f64(int N, int n_out, int n_in, const double* D, const double* H, double c, int accumulate,
                        double* dW) {
    weight_grad<double>(N, n_out, n_in, D, H, c, accumulate, dW);
}

extern "C" __global__ void ntk_bias_grad_f32(int N, int n_out, const float* D, float s, int accumulate, float* db) {
    bias_grad<float>(N, n_out, D, s, accumulate, db);
}

extern "C" __global__ void ntk_bias_grad_f64(int N, int n_out, const double* D, double s, int accumulate,
                                             double* db) {
    bias_grad<double>(N, n_out, D, s, accumulate, db);
}

extern "C" __global__ void ntk_delta_seed_identity_f32(int N, int O, float* D) { delta_seed_identity<float>(N, O, D); }

extern "C" __global__ void ntk_delta_seed_identity_f64(int N, int O, double* D) {
    delta_seed_identity<double>(N, O, D);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_mse_residual_f32(long long count, const float* F, const float* Y, float scale, float* D, double* partials) {
    mse_residual<float>(count, F, Y, scale, D, partials);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_mse_residual_f64(long long count, const double* F, const double* Y, double scale, double* D,
                         double* partials) {
    mse_residual<double>(count, F, Y, scale, D, partials);
}
