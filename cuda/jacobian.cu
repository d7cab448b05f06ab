// jacobian.cu — per-example Jacobian materialisation, one layer's parameter block per launch.
//
// Row r = (n, a) of J (n = r / rpe), columns = parameters. Within layer l, local parameter index q runs
// over W^l row-major (q = i * n_in + j) and then b^l (q = n_out * n_in + i):
//   dF_r / dW_ij = c * D[r][i] * H[n][j]      dF_r / db_i = s * D[r][i]
// with D = delta^{l+1} (R x n_out) and H = h^l (N x n_in). Only local columns [q0, q1) are written, to
// J[r * ldj + jcol0 + (q - q0)], so J can be built in column chunks of P (the host maps a global chunk
// [p0, p0 + pc) onto each layer it overlaps).
//
// Entry points: ntk_jacobian_layer_{f32,f64}(int R, int rpe, int n_out, int n_in, const T* D, const T* H,
//   T c, T s, int has_bias, long long q0, long long q1, T* J, long long ldj, long long jcol0)
// Launch: 1-D blocks of 256 threads over the columns, grid (ceil((q1-q0)/256), gy); each block walks
// rows in groups of 8 with stride gy*8 (gy <= 65535; any gy >= 1 is correct). One 64-bit division per
// thread per launch; writes are coalesced along q.
//
// Versions
//   v1  column-chunked writer with row-group loop.
#include "common.cuh"

using namespace ntk;

namespace ntk_jacobian_impl {

template <typename T>
__device__ __forceinline__ void jacobian_layer(int R, int rpe, int n_out, int n_in, const T* __restrict__ D,
                                               const T* __restrict__ H, T c, T s, int has_bias, i64 q0, i64 q1,
                                               T* __restrict__ J, i64 ldj, i64 jcol0) {
    constexpr int ROWS = 8;
    const i64 q = q0 + static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x;
    const i64 nW = static_cast<i64>(n_out) * n_in;
    const i64 q_end = nW + (has_bias ? n_out : 0);
    if (q >= q1 || q >= q_end || q < 0) return;
    const bool isW = q < nW;
    const int i = isW ? static_cast<int>(q / n_in) : static_cast<int>(q - nW);
    const int j = isW ? static_cast<int>(q - static_cast<i64>(i) * n_in) : 0;
    const int per = rpe < 1 ? 1 : rpe;
    T* col = J + jcol0 + (q - q0);
    for (int rb = blockIdx.y * ROWS; rb < R; rb += gridDim.y * ROWS) {
#pragma unroll
        for (int rr = 0; rr < ROWS; ++rr) {
            const int r = rb + rr;
            if (r >= R) break;
            const T d = D[static_cast<i64>(r) * n_out + i];
            const T v = isW ? c * d * H[static_cast<i64>(r / per) * n_in + j] : s * d;
            col[static_cast<i64>(r) * ldj] = v;
        }
    }
}

}  // namespace ntk_jacobian_impl

using namespace ntk_jacobian_impl;

extern "C" __global__ void __launch_bounds__(256)
    ntk_jacobian_layer_f32(int R, int rpe, int n_out, int n_in, const float* D, const float* H, float c, float s,
                           int has_bias, long long q0, long long q1, float* J, long long ldj, long long jcol0) {
    jacobian_layer<float>(R, rpe, n_out, n_in, D, H, c, s, has_bias, q0, q1, J, ldj, jcol0);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_jacobian_layer_f64(int R, int rpe, int n_out, int n_in, const double* D, const double* H, double c, double s,
                           int has_bias, long long q0, long long q1, double* J, long long ldj, long long jcol0) {
    jacobian_layer<double>(R, rpe, n_out, n_in, D, H, c, s, has_bias, q0, q1, J, ldj, jcol0);
}
