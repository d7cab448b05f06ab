// conv.cu — convolution and pooling layers on NHWC images: im2col and its adjoint col2im, the per-example conv
// weight-Jacobian block, average pooling forward and backward (global average pooling is average pooling whose
// window is the whole image), and Flatten's (H, W, C) <-> (C, H, W) permutation.
//
// Window geometry (`NTK_WINDOW_ARGS`, the same 12 ints for every windowed kernel): input H x W x C, window kh x kw,
// strides sh, sw, output Ho x Wo, padding before the first row and column pt, pl, and circular (nonzero: the image
// wraps around; zero: what lies outside it reads as 0). Padded row t in [0, (Ho-1)*sh + kh) is input row t - pt,
// taken modulo H when circular; output row oy reads padded rows oy*sh + dy, dy in [0, kh); columns alike. The host
// works Ho and pt out of the padding as neural-tangents does: same and circular Ho = ceil(H/sh), pt = total/2 with
// total = max((Ho-1)*sh + kh - H, 0); valid Ho = (H - kh)/sh + 1, pt = 0.
//
// A conv layer runs on explicit patches (im2col) and the NT engine rather than an implicit GEMM: its Jacobian
// block and structured term need each example's patches again, so the forward pass writes them once and keeps
// them (as the CPU backend does), and every product is then one launch of an existing engine kernel on
// contiguous K, the layout its cp.async loader is built for. With W the PyTorch (C_out, C_in, kh, kw) weights
// read as C_out x fan (fan = C_in*kh*kw) and P the patches ((rows*Ho*Wo) x fan):
//   forward          ntk_forward (forward.cu): N = rows*Ho*Wo, n_in = fan, n_out = C_out; z comes out NHWC.
//   data gradient    ntk_backward_delta (backward.cu): R = rows*Ho*Wo, n_in = fan, n_out = C_out, Wt = W^T,
//                    Z = null gives G = c * delta * W per position; ntk_col2im sums G onto the pixels.
//   weight gradient  ntk_weight_grad / ntk_bias_grad (backward.cu) with N = rows*Ho*Wo.
//   Jacobian block   ntk_conv_jacobian_layer below.
//   structured term  sum_{p,p'} (c^2 <P_p(x), P_p'(x')> + s^2) <delta_p(x), delta_p'(x')> = <J_l(x), J_l(x')>,
//                    J_l = [c sum_p delta_p (x) P_p | s sum_p delta_p] the layer's Jacobian block: per tile of
//                    examples ntk_conv_jacobian_layer into rows of exactly P_l = C_out*fan (+ C_out) elements, then
//                    ntk_struct_layer (structured.cu) with D = those rows, width = P_l, c2 = 0, s2 = 1 (every
//                    mode, fp64 Theta, split-K), or ntk_gram_nt_{f32,f64,tf32} for the full Gram. Per pair of
//                    examples that costs O^2 * P_l against (Ho*Wo)^2 * (fan + O*C_out) for the position-pair sum,
//                    less for every layer whose positions outnumber its channels.
//
// Entry points (T = f32 / f64; every kernel but the Jacobian block is a grid-stride loop, so any 1-D grid works):
//   ntk_im2col_{f32,f64}(int N, NTK_WINDOW_ARGS, const T* X, T* P)
//       X (N, H, W, C); P ((N*Ho*Wo) x fan), column i*kh*kw + dy*kw + dx, zeros where the window reads padding.
//   ntk_col2im_{f32,f64}(int R, NTK_WINDOW_ARGS, const T* G, const T* Z, int rpe, int act, T* DX)
//       G ((R*Ho*Wo) x fan) in P's layout; DX (R, H, W, C) = the sum, in fp64 and a fixed order, of the entries of
//       G read from that pixel (the adjoint of im2col), times phi'(Z) (see below).
//   ntk_avgpool_forward_{f32,f64}(int N, NTK_WINDOW_ARGS, const T* X, int act, T* Z, T* Y)
//       v = window sums / (kh*kw), padding zeros counted (PyTorch's count_include_pad), fp64 sums; Y (N, Ho, Wo, C) =
//       phi(v), and Z = v when Z is not null.
//   ntk_avgpool_backward_{f32,f64}(int R, NTK_WINDOW_ARGS, const T* D, const T* Z, int rpe, int act, T* DX)
//       DX (R, H, W, C) = (1/(kh*kw)) * the sum over the windows that read a pixel of D (R, Ho, Wo, C), fp64 sums,
//       times phi'(Z). Global average pooling: kh = H, kw = W, strides 1, valid (Ho = Wo = 1).
//   ntk_flatten_forward_{f32,f64}(int R, int HW, int C, const T* X, int act, T* Z, T* Y)
//       v = X[r][p*C + c] at Y[r][c*HW + p] (NHWC to PyTorch's (C, H, W) order); Y = phi(v), Z = v when not null.
//   ntk_flatten_backward_{f32,f64}(int R, int HW, int C, const T* D, const T* Z, int rpe, int act, T* DX)
//       DX[r][p*C + c] = D[r][c*HW + p] times phi'(Z).
//   An activation next to a layer without parameters runs fused, as the dense kernels run it: the forward kernels
//   write the pre-activation Z (when not null) and phi of it, the backward ones multiply what they write by
//   phi'(Z[r / rpe][same index]), Z being the pre-activation at the layer's input (null: factor 1; act codes of
//   common.cuh).
//   ntk_conv_jacobian_layer_{f32,f64}(int R, int rpe, int positions, int cout, int fan, const T* D, const T* P,
//       T c, T s, int has_bias, long long q0, long long q1, T* J, long long ldj, long long jcol0)
//       Row r of J (example n = r / rpe): local column q = o*fan + j is c * sum_p D[r][p][o] * P[n][p][j], column
//       cout*fan + o (with has_bias) is s * sum_p D[r][p][o]; D (R x positions x cout), P (N x positions x fan).
//       Only local columns [q0, q1) are written, to J[r*ldj + jcol0 + (q - q0)] (the dense jacobian_layer's
//       contract, so a host maps column chunks of P the same way). fp32 products are summed in fp32 over 16
//       positions and in fp64 beyond. Launch: 256 threads, grid (ceil((fan+1)/64), ceil(cout/64), gz), gz <= 65535;
//       blocks loop over rows r = blockIdx.z + k*gz, and tiles with no column in [q0, q1) return at once.
//
// Versions
//   v1  im2col/col2im, conv Jacobian block, average pooling, flatten; activations fused into the parameter-free
//       layers' kernels.
#include "common.cuh"

using namespace ntk;

namespace ntk_conv_impl {

struct Window {
    int H, W, C, kh, kw, sh, sw, Ho, Wo, pt, pl, circ;
};

__device__ __forceinline__ Window make_window(int H, int W, int C, int kh, int kw, int sh, int sw, int Ho, int Wo,
                                              int pt, int pl, int circ) {
    Window w;
    w.H = H;
    w.W = W;
    w.C = C;
    w.kh = kh;
    w.kw = kw;
    w.sh = sh;
    w.sw = sw;
    w.Ho = Ho;
    w.Wo = Wo;
    w.pt = pt;
    w.pl = pl;
    w.circ = circ;
    return w;
}

// The input index (row or column) that output index `o` reads at window offset `d`, or -1 for a padding zero.
__device__ __forceinline__ int window_source(int o, int d, int stride, int pad, int n, int circ) {
    int v = o * stride + d - pad;
    if (v >= 0 && v < n) return v;
    if (!circ) return -1;
    v %= n;
    return v < 0 ? v + n : v;
}

// v * phi'(Z[r / rpe][q]) for a row of `width` values; v when Z is null.
template <typename T>
__device__ __forceinline__ T with_dphi(T v, const T* __restrict__ Z, int act, i64 r, int rpe, i64 width, i64 q) {
    return Z == nullptr ? v : v * act_dphi(act, Z[(r / (rpe < 1 ? 1 : rpe)) * width + q]);
}

// Calls f(position, offset) for every output position oy*Wo + ox and window offset dy*kw + dx whose window reads
// input pixel (y, x), in a fixed order. The padded rows that hold input row y are t = y + pt, and with circular
// padding every t congruent to it modulo H in [0, (Ho-1)*sh + kh); output row oy reads t at dy = t - oy*sh.
template <class F>
__device__ __forceinline__ void for_each_reader(const Window& w, int y, int x, F f) {
    const int rows = (w.Ho - 1) * w.sh + w.kh, cols = (w.Wo - 1) * w.sw + w.kw;
    const int ty0 = w.circ ? (y + w.pt) % w.H : y + w.pt;
    const int tx0 = w.circ ? (x + w.pl) % w.W : x + w.pl;
    const int sty = w.circ ? w.H : rows, stx = w.circ ? w.W : cols;  // non-circular: a single t
    for (int ty = ty0; ty < rows; ty += sty) {
        for (int dy = 0; dy < w.kh; ++dy) {
            const int uy = ty - dy;
            if (uy < 0 || uy % w.sh != 0 || uy / w.sh >= w.Ho) continue;
            const int oy = uy / w.sh;
            for (int tx = tx0; tx < cols; tx += stx) {
                for (int dx = 0; dx < w.kw; ++dx) {
                    const int ux = tx - dx;
                    if (ux < 0 || ux % w.sw != 0 || ux / w.sw >= w.Wo) continue;
                    f(oy * w.Wo + ux / w.sw, dy * w.kw + dx);
                }
            }
        }
    }
}

template <typename T>
__device__ __forceinline__ void im2col(int N, const Window& w, const T* __restrict__ X, T* __restrict__ P) {
    const int area = w.kh * w.kw, fan = w.C * area, positions = w.Ho * w.Wo;
    const i64 total = static_cast<i64>(N) * positions * fan;
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
         e += static_cast<i64>(gridDim.x) * blockDim.x) {
        const i64 row = e / fan;
        const int col = static_cast<int>(e - row * fan);
        const int n = static_cast<int>(row / positions);
        const int p = static_cast<int>(row - static_cast<i64>(n) * positions);
        const int i = col / area, k = col - i * area;
        const int y = window_source(p / w.Wo, k / w.kw, w.sh, w.pt, w.H, w.circ);
        const int x = window_source(p % w.Wo, k % w.kw, w.sw, w.pl, w.W, w.circ);
        P[e] = (y < 0 || x < 0) ? T(0) : X[((static_cast<i64>(n) * w.H + y) * w.W + x) * w.C + i];
    }
}

// DX[r][y, x, i] = scale * the sum over the windows that read pixel (y, x) of value(r, i, position, offset), in fp64
// and a fixed order, times phi'(Z): the backward of im2col and of average pooling, one thread per pixel value.
template <typename T, class F>
__device__ __forceinline__ void gather_to_pixels(int R, const Window& w, double scale, const T* __restrict__ Z, int rpe,
                                                 int act, T* __restrict__ DX, F value) {
    const i64 width = static_cast<i64>(w.H) * w.W * w.C;
    const i64 total = static_cast<i64>(R) * width;
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
         e += static_cast<i64>(gridDim.x) * blockDim.x) {
        const i64 r = e / width;
        const i64 q = e - r * width;
        const int yx = static_cast<int>(q / w.C);
        const int i = static_cast<int>(q - static_cast<i64>(yx) * w.C);
        double acc = 0.0;
        for_each_reader(w, yx / w.W, yx % w.W, [&](int p, int k) { acc += static_cast<double>(value(r, i, p, k)); });
        DX[e] = with_dphi(static_cast<T>(acc * scale), Z, act, r, rpe, width, q);
    }
}

template <typename T>
__device__ __forceinline__ void col2im(int R, const Window& w, const T* __restrict__ G, const T* __restrict__ Z,
                                       int rpe, int act, T* __restrict__ DX) {
    const int area = w.kh * w.kw, fan = w.C * area, positions = w.Ho * w.Wo;
    gather_to_pixels(R, w, 1.0, Z, rpe, act, DX, [&](i64 r, int i, int p, int k) {
        return G[(r * positions + p) * fan + static_cast<i64>(i) * area + k];
    });
}

template <typename T>
__device__ __forceinline__ void avgpool_forward(int N, const Window& w, const T* __restrict__ X, int act,
                                                T* __restrict__ Z, T* __restrict__ Y) {
    const double inv = 1.0 / (w.kh * w.kw);
    const i64 total = static_cast<i64>(N) * w.Ho * w.Wo * w.C;
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
         e += static_cast<i64>(gridDim.x) * blockDim.x) {
        const i64 pos = e / w.C;
        const int i = static_cast<int>(e - pos * w.C);
        const int n = static_cast<int>(pos / (w.Ho * w.Wo));
        const int p = static_cast<int>(pos - static_cast<i64>(n) * w.Ho * w.Wo);
        const T* x = X + static_cast<i64>(n) * w.H * w.W * w.C + i;
        double acc = 0.0;
        for (int dy = 0; dy < w.kh; ++dy) {
            const int y = window_source(p / w.Wo, dy, w.sh, w.pt, w.H, w.circ);
            if (y < 0) continue;
            for (int dx = 0; dx < w.kw; ++dx) {
                const int xx = window_source(p % w.Wo, dx, w.sw, w.pl, w.W, w.circ);
                if (xx >= 0) acc += static_cast<double>(x[(static_cast<i64>(y) * w.W + xx) * w.C]);
            }
        }
        const T v = static_cast<T>(acc * inv);
        if (Z != nullptr) Z[e] = v;
        Y[e] = act_phi(act, v);
    }
}

template <typename T>
__device__ __forceinline__ void avgpool_backward(int R, const Window& w, const T* __restrict__ D,
                                                 const T* __restrict__ Z, int rpe, int act, T* __restrict__ DX) {
    const int positions = w.Ho * w.Wo;
    gather_to_pixels(R, w, 1.0 / (w.kh * w.kw), Z, rpe, act, DX,
                     [&](i64 r, int i, int p, int) { return D[(r * positions + p) * w.C + i]; });
}

// (C, H, W) index q of a row <-> its NHWC index: flattened position q = c*HW + p reads NHWC p*C + c.
__device__ __forceinline__ i64 nhwc_of_chw(i64 q, int HW, int C) {
    const i64 c = q / HW;
    return (q - c * HW) * C + c;
}

template <typename T>
__device__ __forceinline__ void flatten_forward(int R, int HW, int C, const T* __restrict__ X, int act,
                                                T* __restrict__ Z, T* __restrict__ Y) {
    const i64 width = static_cast<i64>(HW) * C;
    const i64 total = static_cast<i64>(R) * width;
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
         e += static_cast<i64>(gridDim.x) * blockDim.x) {
        const i64 r = e / width;
        const T v = X[r * width + nhwc_of_chw(e - r * width, HW, C)];
        if (Z != nullptr) Z[e] = v;
        Y[e] = act_phi(act, v);
    }
}

template <typename T>
__device__ __forceinline__ void flatten_backward(int R, int HW, int C, const T* __restrict__ D,
                                                 const T* __restrict__ Z, int rpe, int act, T* __restrict__ DX) {
    const i64 width = static_cast<i64>(HW) * C;
    const i64 total = static_cast<i64>(R) * width;
    for (i64 e = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;  // e runs over D's (C, H, W)
         e += static_cast<i64>(gridDim.x) * blockDim.x) {
        const i64 r = e / width;
        const i64 to = nhwc_of_chw(e - r * width, HW, C);
        DX[r * width + to] = with_dphi(D[e], Z, act, static_cast<i64>(r), rpe, width, to);
    }
}

template <typename T>
__device__ __forceinline__ void conv_jacobian_layer(int R, int rpe, int positions, int cout, int fan,
                                                    const T* __restrict__ D, const T* __restrict__ P, T c, T s,
                                                    int has_bias, i64 q0, i64 q1, T* __restrict__ J, i64 ldj,
                                                    i64 jcol0) {
    constexpr int TILE = 64, KB = 16;
    __shared__ T Ds[KB][TILE];
    __shared__ T Ps[KB][TILE];
    const int o0 = blockIdx.y * TILE, j0 = blockIdx.x * TILE;
    const int o_end = o0 + TILE < cout ? o0 + TILE : cout;
    const int cols = fan + (has_bias ? 1 : 0);  // augmented columns [W row | bias]
    const i64 nW = static_cast<i64>(cout) * fan;
    // Whether the tile holds a local column in [q0, q1): weight columns o*fan + j, bias columns nW + o.
    bool any = false;
    if (j0 < fan) {
        const int j_end = j0 + TILE < fan ? j0 + TILE : fan;
        any = static_cast<i64>(o0) * fan + j0 < q1 && static_cast<i64>(o_end - 1) * fan + j_end > q0;
    }
    if (has_bias && j0 + TILE > fan) any = any || (nW + o0 < q1 && nW + o_end > q0);
    if (!any || o0 >= cout || j0 >= cols) return;  // uniform over the block
    const int per = rpe < 1 ? 1 : rpe;
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    for (int r = blockIdx.z; r < R; r += gridDim.z) {
        const T* d = D + static_cast<i64>(r) * positions * cout;
        const T* p = P + static_cast<i64>(r / per) * positions * fan;
        double acc[4][4];
#pragma unroll
        for (int u = 0; u < 4; ++u)
#pragma unroll
            for (int v = 0; v < 4; ++v) acc[u][v] = 0.0;
        for (int k0 = 0; k0 < positions; k0 += KB) {
#pragma unroll
            for (int it = 0; it < (KB * TILE) / 256; ++it) {
                const int e = threadIdx.x + it * 256;
                const int k = e / TILE, col = e % TILE;
                const int pos = k0 + k, o = o0 + col, j = j0 + col;
                const bool in = pos < positions;
                Ds[k][col] = (in && o < cout) ? d[static_cast<i64>(pos) * cout + o] : T(0);
                // The bias column reads ones: its entry is s * sum_p delta.
                Ps[k][col] = !in ? T(0) : (j < fan ? p[static_cast<i64>(pos) * fan + j] : (j == fan ? T(1) : T(0)));
            }
            __syncthreads();
            T part[4][4];
#pragma unroll
            for (int u = 0; u < 4; ++u)
#pragma unroll
                for (int v = 0; v < 4; ++v) part[u][v] = T(0);
            tile_outer_4x4<T, KB, TILE>(Ds, Ps, tx, ty, part);
#pragma unroll
            for (int u = 0; u < 4; ++u)
#pragma unroll
                for (int v = 0; v < 4; ++v) acc[u][v] += static_cast<double>(part[u][v]);
            __syncthreads();
        }
        T* row = J + static_cast<i64>(r) * ldj + jcol0 - q0;
#pragma unroll
        for (int u = 0; u < 4; ++u) {
            const int o = o0 + ty + 16 * u;
            if (o >= cout) continue;
#pragma unroll
            for (int v = 0; v < 4; ++v) {
                const int j = j0 + tx + 16 * v;
                if (j >= cols) continue;
                const bool weight = j < fan;
                const i64 q = weight ? static_cast<i64>(o) * fan + j : nW + o;
                if (q >= q0 && q < q1)
                    row[q] = static_cast<T>(static_cast<double>(weight ? c : s) * acc[u][v]);
            }
        }
    }
}

}  // namespace ntk_conv_impl

using namespace ntk_conv_impl;

#define NTK_WINDOW_ARGS \
    int H, int W, int C, int kh, int kw, int sh, int sw, int Ho, int Wo, int pt, int pl, int circular
#define NTK_WINDOW make_window(H, W, C, kh, kw, sh, sw, Ho, Wo, pt, pl, circular)

extern "C" __global__ void ntk_im2col_f32(int N, NTK_WINDOW_ARGS, const float* X, float* P) {
    im2col<float>(N, NTK_WINDOW, X, P);
}
extern "C" __global__ void ntk_im2col_f64(int N, NTK_WINDOW_ARGS, const double* X, double* P) {
    im2col<double>(N, NTK_WINDOW, X, P);
}

extern "C" __global__ void ntk_col2im_f32(int R, NTK_WINDOW_ARGS, const float* G, const float* Z, int rpe, int act,
                                          float* DX) {
    col2im<float>(R, NTK_WINDOW, G, Z, rpe, act, DX);
}
extern "C" __global__ void ntk_col2im_f64(int R, NTK_WINDOW_ARGS, const double* G, const double* Z, int rpe, int act,
                                          double* DX) {
    col2im<double>(R, NTK_WINDOW, G, Z, rpe, act, DX);
}

extern "C" __global__ void ntk_avgpool_forward_f32(int N, NTK_WINDOW_ARGS, const float* X, int act, float* Z,
                                                   float* Y) {
    avgpool_forward<float>(N, NTK_WINDOW, X, act, Z, Y);
}
extern "C" __global__ void ntk_avgpool_forward_f64(int N, NTK_WINDOW_ARGS, const double* X, int act, double* Z,
                                                   double* Y) {
    avgpool_forward<double>(N, NTK_WINDOW, X, act, Z, Y);
}

extern "C" __global__ void ntk_avgpool_backward_f32(int R, NTK_WINDOW_ARGS, const float* D, const float* Z, int rpe,
                                                    int act, float* DX) {
    avgpool_backward<float>(R, NTK_WINDOW, D, Z, rpe, act, DX);
}
extern "C" __global__ void ntk_avgpool_backward_f64(int R, NTK_WINDOW_ARGS, const double* D, const double* Z, int rpe,
                                                    int act, double* DX) {
    avgpool_backward<double>(R, NTK_WINDOW, D, Z, rpe, act, DX);
}

extern "C" __global__ void ntk_flatten_forward_f32(int R, int HW, int C, const float* X, int act, float* Z, float* Y) {
    flatten_forward<float>(R, HW, C, X, act, Z, Y);
}
extern "C" __global__ void ntk_flatten_forward_f64(int R, int HW, int C, const double* X, int act, double* Z,
                                                   double* Y) {
    flatten_forward<double>(R, HW, C, X, act, Z, Y);
}

extern "C" __global__ void ntk_flatten_backward_f32(int R, int HW, int C, const float* D, const float* Z, int rpe,
                                                    int act, float* DX) {
    flatten_backward<float>(R, HW, C, D, Z, rpe, act, DX);
}
extern "C" __global__ void ntk_flatten_backward_f64(int R, int HW, int C, const double* D, const double* Z, int rpe,
                                                    int act, double* DX) {
    flatten_backward<double>(R, HW, C, D, Z, rpe, act, DX);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_conv_jacobian_layer_f32(int R, int rpe, int positions, int cout, int fan, const float* D, const float* P,
                                float c, float s, int has_bias, long long q0, long long q1, float* J, long long ldj,
                                long long jcol0) {
    conv_jacobian_layer<float>(R, rpe, positions, cout, fan, D, P, c, s, has_bias, q0, q1, J, ldj, jcol0);
}

extern "C" __global__ void __launch_bounds__(256)
    ntk_conv_jacobian_layer_f64(int R, int rpe, int positions, int cout, int fan, const double* D, const double* P,
                                double c, double s, int has_bias, long long q0, long long q1, double* J, long long ldj,
                                long long jcol0) {
    conv_jacobian_layer<double>(R, rpe, positions, cout, fan, D, P, c, s, has_bias, q0, q1, J, ldj, jcol0);
}
