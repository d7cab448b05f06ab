// structured.cu — structured-derivative NTK, one layer's contribution per launch.
//
//   Theta_ab(x, x') += (c_l^2 <h^l(x), h^l(x')> + s_l^2) * <delta^{l+1}_a(x), delta^{l+1}_b(x')>
//
// The h-Gram Gh = H1 H2^T (N1 x N2, over width n_l) is a plain ntk_gram_nt launch. This kernel computes
// the delta-Gram with the NT engine of gemm_nt.cuh and folds the Hadamard product with
// (c2 * Gh + s2) and the accumulation into Theta into the epilogue, so the delta-Gram never reaches
// device memory. Delta rows are ordered (n, a) with the width contiguous: D is (N * O) x width.
//
// Modes (int `mode`):
//   0 full      Theta (N1, N2, O, O): GEMM M = N1*O, N = N2*O, K = width.
//   1 trace     Theta (N1, N2) = (1/O) sum_a: the a-contraction happens inside the Gram: rows of D viewed
//               as N x (O*width), so M = N1, N = N2, K = O*width; the 1/O is applied in the epilogue.
//   2 diagonal  Theta (N1, N2, O): batch over a (grid.z), A = D1 + a*width with row stride O*width.
// Theta = beta * Theta + contribution; beta = 0 on the first layer (Theta is then not read).
// s2 = 0 for a layer without bias. Gh, Theta, c2, s2, beta and the split-K workspace are fp64 for fp32 inputs too:
// Theta accumulates the fp32 slices of the delta-Gram (at most SLICE_K terms each), the splits and the layers in
// fp64, so the error of an fp32 NTK does not grow with O*width or depth.
//
// Entry points (T = f32 / f64 for D1, D2):
//   ntk_struct_layer_{f32,f64}(int mode, int N1, int N2, int O, int width, const T* D1, const T* D2,
//       const double* Gh, long long ldgh, double c2, double s2, double beta, double* Theta, int splits, double* ws)
//   ntk_struct_splitk_reduce(const double* ws, int mode, int N1, int N2, int O, int width, const double* Gh,
//       long long ldgh, double c2, double s2, double beta, double* Theta, int splits)
//       second pass of split-K; ws holds [batch*splits][M][N] fp64 partials; the reduction applies the same
//       epilogue.
// Launch: 256 threads; grid (ceil(N/BN), ceil(M/BM), batch*splits) with the tiles of launch_config.h (128 for f32,
// 64 for f64), M, N as in the mode table, batch = O in diagonal mode and 1 otherwise.
//
// Versions
//   v1  fused epilogue over the shared NT engine; split-K through the shared fixed-order reduction.
//   v2  fp64 Gh, Theta and partials; fp32 delta-Gram chains capped at SLICE_K (gemm_nt.cuh v2).
#include "gemm_nt.cuh"

using namespace ntk;

namespace ntk_struct_impl {

enum StructMode : int { MODE_FULL = 0, MODE_TRACE = 1, MODE_DIAG = 2 };

struct EpiStruct {
    static constexpr bool kLinear = true;
    int mode, N2, O;
    const double* Gh;
    i64 ldgh;
    double c2, s2, beta, inv_o;
    double* Theta;
    __device__ __forceinline__ void apply(int batch, int r, int q, double v) const {
        int n1, n2;
        i64 idx;
        if (mode == MODE_FULL) {
            n1 = r / O;
            n2 = q / O;
            const int a = r - n1 * O, b = q - n2 * O;
            idx = ((static_cast<i64>(n1) * N2 + n2) * O + a) * O + b;
        } else if (mode == MODE_TRACE) {
            n1 = r;
            n2 = q;
            idx = static_cast<i64>(n1) * N2 + n2;
            v *= inv_o;
        } else {
            n1 = r;
            n2 = q;
            idx = (static_cast<i64>(n1) * N2 + n2) * O + batch;
        }
        const double g = c2 * Gh[static_cast<i64>(n1) * ldgh + n2] + s2;
        double out = g * v;
        if (beta != 0.0) out += beta * Theta[idx];
        Theta[idx] = out;
    }
};

struct StructShape {
    int M, N, batches;
    i64 K, ld, stride;
};

__device__ __forceinline__ StructShape struct_shape(int mode, int N1, int N2, int O, int width) {
    StructShape s;
    const i64 w = width;
    if (mode == MODE_FULL) {
        s.M = N1 * O;
        s.N = N2 * O;
        s.K = w;
        s.ld = w;
        s.stride = 0;
        s.batches = 1;
    } else if (mode == MODE_TRACE) {
        s.M = N1;
        s.N = N2;
        s.K = w * O;
        s.ld = w * O;
        s.stride = 0;
        s.batches = 1;
    } else {
        s.M = N1;
        s.N = N2;
        s.K = w;
        s.ld = w * O;
        s.stride = w;
        s.batches = O;
    }
    return s;
}

__device__ __forceinline__ EpiStruct make_epi(int mode, int N2, int O, const double* Gh, i64 ldgh, double c2,
                                              double s2, double beta, double* Theta) {
    EpiStruct e;
    e.mode = mode;
    e.N2 = N2;
    e.O = O;
    e.Gh = Gh;
    e.ldgh = ldgh;
    e.c2 = c2;
    e.s2 = s2;
    e.beta = beta;
    e.inv_o = 1.0 / O;
    e.Theta = Theta;
    return e;
}

template <typename T>
__device__ __forceinline__ void struct_layer(int mode, int N1, int N2, int O, int width, const T* D1, const T* D2,
                                             const double* Gh, i64 ldgh, double c2, double s2, double beta,
                                             double* Theta, int splits, double* ws) {
    const StructShape s = struct_shape(mode, N1, N2, O, width);
    const NtProblem<T> p = make_problem<T>(s.M, s.N, s.K, D1, s.ld, s.stride, D2, s.ld, s.stride, splits, ws, 0);
    simt_nt_body(p, make_epi(mode, N2, O, Gh, ldgh, c2, s2, beta, Theta));
}

__device__ __forceinline__ void struct_reduce(const double* ws, int mode, int N1, int N2, int O, int width,
                                              const double* Gh, i64 ldgh, double c2, double s2, double beta,
                                              double* Theta, int splits) {
    const StructShape s = struct_shape(mode, N1, N2, O, width);
    splitk_reduce_body(ws, s.batches, splits, s.M, s.N, 0, make_epi(mode, N2, O, Gh, ldgh, c2, s2, beta, Theta));
}

}  // namespace ntk_struct_impl

using namespace ntk_struct_impl;

#define NTK_STRUCT_ARGS(T)                                                                                     \
    int mode, int N1, int N2, int O, int width, const T *D1, const T *D2, const double *Gh, long long ldgh,     \
        double c2, double s2, double beta, double *Theta, int splits, double *ws

extern "C" __global__ void __launch_bounds__(256) ntk_struct_layer_f32(NTK_STRUCT_ARGS(float)) {
    struct_layer<float>(mode, N1, N2, O, width, D1, D2, Gh, ldgh, c2, s2, beta, Theta, splits, ws);
}

extern "C" __global__ void __launch_bounds__(256) ntk_struct_layer_f64(NTK_STRUCT_ARGS(double)) {
    struct_layer<double>(mode, N1, N2, O, width, D1, D2, Gh, ldgh, c2, s2, beta, Theta, splits, ws);
}

extern "C" __global__ void ntk_struct_splitk_reduce(const double* ws, int mode, int N1, int N2, int O, int width,
                                                    const double* Gh, long long ldgh, double c2, double s2,
                                                    double beta, double* Theta, int splits) {
    struct_reduce(ws, mode, N1, N2, O, width, Gh, ldgh, c2, s2, beta, Theta, splits);
}
