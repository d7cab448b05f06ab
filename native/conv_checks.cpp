// conv_checks.cpp — the conv.cu kernels, and the engine kernels a conv layer runs on its patches, against direct
// fp64 loops over NHWC images. The loops take the window from an explicitly padded index map (zeros for same and
// valid, the other side of the image for circular), as the Java reference backend does, not from the kernels'
// arithmetic. Shapes are odd on purpose: H != W, odd channel counts, stride 2, every padding, 1x1, 4x4 and 5x5
// windows (5x5 over a 4x3 image wraps more than once), pools that do not divide the image, and a layer large enough
// to need several tiles of every kernel.
#include "conv_checks.h"

#include <algorithm>
#include <cstring>

#include "checks.h"

namespace {

using namespace chk;
using kern::Kernels;
typedef Kernels::Window Window;

const char* pad_name(Kernels::Pad p) { return p == Kernels::SAME ? "same" : p == Kernels::VALID ? "valid" : "circular"; }

// Padded index -> input index (-1: a zero) along one axis, from the padding's definition.
std::vector<int> padded_map(int n, int k, int s, Kernels::Pad pad) {
    int before = 0, after = 0;
    if (pad != Kernels::VALID) {
        const int out = (n + s - 1) / s;
        const int total = std::max((out - 1) * s + k - n, 0);
        before = total / 2;
        after = total - before;
    }
    std::vector<int> m(size_t(before + n + after));
    for (int t = 0; t < int(m.size()); ++t) {
        const int src = t - before;
        m[size_t(t)] = src >= 0 && src < n ? src : pad == Kernels::CIRCULAR ? ((src % n) + n) % n : -1;
    }
    return m;
}

struct HostWindow {
    Window w;
    std::vector<int> rows, cols;
    HostWindow(const Window& win, Kernels::Pad pad)
        : w(win), rows(padded_map(win.H, win.kh, win.sh, pad)), cols(padded_map(win.W, win.kw, win.sw, pad)) {}
    // The pixel y*W + x that output position p reads at window offset (dy, dx), or -1 for a padding zero.
    int src(int p, int dy, int dx) const {
        const int r = rows[size_t((p / w.Wo) * w.sh + dy)], c = cols[size_t((p % w.Wo) * w.sw + dx)];
        return r < 0 || c < 0 ? -1 : r * w.W + c;
    }
};

// ---------------------------------------------------------------------------------------------------
// Host loops.
// ---------------------------------------------------------------------------------------------------
Vec host_patches(const HostWindow& hw, const Vec& X, int N) {
    const Window& w = hw.w;
    Vec P(size_t(N) * w.positions() * w.fan());
    for (int n = 0; n < N; ++n)
        for (int p = 0; p < w.positions(); ++p)
            for (int i = 0; i < w.C; ++i)
                for (int dy = 0; dy < w.kh; ++dy)
                    for (int dx = 0; dx < w.kw; ++dx) {
                        const int s = hw.src(p, dy, dx);
                        P[(size_t(n) * w.positions() + p) * w.fan() + size_t(i) * w.area() + dy * w.kw + dx] =
                            s < 0 ? 0.0 : X[(size_t(n) * w.H * w.W + s) * w.C + i];
                    }
    return P;
}

// z[n, p, o] = c * sum_{i, dy, dx} Wt[o, i, dy, dx] * x[n, src, i] + s * b[o]
Vec host_conv(const HostWindow& hw, const Vec& X, int N, const Vec& Wt, const Vec& b, int cout, double c, double s) {
    const Window& w = hw.w;
    Vec Z(size_t(N) * w.positions() * cout);
    for (int n = 0; n < N; ++n)
        for (int p = 0; p < w.positions(); ++p)
            for (int o = 0; o < cout; ++o) {
                double acc = 0;
                for (int i = 0; i < w.C; ++i)
                    for (int dy = 0; dy < w.kh; ++dy)
                        for (int dx = 0; dx < w.kw; ++dx) {
                            const int sp = hw.src(p, dy, dx);
                            if (sp >= 0)
                                acc += Wt[size_t(o) * w.fan() + size_t(i) * w.area() + dy * w.kw + dx] *
                                       X[(size_t(n) * w.H * w.W + sp) * w.C + i];
                        }
                Z[(size_t(n) * w.positions() + p) * cout + o] = c * acc + (b.empty() ? 0.0 : s * b[size_t(o)]);
            }
    return Z;
}

// dx[r, pixel, i] = c * sum over the windows reading it of Wt[o, i, dy, dx] * delta[r, p, o]
Vec host_conv_backward(const HostWindow& hw, const Vec& D, int R, const Vec& Wt, int cout, double c) {
    const Window& w = hw.w;
    Vec DX(size_t(R) * w.H * w.W * w.C, 0.0);
    for (int r = 0; r < R; ++r)
        for (int p = 0; p < w.positions(); ++p)
            for (int o = 0; o < cout; ++o) {
                const double g = D[(size_t(r) * w.positions() + p) * cout + o];
                for (int i = 0; i < w.C; ++i)
                    for (int dy = 0; dy < w.kh; ++dy)
                        for (int dx = 0; dx < w.kw; ++dx) {
                            const int sp = hw.src(p, dy, dx);
                            if (sp >= 0)
                                DX[(size_t(r) * w.H * w.W + sp) * w.C + i] +=
                                    c * Wt[size_t(o) * w.fan() + size_t(i) * w.area() + dy * w.kw + dx] * g;
                        }
            }
    return DX;
}

// Row r (example r / rpe): [c * sum_p delta[r, p, o] * x[src(p, dy, dx), i] for (o, i, dy, dx) | s * sum_p delta[r, p, o]]
Vec host_jacobian(const HostWindow& hw, const Vec& X, const Vec& D, int R, int rpe, int cout, double c, double s,
                  bool bias) {
    const Window& w = hw.w;
    const size_t Pl = size_t(cout) * w.fan() + (bias ? cout : 0);
    Vec J(size_t(R) * Pl, 0.0);
    for (int r = 0; r < R; ++r) {
        const int n = r / rpe;
        for (int o = 0; o < cout; ++o) {
            for (int i = 0; i < w.C; ++i)
                for (int dy = 0; dy < w.kh; ++dy)
                    for (int dx = 0; dx < w.kw; ++dx) {
                        double acc = 0;
                        for (int p = 0; p < w.positions(); ++p) {
                            const int sp = hw.src(p, dy, dx);
                            if (sp >= 0)
                                acc += D[(size_t(r) * w.positions() + p) * cout + o] *
                                       X[(size_t(n) * w.H * w.W + sp) * w.C + i];
                        }
                        J[size_t(r) * Pl + size_t(o) * w.fan() + size_t(i) * w.area() + dy * w.kw + dx] = c * acc;
                    }
            if (bias) {
                double acc = 0;
                for (int p = 0; p < w.positions(); ++p) acc += D[(size_t(r) * w.positions() + p) * cout + o];
                J[size_t(r) * Pl + size_t(cout) * w.fan() + o] = s * acc;
            }
        }
    }
    return J;
}

// Theta (N1, N2, O, O) = sum over position pairs of (c^2 <patch_p(x), patch_p'(x')> + s^2) * <delta_a,p, delta'_b,p'>.
Vec host_structured(const HostWindow& hw, const Vec& X1, const Vec& D1, int N1, const Vec& X2, const Vec& D2, int N2,
                    int O, int cout, double c, double s) {
    const Window& w = hw.w;
    const int P = w.positions();
    Vec T(size_t(N1) * N2 * O * O, 0.0);
    for (int n1 = 0; n1 < N1; ++n1)
        for (int n2 = 0; n2 < N2; ++n2)
            for (int p1 = 0; p1 < P; ++p1)
                for (int p2 = 0; p2 < P; ++p2) {
                    double pp = 0;
                    for (int dy = 0; dy < w.kh; ++dy)
                        for (int dx = 0; dx < w.kw; ++dx) {
                            const int s1 = hw.src(p1, dy, dx), s2 = hw.src(p2, dy, dx);
                            if (s1 < 0 || s2 < 0) continue;
                            for (int i = 0; i < w.C; ++i)
                                pp += X1[(size_t(n1) * w.H * w.W + s1) * w.C + i] * X2[(size_t(n2) * w.H * w.W + s2) * w.C + i];
                        }
                    const double f = c * c * pp + s * s;
                    for (int a = 0; a < O; ++a)
                        for (int b = 0; b < O; ++b) {
                            double dd = 0;
                            for (int o = 0; o < cout; ++o)
                                dd += D1[((size_t(n1) * O + a) * P + p1) * cout + o] * D2[((size_t(n2) * O + b) * P + p2) * cout + o];
                            T[((size_t(n1) * N2 + n2) * O + a) * O + b] += f * dd;
                        }
                }
    return T;
}

// y[n, p, i] = sum over the window of x / (kh*kw), padding zeros counted.
Vec host_pool(const HostWindow& hw, const Vec& X, int N) {
    const Window& w = hw.w;
    Vec Y(size_t(N) * w.positions() * w.C, 0.0);
    for (int n = 0; n < N; ++n)
        for (int p = 0; p < w.positions(); ++p)
            for (int i = 0; i < w.C; ++i) {
                double acc = 0;
                for (int dy = 0; dy < w.kh; ++dy)
                    for (int dx = 0; dx < w.kw; ++dx) {
                        const int sp = hw.src(p, dy, dx);
                        if (sp >= 0) acc += X[(size_t(n) * w.H * w.W + sp) * w.C + i];
                    }
                Y[(size_t(n) * w.positions() + p) * w.C + i] = acc / w.area();
            }
    return Y;
}

Vec host_pool_backward(const HostWindow& hw, const Vec& D, int R) {
    const Window& w = hw.w;
    Vec DX(size_t(R) * w.H * w.W * w.C, 0.0);
    for (int r = 0; r < R; ++r)
        for (int p = 0; p < w.positions(); ++p)
            for (int dy = 0; dy < w.kh; ++dy)
                for (int dx = 0; dx < w.kw; ++dx) {
                    const int sp = hw.src(p, dy, dx);
                    if (sp < 0) continue;
                    for (int i = 0; i < w.C; ++i)
                        DX[(size_t(r) * w.H * w.W + sp) * w.C + i] += D[(size_t(r) * w.positions() + p) * w.C + i] / w.area();
                }
    return DX;
}

// v[r][q] * phi'(z[r / rpe][q]) for rows of `width` values.
Vec times_dphi(const Vec& v, const Vec& z, size_t width, int rpe, int act) {
    Vec out(v.size());
    for (size_t e = 0; e < v.size(); ++e) out[e] = v[e] * ref::dphi(act, z[(e / width / size_t(rpe)) * width + e % width]);
    return out;
}

template <typename T>
Vec down(const DBuf<T>& b) {
    return to_d(b.download());
}

template <typename T>
DBuf<T> poisoned(Kernels& k, size_t n) {
    DBuf<T> b(n);
    k.poison(b);
    return b;
}

// ---------------------------------------------------------------------------------------------------
// A conv layer on its patches.
// ---------------------------------------------------------------------------------------------------
struct ConvCase {
    int H, W, C, cout, kh, kw, sh, sw;
    Kernels::Pad pad;
    bool bias;
    int N1, N2, O;
};

template <typename T>
void test_conv(Kernels& k, const ConvCase& cc, int idx) {
    const Window w = Kernels::window(cc.H, cc.W, cc.C, cc.kh, cc.kw, cc.sh, cc.sw, cc.pad);
    const HostWindow hw(w, cc.pad);
    const int cout = cc.cout, fan = w.fan(), P = w.positions(), N1 = cc.N1, N2 = cc.N2, O = cc.O;
    const int R1 = N1 * O, R2 = N2 * O;
    const double c = 1.3 / std::sqrt(double(fan)), s = cc.bias ? 0.4 : 0.0;
    const T cT = static_cast<T>(c), sT = static_cast<T>(s);
    const double cd = double(cT), sd = double(sT);  // the scales as the device has them
    char tag[200];
    std::snprintf(tag, sizeof tag, "conv %s #%d %dx%dx%d -> %d, %dx%d stride %dx%d %s%s (out %dx%d) N1=%d N2=%d O=%d",
                  kern::sfx<T>(), idx, cc.H, cc.W, cc.C, cout, cc.kh, cc.kw, cc.sh, cc.sw, pad_name(cc.pad),
                  cc.bias ? "" : " no-bias", w.Ho, w.Wo, N1, N2, O);
    const std::string t = tag;
    const double tol = fp_tol<T>(5e-5, 1e-12);

    const Vec X1 = round_to<T>(random_vec(size_t(N1) * cc.H * cc.W * cc.C, 4000 + idx));
    const Vec X2 = round_to<T>(random_vec(size_t(N2) * cc.H * cc.W * cc.C, 5000 + idx));
    const Vec Wt = round_to<T>(random_vec(size_t(cout) * fan, 6000 + idx, -1.5, 1.5));
    const Vec b = cc.bias ? round_to<T>(random_vec(size_t(cout), 7000 + idx)) : Vec();
    const Vec D1 = round_to<T>(random_vec(size_t(R1) * P * cout, 8000 + idx));
    const Vec D2 = round_to<T>(random_vec(size_t(R2) * P * cout, 9000 + idx));
    DBuf<T> dX1 = upload<T>(X1), dX2 = upload<T>(X2), dW = upload<T>(Wt), dD1 = upload<T>(D1), dD2 = upload<T>(D2);
    DBuf<T> db = cc.bias ? upload<T>(b) : DBuf<T>();

    // Patches: a copy, exact.
    DBuf<T> P1 = poisoned<T>(k, size_t(N1) * P * fan), P2 = poisoned<T>(k, size_t(N2) * P * fan);
    k.im2col<T>(N1, w, dX1.p, P1.p);
    k.im2col<T>(N2, w, dX2.p, P2.p);
    compare(t + " im2col", down(P1), host_patches(hw, X1, N1), 0, fan);

    // Forward: the dense forward kernel over the patches, z NHWC.
    DBuf<T> Z = poisoned<T>(k, size_t(N1) * P * cout);
    k.forward<T>(N1 * P, cout, fan, P1.p, fan, dW.p, cc.bias ? db.p : nullptr, cT, sT, 0, Z.p, nullptr);
    compare(t + " forward", down(Z), host_conv(hw, X1, N1, Wt, b, cout, cd, sd), tol, cout);

    // Data gradient for the O outputs' deltas: G = c * delta * W per position (backward_delta, Wt = W^T), col2im.
    DBuf<T> Wtr = poisoned<T>(k, size_t(cout) * fan);
    k.transpose<T>(cout, fan, dW.p, fan, Wtr.p, cout);
    DBuf<T> G = poisoned<T>(k, size_t(R1) * P * fan), DX = poisoned<T>(k, size_t(R1) * cc.H * cc.W * cc.C);
    k.backward_delta<T>(R1 * P, fan, cout, dD1.p, Wtr.p, nullptr, 1, cT, 0, G.p);
    k.col2im<T>(R1, w, G.p, nullptr, 1, 0, DX.p);
    const Vec dx = host_conv_backward(hw, D1, R1, Wt, cout, cd);
    compare(t + " data gradient (backward_delta + col2im)", down(DX), dx, tol, cc.C);
    // With the activation before the layer fused: times phi'(z) of the example's pre-activation.
    const int act = idx % 2 ? ref::RELU : ref::TANH;
    const Vec Zin = round_to<T>(random_vec(size_t(N1) * cc.H * cc.W * cc.C, 13000 + idx));
    DBuf<T> dZin = upload<T>(Zin);
    k.col2im<T>(R1, w, G.p, dZin.p, O, act, DX.p);
    compare(t + " data gradient times " + ref::act_name(act) + "'(z)", down(DX), times_dphi(dx, Zin, size_t(cc.H) * cc.W * cc.C, O, act), tol, cc.C);

    // Jacobian block in two column chunks (the split inside a weight row), into rows with 3 padding columns that
    // must stay untouched.
    const int64_t Pl = int64_t(cout) * fan + (cc.bias ? cout : 0), ldj = Pl + 3, qm = Pl / 2 + 1;
    const Vec Jh1 = host_jacobian(hw, X1, D1, R1, O, cout, cd, sd, cc.bias);
    {
        DBuf<T> J = poisoned<T>(k, size_t(R1) * ldj);
        k.conv_jacobian_layer<T>(R1, O, P, cout, fan, dD1.p, P1.p, cT, sT, cc.bias, 0, qm, J.p, ldj, 0);
        k.conv_jacobian_layer<T>(R1, O, P, cout, fan, dD1.p, P1.p, cT, sT, cc.bias, qm, Pl, J.p, ldj, qm);
        const Vec got_all = down(J);
        Vec got;
        bool pads = true;
        for (int r = 0; r < R1; ++r) {
            got.insert(got.end(), got_all.begin() + r * ldj, got_all.begin() + r * ldj + Pl);
            for (int64_t q = Pl; q < ldj; ++q) pads = pads && std::isnan(got_all[size_t(r * ldj + q)]);
        }
        compare(t + " Jacobian block (two column chunks)", got, Jh1, tol, Pl);
        expect(t + " Jacobian block writes only its columns", pads, pads ? "" : "padding was modified");
    }

    // Structured term: the blocks' delta-Gram on the structured kernel (c2 = 0, s2 = 1, Gh zeros) in every mode,
    // against the position-pair sum; and the TF32 Gram of the blocks against the same values.
    DBuf<T> J1 = poisoned<T>(k, size_t(R1) * Pl), J2 = poisoned<T>(k, size_t(R2) * Pl);
    k.conv_jacobian_layer<T>(R1, O, P, cout, fan, dD1.p, P1.p, cT, sT, cc.bias, 0, Pl, J1.p, Pl, 0);
    k.conv_jacobian_layer<T>(R2, O, P, cout, fan, dD2.p, P2.p, cT, sT, cc.bias, 0, Pl, J2.p, Pl, 0);
    const Vec full = host_structured(hw, X1, D1, N1, X2, D2, N2, O, cout, cd, sd);
    const Vec want[3] = {full, ref::full_to_trace(full, N1, N2, O), ref::full_to_diag(full, N1, N2, O)};
    DBuf<double> zeros = upload<double>(Vec(size_t(N2), 0.0));
    const char* mode_name[] = {"full", "trace", "diag"};
    for (int mode = 0; mode < 3; ++mode) {
        const size_t nT = mode == 0 ? size_t(N1) * N2 * O * O : (mode == 1 ? size_t(N1) * N2 : size_t(N1) * N2 * O);
        DBuf<double> theta = poisoned<double>(k, nT);
        const int sp = k.struct_splits<T>(mode, N1, N2, O, int(Pl));
        DBuf<double> ws(Kernels::struct_workspace_elems<T>(mode, N1, N2, O, int(Pl), sp));
        k.struct_layer<T>(mode, N1, N2, O, int(Pl), J1.p, J2.p, zeros.p, 0, 0.0, 1.0, 0.0, theta.p, sp, ws.p);
        compare(t + " structured " + mode_name[mode] + " (Jacobian blocks on the structured kernel)", theta.download(),
                want[mode], tol, mode == 0 ? O * O : (mode == 1 ? N2 : O));
    }
    if (sizeof(T) == 4) {
        DBuf<double> C = poisoned<double>(k, size_t(R1) * R2);
        DBuf<double> ws(Kernels::workspace_elems(true, Pl, 1, 1, R1, R2));
        k.gram<T>(true, R1, R2, Pl, J1.p, Pl, 0, J2.p, Pl, 0, C.p, R2, 0, 1.0, 0.0, 1, 1, ws.p, 0);
        const Vec g = C.download();
        Vec got(full.size());
        for (int n1 = 0; n1 < N1; ++n1)
            for (int n2 = 0; n2 < N2; ++n2)
                for (int a = 0; a < O; ++a)
                    for (int bb = 0; bb < O; ++bb)
                        got[((size_t(n1) * N2 + n2) * O + a) * O + bb] = g[size_t(n1 * O + a) * R2 + n2 * O + bb];
        compare(t + " structured full by the TF32 Gram of the blocks", got, full, 5e-3, O * O);
    }
}

// ---------------------------------------------------------------------------------------------------
// Pooling and flatten.
// ---------------------------------------------------------------------------------------------------
struct PoolCase {
    int H, W, C, kh, kw, sh, sw;
    Kernels::Pad pad;
    int N, R;
};

template <typename T>
void test_pool(Kernels& k, const PoolCase& pc, int idx, bool global) {
    const Window w = Kernels::window(pc.H, pc.W, pc.C, pc.kh, pc.kw, pc.sh, pc.sw, pc.pad);
    const HostWindow hw(w, pc.pad);
    char tag[200];
    std::snprintf(tag, sizeof tag, "%s %s #%d %dx%dx%d, %dx%d stride %dx%d %s (out %dx%d) N=%d R=%d",
                  global ? "global avgpool" : "avgpool", kern::sfx<T>(), idx, pc.H, pc.W, pc.C, pc.kh, pc.kw, pc.sh,
                  pc.sw, pad_name(pc.pad), w.Ho, w.Wo, pc.N, pc.R);
    const std::string t = tag;
    const double tol = fp_tol<T>(1e-6, 1e-14);
    const size_t in = size_t(pc.H) * pc.W * pc.C, out = size_t(w.positions()) * pc.C;
    const Vec X = round_to<T>(random_vec(size_t(pc.N) * in, 10000 + idx));
    const Vec D = round_to<T>(random_vec(size_t(pc.R) * out, 11000 + idx));
    DBuf<T> dX = upload<T>(X), dD = upload<T>(D);
    DBuf<T> Y = poisoned<T>(k, size_t(pc.N) * out), DX = poisoned<T>(k, size_t(pc.R) * in);
    k.avgpool_forward<T>(pc.N, w, dX.p, 0, nullptr, Y.p);
    k.avgpool_backward<T>(pc.R, w, dD.p, nullptr, 1, 0, DX.p);
    const Vec y = host_pool(hw, X, pc.N), dx = host_pool_backward(hw, D, pc.R);
    compare(t + " forward", down(Y), y, tol, pc.C);
    compare(t + " backward", down(DX), dx, tol, pc.C);

    // The activations beside it fused: after it (forward writes z and phi(z)), before it (backward times phi'(z) of
    // the example's input, R / N rows per example).
    const int act = idx % 2 ? ref::TANH : ref::RELU, rpe = pc.R / pc.N;
    DBuf<T> Z = poisoned<T>(k, size_t(pc.N) * out);
    k.avgpool_forward<T>(pc.N, w, dX.p, act, Z.p, Y.p);
    Vec phi_y(y.size());
    for (size_t e = 0; e < y.size(); ++e) phi_y[e] = ref::phi(act, double(static_cast<T>(y[e])));
    compare(t + " forward z", down(Z), y, tol, pc.C);
    compare(t + " forward " + ref::act_name(act) + "(z)", down(Y), phi_y, tol, pc.C);
    const Vec Zin = round_to<T>(random_vec(size_t(pc.N) * in, 14000 + idx));
    DBuf<T> dZin = upload<T>(Zin);
    DBuf<T> DXf = poisoned<T>(k, size_t(rpe) * pc.N * in);
    k.avgpool_backward<T>(rpe * pc.N, w, dD.p, dZin.p, rpe, act, DXf.p);
    const Vec dxf = host_pool_backward(hw, D, rpe * pc.N);
    compare(t + " backward times " + ref::act_name(act) + "'(z)", down(DXf), times_dphi(dxf, Zin, in, rpe, act), tol,
            pc.C);
}

template <typename T>
void test_flatten(Kernels& k, int R, int H, int W, int C) {
    const int HW = H * W;
    const size_t width = size_t(HW) * C;
    const Vec X = round_to<T>(random_vec(size_t(R) * width, 12000));
    Vec want(X.size());
    for (int r = 0; r < R; ++r)
        for (int p = 0; p < HW; ++p)
            for (int c = 0; c < C; ++c) want[size_t(r) * width + size_t(c) * HW + p] = X[size_t(r) * width + size_t(p) * C + c];
    DBuf<T> dX = upload<T>(X), Y = poisoned<T>(k, X.size()), back = poisoned<T>(k, X.size());
    k.flatten_forward<T>(R, HW, C, dX.p, 0, nullptr, Y.p);
    k.flatten_backward<T>(R, HW, C, Y.p, nullptr, 1, 0, back.p);
    char tag[120];
    std::snprintf(tag, sizeof tag, "flatten %s R=%d %dx%dx%d", kern::sfx<T>(), R, H, W, C);
    const std::string t = tag;
    compare(t + " forward NHWC -> (C, H, W)", down(Y), want, 0, HW * C);
    compare(t + " backward (C, H, W) -> NHWC", down(back), X, 0, HW * C);
    // Fused activations: forward z and erf(z) in (C, H, W) order; backward (reading X as δ rows in (C, H, W) order)
    // times erf'(z) of one example's NHWC input, all R rows being that example's (rpe = R).
    DBuf<T> Z = poisoned<T>(k, X.size());
    k.flatten_forward<T>(R, HW, C, dX.p, ref::ERF, Z.p, Y.p);
    Vec phi(want.size());
    for (size_t e = 0; e < want.size(); ++e) phi[e] = ref::phi(ref::ERF, want[e]);
    compare(t + " forward z", down(Z), want, 0, HW * C);
    compare(t + " forward erf(z)", down(Y), phi, fp_tol<T>(1e-6, 1e-14), HW * C);
    const Vec Zin = round_to<T>(random_vec(width, 15000));
    DBuf<T> dZin = upload<T>(Zin);
    k.flatten_backward<T>(R, HW, C, dX.p, dZin.p, R, ref::ERF, back.p);
    Vec nhwc(X.size());
    for (int r = 0; r < R; ++r)
        for (int p = 0; p < HW; ++p)
            for (int c = 0; c < C; ++c) nhwc[size_t(r) * width + size_t(p) * C + c] = X[size_t(r) * width + size_t(c) * HW + p];
    compare(t + " backward times erf'(z), all rows of one example", down(back), times_dphi(nhwc, Zin, width, R, ref::ERF),
            fp_tol<T>(1e-6, 1e-14), HW * C);
}

template <typename T>
void test_all(Kernels& k) {
    const ConvCase convs[] = {
        {7, 5, 3, 5, 3, 3, 1, 1, Kernels::SAME, true, 3, 2, 2},
        {9, 6, 2, 3, 3, 2, 2, 2, Kernels::VALID, true, 2, 3, 3},
        {5, 7, 3, 4, 5, 5, 2, 2, Kernels::CIRCULAR, false, 2, 2, 2},
        {6, 5, 5, 7, 1, 1, 1, 1, Kernels::SAME, true, 2, 1, 3},
        {4, 3, 1, 2, 5, 5, 1, 1, Kernels::CIRCULAR, true, 2, 2, 1},
        {9, 7, 2, 3, 4, 4, 2, 2, Kernels::SAME, false, 2, 2, 2},
        {8, 7, 8, 70, 3, 3, 1, 1, Kernels::SAME, true, 3, 2, 2},  // several tiles of every kernel
    };
    int idx = 0;
    for (const ConvCase& c : convs) test_conv<T>(k, c, ++idx);
    const PoolCase pools[] = {
        {7, 5, 3, 2, 2, 2, 2, Kernels::SAME, 2, 3},     {7, 6, 2, 3, 3, 2, 2, Kernels::VALID, 2, 3},
        {5, 4, 3, 3, 2, 1, 1, Kernels::CIRCULAR, 1, 2}, {4, 4, 1, 5, 5, 3, 3, Kernels::SAME, 2, 2},
        {6, 5, 3, 5, 5, 2, 1, Kernels::CIRCULAR, 1, 3},
    };
    idx = 0;
    for (const PoolCase& p : pools) test_pool<T>(k, p, ++idx, false);
    // Global average pooling: the whole image as the window.
    const PoolCase globals[] = {{5, 3, 4, 5, 3, 1, 1, Kernels::VALID, 3, 4}, {1, 7, 3, 1, 7, 1, 1, Kernels::VALID, 2, 2}};
    idx = 0;
    for (const PoolCase& p : globals) test_pool<T>(k, p, ++idx, true);
    test_flatten<T>(k, 3, 5, 3, 4);
}

}  // namespace

void test_conv_layers(Kernels& k) {
    test_all<float>(k);
    test_all<double>(k);
}
