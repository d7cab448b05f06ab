// forward.cu — batched dense layer forward with bias and activation fused.
//
//   Z = c * H W^T + s * b      (N x n_out; H is N x n_in with row stride ldh, W is n_out x n_in row-major)
//   Hn = phi(Z)
//
// GEMM-shaped with K = n_in contiguous in both H and W, so it runs on the NT engine of gemm_nt.cuh;
// the epilogue adds the bias, keeps the pre-activation Z (needed by backward; pass Z = null to skip)
// and writes the activation Hn (pass Hn = null for the output layer, whose f = Z). b = null: no bias.
//
// Entry points: ntk_forward_{f32,f64}(int N, int n_out, int n_in, const T* H, long long ldh,
//   const T* W, const T* b, T c, T s, int act, T* Z, T* Hn). Outputs have row stride n_out.
// Launch: 256 threads, grid (ceil(n_out/BN), ceil(N/BM), 1), BM = BN = 128 (f32) / 64 (f64).
//
// Versions
//   v1  NT engine + fused bias/activation epilogue.
#include "gemm_nt.cuh"

using namespace ntk;

namespace ntk_forward_impl {

template <typename T>
struct EpiForward {
    static constexpr bool kLinear = false;  // non-linear: gets the whole sum at once, no split-K
    T* Z;
    T* Hn;
    const T* b;
    T c, s;
    int act, n_out;
    __device__ __forceinline__ void apply(int, int r, int q, T v) const {
        T z = c * v;
        if (b != nullptr) z += s * b[q];
        const i64 idx = static_cast<i64>(r) * n_out + q;
        if (Z != nullptr) Z[idx] = z;
        if (Hn != nullptr) Hn[idx] = act_phi(act, z);
    }
};

template <typename T>
__device__ __forceinline__ void forward(int N, int n_out, int n_in, const T* H, i64 ldh, const T* W, const T* b, T c,
                                        T s, int act, T* Z, T* Hn) {
    const NtProblem<T> p = make_problem<T>(N, n_out, n_in, H, ldh, 0, W, n_in, 0, 1, nullptr, 0);
    EpiForward<T> e;
    e.Z = Z;
    e.Hn = Hn;
    e.b = b;
    e.c = c;
    e.s = s;
    e.act = act;
    e.n_out = n_out;
    simt_nt_body(p, e);
}

}  // namespace ntk_forward_impl

using namespace ntk_forward_impl;

extern "C" __global__ void __launch_bounds__(256)
    ntk_forward_f32(int N, int n_out, int n_in, const float* H, long long ldh, const float* W, const float* b, float c,
                    float s, int act, float* Z, float* Hn) {
    forward<float>(N, n_out, n_in, H, ldh, W, b, c, s, act, Z, Hn);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_forward_f64(int N, int n_out, int n_in, const double* H, long long ldh, const double* W, const double* b,
                    double c, double s, int act, double* Z, double* Hn) {
    forward<double>(N, n_out, n_in, H, ldh, W, b, c, s, act, Z, Hn);
}
