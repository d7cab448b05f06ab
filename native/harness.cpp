// harness.cpp — checks every kernel of ntk4j_kernels.fatbin against the double-precision CPU reference
// and times the Gram kernel against cuBLAS, plus the structured NTK and forward/backward.
//
//   ntk4j-harness [--fatbin PATH] [--check-only | --bench-only | --cpu-only | --conv-only] [--gemm M,N,K]...
//                 [--struct N,d,width,depth,O] [--reps R] [--no-fp64-bench] [--no-tf32-bench]
//
// Exit status: 0 when every check passed, 1 when any check failed, 2 for bad usage, 3 for a CUDA error.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "checks.h"
#include "conv_checks.h"
#include "cublas_dyn.h"
#include "kernels.h"
#include "reference.h"

using kern::DBuf;
using kern::Kernels;
using ref::Vec;
using namespace chk;

namespace {

typedef kern::Tile Tile;

// ---------------------------------------------------------------------------------------------------
// Gram
// ---------------------------------------------------------------------------------------------------
struct GCase {
    int M, N;
    int64_t K;
    int pad, batch, splits;
    double beta;
    int upper, misalign;
    bool ints;
};

template <typename T>
void test_gram(Kernels& k, bool tf32) {
    const GCase cases[] = {
        {1, 1, 1, 0, 1, 1, 0, 0, 0, false},      {3, 17, 65, 0, 1, 1, 0, 0, 0, false},
        {17, 3, 1, 0, 1, 1, 0, 0, 0, false},     {65, 129, 257, 0, 1, 1, 0, 0, 0, false},
        {130, 67, 1000, 1, 1, 1, 0, 0, 0, false}, {129, 131, 77, 3, 2, 1, 0.5, 0, 0, false},
        {33, 200, 3000, 0, 1, 5, 0, 0, 0, false}, {200, 200, 513, 0, 1, 1, 0, 1, 0, false},
        {257, 257, 999, 2, 1, 3, 0, 1, 0, false}, {64, 64, 128, 0, 1, 1, 0, 0, 1, false},
        {300, 5, 4097, 0, 3, 4, 1.0, 0, 0, false}, {1, 300, 17, 0, 1, 1, 0, 0, 0, false},
        {67, 45, 301, 0, 1, 1, 0, 0, 0, true},    {67, 45, 301, 0, 1, 3, 0, 0, 0, true},
        {131, 131, 64, 0, 2, 2, 0, 1, 0, true},
        // upper with beta != 0: the incoming C is symmetric (the documented contract), so the mirrored result is right
        {129, 129, 300, 0, 2, 1, 0.5, 1, 0, false}, {70, 70, 90, 1, 1, 2, -1.0, 1, 0, false},
        // longer than one fp32 slice (SLICE_K): fp64 workspace and reduce pass, with and without split-K
        {5, 7, 20000, 0, 1, 1, 0.5, 0, 0, false}, {40, 40, 17001, 1, 2, 3, 0, 1, 0, false},
        {9, 9, 20001, 0, 1, 1, 0, 0, 0, true},
    };
    const char* kind = tf32 ? "tf32" : kern::sfx<T>();
    for (const GCase& c : cases) {
        const int M = c.M, N = c.upper ? c.M : c.N, batch = c.batch;
        const int64_t K = c.K, lda = K + c.pad, ldb = lda;
        const int64_t sA = int64_t(M) * lda + 5, sB = int64_t(N) * ldb + 5;
        const int64_t ldc = N + 2, sC = int64_t(M) * ldc + 3;
        const size_t nA = c.misalign + size_t((batch - 1) * sA + (M - 1) * lda + K);
        const size_t nB = c.misalign + size_t((batch - 1) * sB + (N - 1) * ldb + K);
        const size_t nC = size_t(batch) * sC;
        const double alpha = c.ints ? 1.0 : 1.5;

        Vec hA = c.ints ? random_ints(nA, 100 + M, -4, 4) : round_to<T>(random_vec(nA, 100 + M));
        Vec hB = c.upper ? hA : (c.ints ? random_ints(nB, 200 + N, -4, 4) : round_to<T>(random_vec(nB, 200 + N)));
        Vec hC0 = c.beta != 0 ? random_vec(nC, 300) : Vec(nC, std::nan(""));
        if (c.upper && c.beta != 0)  // the upper-triangle contract: an incoming C must be symmetric
            for (int bt = 0; bt < batch; ++bt)
                for (int r = 0; r < M; ++r)
                    for (int q = 0; q < r; ++q) hC0[size_t(bt * sC + r * ldc + q)] = hC0[size_t(bt * sC + q * ldc + r)];

        DBuf<T> dA = upload<T>(hA);
        DBuf<T> dB = c.upper ? DBuf<T>() : upload<T>(hB);
        const T* pA = dA.p + c.misalign;
        const T* pB = c.upper ? pA : dB.p + c.misalign;
        DBuf<double> ws(Kernels::workspace_elems(sizeof(T) == 4, K, c.splits, batch, M, N));
        // Where the summation order could depend on scheduling (split-K, slices through the workspace, the mirror),
        // twice from the same start: the results must agree bit for bit.
        const bool twice = c.splits > 1 || c.upper || Kernels::workspace_elems(sizeof(T) == 4, K, 1, 1, 1, 1) > 0;
        std::vector<double> runs[2];
        for (int run_i = 0; run_i < (twice ? 2 : 1); ++run_i) {
            auto& run = runs[run_i];
            DBuf<double> dC(nC);
            if (c.beta != 0)
                dC.upload(hC0);
            else
                k.poison(dC);
            if (ws.n) k.poison(ws);
            k.gram<T>(tf32, M, N, K, pA, lda, sA, pB, ldb, sB, dC.p, ldc, sC, alpha, c.beta, batch, c.splits, ws.p,
                      c.upper);
            run = dC.download();
        }
        const Vec& got_all = runs[0];
        const bool same_bits = !twice || std::memcmp(runs[0].data(), runs[1].data(), nC * sizeof(double)) == 0;

        Vec got, want;
        bool pads_ok = true;
        for (int bt = 0; bt < batch; ++bt) {
            const double* A = &hA[c.misalign + bt * sA];
            const double* B = &hB[c.misalign + bt * sB];
            Vec ref(size_t(M) * N);
            ref::gemm_nt(M, N, K, A, lda, B, ldb, ref.data(), N);
            for (int r = 0; r < M; ++r)
                for (int q = 0; q < N; ++q) {
                    const size_t at = size_t(bt * sC + r * ldc + q);
                    got.push_back(got_all[at]);
                    want.push_back(alpha * ref[size_t(r) * N + q] + (c.beta != 0 ? c.beta * hC0[at] : 0.0));
                }
        }
        // Everything outside the logical matrices must be untouched (still poison or the initial C).
        for (size_t e = 0; e < nC; ++e) {
            const int64_t bt = int64_t(e) / sC, off = int64_t(e) % sC, r = off / ldc, q = off % ldc;
            const bool logical = bt < batch && r < M && q < N;
            if (logical) continue;
            const bool same = std::isnan(hC0[e]) ? std::isnan(got_all[e]) : got_all[e] == hC0[e];
            if (!same) pads_ok = false;
        }
        char name[200];
        std::snprintf(name, sizeof name, "gram %s M=%d N=%d K=%lld lda=%lld batch=%d splits=%d beta=%g%s%s%s", kind, M, N,
                      static_cast<long long>(K), static_cast<long long>(lda), batch, c.splits, c.beta,
                      c.upper ? " upper" : "", c.misalign ? " misaligned" : "", c.ints ? " integers(exact)" : "");
        double tol = tf32 ? 5e-3 : fp_tol<T>(1e-5 * std::max(1.0, std::sqrt(K / 1000.0)), 1e-12);
        if (c.ints) tol = 0;
        compare(name, got, want, tol, N);
        expect(std::string(name) + " writes only inside C", pads_ok, pads_ok ? "" : "padding was modified");
        if (twice) expect(std::string(name) + " is bitwise deterministic", same_bits, same_bits ? "" : "two runs differ");
    }
}

// TF32 rounding: cvt.rna (round to nearest, ties away from zero) is what the kernel must apply. 1 + 2^-11 lies
// exactly halfway between two TF32 values: rna gives 1 + 2^-10, truncation and ties-to-even give 1. With every
// A and B entry equal to it, C = K (1 + 2^-10)^2 exactly, and any other rounding gives K.
void test_tf32_rounding(Kernels& k) {
    const int M = 3, N = 5;
    const int64_t K = 64;
    const float tie = 1.0f + std::ldexp(1.0f, -11);
    DBuf<float> dA(size_t(M) * K), dB(size_t(N) * K);
    dA.upload(std::vector<float>(dA.n, tie));
    dB.upload(std::vector<float>(dB.n, tie));
    DBuf<double> dC(size_t(M) * N);
    k.poison(dC);
    k.gram<float>(true, M, N, K, dA.p, K, 0, dB.p, K, 0, dC.p, N, 0, 1.0, 0.0, 1, 1, nullptr, 0);
    const double rna = 1.0 + std::ldexp(1.0, -10);
    compare("gram tf32 rounds with cvt.rna (ties away from zero), not truncation or ties-to-even", dC.download(),
            Vec(size_t(M) * N, double(K) * rna * rna), 0, N);
}

// Long fp32 reductions: an NTK diagonal is a sum of non-negative terms (a ReLU h-Gram too), so an fp32 chain
// over all K loses ~K·2^-24 of it. The kernels cap each fp32 chain at SLICE_K and sum slices in fp64; the
// diagonal and the whole result must stay within 1e-5 of a host fp64 sum whatever K, here without split-K
// (what a large N gives once the output tiles fill the GPU). `reduction` is the K of the Gram check, and the
// structured check runs trace mode at that K = O * width.
void test_long_reductions(Kernels& k, int64_t reduction, int O, int splits_gram, int splits_struct,
                          bool gram = true, bool structured = true) {
    const double tol = 1e-5;
    auto diag_err = [](const Vec& got, const Vec& want, int n) {
        double m = 0;
        for (int i = 0; i < n; ++i) m = std::max(m, std::fabs(got[size_t(i) * n + i] - want[size_t(i) * n + i]) /
                                                    std::fabs(want[size_t(i) * n + i]));
        return m;
    };
    char tag[160];
    if (gram) {
        const int M = 3;
        const int64_t K = reduction;
        const Vec hA = round_to<float>(random_vec(size_t(M) * K, 71, 0, 1));  // non-negative, like ReLU outputs
        DBuf<float> dA = upload<float>(hA);
        DBuf<double> dC(size_t(M) * M), ws(Kernels::workspace_elems(true, K, splits_gram, 1, M, M));
        k.poison(dC);
        k.gram<float>(false, M, M, K, dA.p, K, 0, dA.p, K, 0, dC.p, M, 0, 1.0, 0.0, 1, splits_gram, ws.p, 0);
        const Vec got = dC.download();
        Vec want(size_t(M) * M);
        ref::gemm_nt(M, M, K, hA.data(), K, hA.data(), K, want.data(), M);
        std::snprintf(tag, sizeof tag, "long reduction: gram f32 of non-negative rows, K=%lld, splits=%d",
                      static_cast<long long>(K), splits_gram);
        const double de = diag_err(got, want, M);
        expect(std::string(tag) + ", diagonal vs host fp64", de <= tol, "max rel " + sci(de) + " (tol 1e-05)");
        compare(std::string(tag) + ", whole", got, want, tol, M);
    }
    if (structured) {
        const int N = 2, width = static_cast<int>(reduction / O);
        const Vec hH = round_to<float>(random_vec(size_t(N) * width, 72, 0, 1));
        const Vec hD = round_to<float>(random_vec(size_t(N) * O * width, 73, -1, 1));
        DBuf<float> dH = upload<float>(hH), dD = upload<float>(hD);
        DBuf<double> gh(size_t(N) * N), th(size_t(N) * N);
        DBuf<double> wsg(Kernels::workspace_elems(true, width, splits_gram, 1, N, N));
        DBuf<double> wss(Kernels::struct_workspace_elems<float>(1, N, N, O, width, splits_struct));
        k.poison(gh);
        k.poison(th);
        k.gram<float>(false, N, N, width, dH.p, width, 0, dH.p, width, 0, gh.p, N, 0, 1.0, 0.0, 1, splits_gram, wsg.p,
                      0);
        k.struct_layer<float>(1, N, N, O, width, dD.p, dD.p, gh.p, N, 1.0, 0.0, 0.0, th.p, splits_struct, wss.p);
        const Vec got = th.download();
        Vec g(size_t(N) * N), dg(size_t(N) * N), want(size_t(N) * N);
        const int64_t kd = int64_t(width) * O;
        ref::gemm_nt(N, N, width, hH.data(), width, hH.data(), width, g.data(), N);
        ref::gemm_nt(N, N, kd, hD.data(), kd, hD.data(), kd, dg.data(), N);
        for (size_t e = 0; e < want.size(); ++e) want[e] = g[e] * dg[e] / O;
        std::snprintf(tag, sizeof tag, "long reduction: structured trace f32, width=%d O=%d (K=%lld), splits=%d", width,
                      O, static_cast<long long>(kd), splits_struct);
        const double de = diag_err(got, want, N);
        expect(std::string(tag) + ", diagonal vs host fp64", de <= tol, "max rel " + sci(de) + " (tol 1e-05)");
        compare(std::string(tag) + ", whole", got, want, tol, N);
    }
}

// ---------------------------------------------------------------------------------------------------
// Network pipeline on the device: forward, deltas, structured and Jacobian-contraction NTK, MSE gradient.
// ---------------------------------------------------------------------------------------------------
template <typename T>
struct DevNet {
    ref::Mlp net;  // parameters rounded to T
    std::vector<DBuf<T>> W, Wt, b;
};

template <typename T>
DevNet<T> upload_net(Kernels& k, const ref::Mlp& src) {
    DevNet<T> d;
    d.net = src;
    for (int l = 0; l < src.L(); ++l) {
        d.net.W[l] = round_to<T>(src.W[l]);
        if (src.bias) d.net.b[l] = round_to<T>(src.b[l]);
        d.W.push_back(upload<T>(d.net.W[l]));
        DBuf<T> wt(d.net.W[l].size());
        k.poison(wt);
        k.transpose<T>(src.n[l + 1], src.n[l], d.W[l].p, src.n[l], wt.p, src.n[l + 1]);
        d.Wt.push_back(std::move(wt));
        d.b.push_back(src.bias ? upload<T>(d.net.b[l]) : DBuf<T>());
    }
    return d;
}

// Per input set: H[l] (l = 0..L-1, H[0] = X), Z[l] (l = 1..L), D[l] (l = 1..L, rows (n, a)).
template <typename T>
struct DevActs {
    std::vector<DBuf<T>> H, Z, D;
};

template <typename T>
DevActs<T> run_forward(Kernels& k, const DevNet<T>& d, const Vec& X, int N) {
    const ref::Mlp& net = d.net;
    const int L = net.L();
    DevActs<T> a;
    a.H.resize(L);
    a.Z.resize(L + 1);
    a.H[0] = upload<T>(X);
    for (int l = 0; l < L; ++l) {
        a.Z[l + 1] = DBuf<T>(size_t(N) * net.n[l + 1]);
        k.poison(a.Z[l + 1]);
        T* hn = nullptr;
        if (l + 1 < L) {
            a.H[l + 1] = DBuf<T>(size_t(N) * net.n[l + 1]);
            k.poison(a.H[l + 1]);
            hn = a.H[l + 1].p;
        }
        k.forward<T>(N, net.n[l + 1], net.n[l], a.H[l].p, net.n[l], d.W[l].p, net.bias ? d.b[l].p : nullptr,
                     static_cast<T>(net.c(l)), static_cast<T>(net.s(l)), l + 1 < L ? net.act : ref::IDENTITY,
                     a.Z[l + 1].p, hn);
    }
    return a;
}

// rpe = O: NTK deltas seeded with e_a. rpe = 1: seed given in D[L] already (MSE residual).
template <typename T>
void run_deltas(Kernels& k, const DevNet<T>& d, DevActs<T>& a, int N, int rpe) {
    const ref::Mlp& net = d.net;
    const int L = net.L(), O = net.O();
    const int R = N * rpe;
    if (rpe == O && int(a.D.size()) != L + 1) {
        a.D.resize(L + 1);
        a.D[L] = DBuf<T>(size_t(R) * O);
        k.poison(a.D[L]);
        k.delta_seed_identity<T>(N, O, a.D[L].p);
    }
    for (int l = L - 1; l >= 1; --l) {
        a.D[l] = DBuf<T>(size_t(R) * net.n[l]);
        k.poison(a.D[l]);
        k.backward_delta<T>(R, net.n[l], net.n[l + 1], a.D[l + 1].p, d.Wt[l].p, a.Z[l].p, rpe,
                            static_cast<T>(net.c(l)), net.act, a.D[l].p);
    }
}

struct SCase {
    std::vector<int> n;
    int act;
    bool bias, ntk;
    int N1, N2;
    bool same;
    int splits;  // 0: heuristic
};

template <typename T>
void test_network(Kernels& k) {
    const SCase cases[] = {
        {{5, 17, 33, 3}, ref::RELU, true, true, 7, 5, false, 0},
        {{5, 17, 33, 3}, ref::ERF, false, true, 7, 7, true, 3},
        {{1, 3, 1}, ref::TANH, true, false, 1, 1, false, 0},
        {{65, 129, 4}, ref::GELU, true, true, 9, 4, false, 2},
        {{3, 17, 17, 17, 2}, ref::IDENTITY, true, true, 3, 6, false, 0},
        {{4, 200, 1}, ref::RELU, true, false, 130, 3, false, 0},
    };
    const double tol = fp_tol<T>(5e-5, 1e-11);
    int idx = 0;
    for (const SCase& c : cases) {
        ++idx;
        ref::Mlp src;
        src.n = c.n;
        src.act = c.act;
        src.bias = c.bias;
        src.ntk_param = c.ntk;
        src.sw = 1.4;
        src.sb = 0.3;
        src.init(1000 + idx);
        DevNet<T> d = upload_net<T>(k, src);
        const ref::Mlp& net = d.net;
        const int L = net.L(), O = net.O(), N1 = c.N1, N2 = c.N2, d0 = net.n[0];
        const Vec X1 = round_to<T>(random_vec(size_t(N1) * d0, 2000 + idx));
        const Vec X2 = c.same ? X1 : round_to<T>(random_vec(size_t(N2) * d0, 3000 + idx));
        char tag[160];
        std::snprintf(tag, sizeof tag, "%s net#%d %s%s%s N1=%d N2=%d", kern::sfx<T>(), idx, ref::act_name(c.act),
                      c.bias ? "" : " no-bias", c.ntk ? " ntk" : " standard", N1, N2);
        const std::string t = tag;

        // Transposed weights (ntk_transpose).
        for (int l = 0; l < L; ++l) {
            Vec want(net.W[l].size());
            for (int i = 0; i < net.n[l + 1]; ++i)
                for (int j = 0; j < net.n[l]; ++j) want[size_t(j) * net.n[l + 1] + i] = net.W[l][size_t(i) * net.n[l] + j];
            compare(t + " transpose W" + std::to_string(l), to_d(d.Wt[l].download()), want, 0, net.n[l + 1]);
        }

        // Forward and deltas against the reference.
        DevActs<T> a1 = run_forward<T>(k, d, X1, N1);
        run_deltas<T>(k, d, a1, N1, O);
        std::vector<Vec> rh, rz, rd;
        ref::forward(net, X1, N1, rh, rz);
        ref::deltas(net, rz, N1, rd);
        for (int l = 1; l <= L; ++l) compare(t + " forward z" + std::to_string(l), to_d(a1.Z[l].download()), rz[l], tol, net.n[l]);
        for (int l = 1; l < L; ++l) compare(t + " forward h" + std::to_string(l), to_d(a1.H[l].download()), rh[l], tol, net.n[l]);
        for (int l = 1; l <= L; ++l) compare(t + " delta" + std::to_string(l), to_d(a1.D[l].download()), rd[l], tol, net.n[l]);

        DevActs<T> a2s;
        if (!c.same) {
            a2s = run_forward<T>(k, d, X2, N2);
            run_deltas<T>(k, d, a2s, N2, O);
        }
        DevActs<T>& a2 = c.same ? a1 : a2s;

        const Vec full = ref::ntk_explicit(net, X1, N1, X2, N2);
        const Vec trace = ref::full_to_trace(full, N1, N2, O);
        const Vec diag = ref::full_to_diag(full, N1, N2, O);

        // Structured NTK, every mode (fp64 h-Gram and Theta for every input type); with forced split-K twice, bit for
        // bit.
        const char* mode_name[] = {"full", "trace", "diag"};
        const int struct_runs = c.splits > 1 ? 2 : 1;
        for (int mode = 0; mode < 3; ++mode) {
            const size_t nT = mode == 0 ? size_t(N1) * N2 * O * O : (mode == 1 ? size_t(N1) * N2 : size_t(N1) * N2 * O);
            std::vector<double> runs[2];
            for (int run_i = 0; run_i < struct_runs; ++run_i) {
                auto& run = runs[run_i];
                DBuf<double> theta(nT), gh(size_t(N1) * N2);
                k.poison(theta);
                for (int l = 0; l < L; ++l) {
                    k.poison(gh);
                    const int sg = k.choose_splits(N1, N2, 1, net.n[l], kern::simt_tile<T>(), c.same);
                    DBuf<double> wsg(Kernels::workspace_elems(sizeof(T) == 4, net.n[l], sg, 1, N1, N2));
                    k.gram<T>(false, N1, N2, net.n[l], a1.H[l].p, net.n[l], 0, a2.H[l].p, net.n[l], 0, gh.p, N2, 0, 1.0,
                              0.0, 1, sg, wsg.p, c.same ? 1 : 0);
                    const int width = net.n[l + 1];
                    const int sp = c.splits > 0 ? c.splits : k.struct_splits<T>(mode, N1, N2, O, width);
                    DBuf<double> ws(Kernels::struct_workspace_elems<T>(mode, N1, N2, O, width, sp));
                    if (ws.n) k.poison(ws);
                    const double c2 = net.c(l) * net.c(l), s2 = net.bias ? net.s(l) * net.s(l) : 0.0;
                    k.struct_layer<T>(mode, N1, N2, O, width, a1.D[l + 1].p, a2.D[l + 1].p, gh.p, N2, c2, s2,
                                      l == 0 ? 0.0 : 1.0, theta.p, sp, ws.p);
                }
                run = theta.download();
            }
            const Vec& want = mode == 0 ? full : (mode == 1 ? trace : diag);
            const std::string what = t + " structured " + mode_name[mode] + (c.splits > 1 ? " split-K" : "");
            compare(what, runs[0], want, tol, mode == 0 ? O * O : (mode == 1 ? N2 : O));
            if (struct_runs == 2) {
                const bool same_bits = std::memcmp(runs[0].data(), runs[1].data(), nT * sizeof(double)) == 0;
                expect(what + " is bitwise deterministic", same_bits, same_bits ? "" : "two runs differ");
            }
        }

        // Jacobian contraction in two unequal column chunks of P; each chunk's leading dimension is padded to
        // J_LD_ALIGN elements (16-byte rows for the Gram kernel); G (fp64) accumulates the chunks.
        const int64_t P = net.P();
        const int64_t pc = P / 2 + 1;
        const int64_t ldj = kern::jacobian_ld(pc);
        const int R1 = N1 * O, R2 = N2 * O;
        DBuf<T> J1(size_t(R1) * ldj), J2(size_t(R2) * ldj);
        DBuf<double> G(size_t(R1) * R2);
        k.poison(G);
        const Vec Jref = ref::jacobian(net, X1, N1);
        for (int64_t c0 = 0; c0 < P; c0 += pc) {
            const int64_t w = std::min(pc, P - c0);
            k.poison(J1);
            k.poison(J2);
            for (int l = 0; l < L; ++l) {
                const int64_t off = net.offset(l), size = net.layer_size(l);
                const int64_t lo = std::max(c0, off), hi = std::min(c0 + w, off + size);
                if (hi <= lo) continue;
                k.jacobian_layer<T>(R1, O, net.n[l + 1], net.n[l], a1.D[l + 1].p, a1.H[l].p, static_cast<T>(net.c(l)),
                                    static_cast<T>(net.s(l)), net.bias ? 1 : 0, lo - off, hi - off, J1.p, ldj, lo - c0);
                k.jacobian_layer<T>(R2, O, net.n[l + 1], net.n[l], a2.D[l + 1].p, a2.H[l].p, static_cast<T>(net.c(l)),
                                    static_cast<T>(net.s(l)), net.bias ? 1 : 0, lo - off, hi - off, J2.p, ldj, lo - c0);
            }
            // The chunk's columns of J1 against the reference Jacobian.
            const Vec j1 = to_d(J1.download());
            Vec got, want;
            for (int r = 0; r < R1; ++r)
                for (int64_t p = 0; p < w; ++p) {
                    got.push_back(j1[size_t(r) * ldj + p]);
                    want.push_back(Jref[size_t(r) * P + c0 + p]);
                }
            compare(t + " jacobian columns [" + std::to_string(c0) + "," + std::to_string(c0 + w) + ")", got, want, tol,
                    w);
            const int sp = k.choose_splits(R1, R2, 1, w, kern::simt_tile<T>());
            DBuf<double> ws(Kernels::workspace_elems(sizeof(T) == 4, w, sp, 1, R1, R2));
            k.gram<T>(false, R1, R2, w, J1.p, ldj, 0, J2.p, ldj, 0, G.p, R2, 0, 1.0, c0 == 0 ? 0.0 : 1.0, 1, sp, ws.p,
                      0);
        }
        DBuf<double> tf(size_t(N1) * N2 * O * O), tt(size_t(N1) * N2), td(size_t(N1) * N2 * O);
        k.poison(tf);
        k.poison(tt);
        k.poison(td);
        k.jc_to_full(N1, N2, O, G.p, R2, tf.p);
        k.full_to_trace(N1, N2, O, tf.p, tt.p);
        k.full_to_diag(N1, N2, O, tf.p, td.p);
        compare(t + " jacobian-contraction full", tf.download(), full, tol, O * O);
        compare(t + " jacobian-contraction trace (ntk_full_to_trace)", tt.download(), trace, tol, N2);
        compare(t + " jacobian-contraction diag (ntk_full_to_diag)", td.download(), diag, tol, O);

        // MSE loss and gradient: residual seed, deltas with one row per example, weight/bias gradients.
        const Vec Y = round_to<T>(random_vec(size_t(N1) * O, 4000 + idx));
        DevActs<T> g = run_forward<T>(k, d, X1, N1);
        g.D.resize(L + 1);
        g.D[L] = DBuf<T>(size_t(N1) * O);
        k.poison(g.D[L]);
        DBuf<T> dY = upload<T>(Y);
        DBuf<double> partials(64), loss(1);
        k.poison(partials);
        k.poison(loss);
        const int nb = k.mse_residual<T>(int64_t(N1) * O, g.Z[L].p, dY.p, static_cast<T>(1.0 / (double(N1) * O)),
                                         g.D[L].p, partials.p, 64);
        k.sum_partials(partials.p, nb, 0.5 / (double(N1) * O), loss.p);
        run_deltas<T>(k, d, g, N1, 1);
        Vec grad;
        for (int l = 0; l < L; ++l) {
            DBuf<T> dW(size_t(net.n[l + 1]) * net.n[l]);
            k.poison(dW);
            k.weight_grad<T>(N1, net.n[l + 1], net.n[l], g.D[l + 1].p, g.H[l].p, static_cast<T>(net.c(l)), dW.p);
            const Vec w = to_d(dW.download());
            grad.insert(grad.end(), w.begin(), w.end());
            if (net.bias) {
                DBuf<T> db(net.n[l + 1]);
                k.poison(db);
                k.bias_grad<T>(N1, net.n[l + 1], g.D[l + 1].p, static_cast<T>(net.s(l)), db.p);
                const Vec bv = to_d(db.download());
                grad.insert(grad.end(), bv.begin(), bv.end());
            }
        }
        compare(t + " mse loss", loss.download(), Vec{ref::mse_loss(net, X1, Y, N1)}, tol);
        compare(t + " mse gradient", grad, ref::mse_grad(net, X1, Y, N1), tol);
    }
}

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------
template <typename T>
void test_helpers(Kernels& k) {
    const std::string s = kern::sfx<T>();
    {
        const size_t n = 1000003;
        DBuf<T> x(n);
        k.poison(x);
        k.fill_random<T>(x.p, n, 77, T(-2), T(3));
        Vec want(n);
        for (size_t e = 0; e < n; ++e) want[e] = static_cast<double>(static_cast<T>(ref::hash_uniform(77, e, -2, 3)));
        compare("fill_random " + s + " matches the host hash", to_d(x.download()), want, 0);
    }
    const int shapes[][2] = {{1, 1}, {33, 65}, {7, 130}, {130, 7}};
    for (const auto& sh : shapes) {
        const int rows = sh[0], cols = sh[1];
        const Vec X = random_vec(size_t(rows) * (cols + 3), 5);
        DBuf<T> dx = upload<T>(X), dy(size_t(cols) * (rows + 1));
        k.poison(dy);
        k.transpose<T>(rows, cols, dx.p, cols + 3, dy.p, rows + 1);
        const Vec y = to_d(dy.download());
        Vec got, want;
        for (int c = 0; c < cols; ++c)
            for (int r = 0; r < rows; ++r) {
                got.push_back(y[size_t(c) * (rows + 1) + r]);
                want.push_back(static_cast<double>(static_cast<T>(X[size_t(r) * (cols + 3) + c])));
            }
        compare("transpose " + s + " " + std::to_string(rows) + "x" + std::to_string(cols), got, want, 0, rows);
    }
    {
        const size_t n = 4099;
        DBuf<T> x(n);
        k.fill_random<T>(x.p, n, 3, T(-1), T(1));
        DBuf<unsigned long long> cnt(1);
        CK(cudaMemset(cnt.p, 0, sizeof(unsigned long long)));
        std::vector<T> h = x.download();
        h[17] = std::numeric_limits<T>::quiet_NaN();
        h[4098] = std::numeric_limits<T>::infinity();
        x.upload(h);
        k.launch(std::string("ntk_count_nonfinite_") + s, Kernels::stride_grid(int64_t(n)), dim3(256), x.p,
                 static_cast<long long>(n), cnt.p);
        const unsigned long long c = cnt.download()[0];
        expect("count_nonfinite " + s, c == 2, "counted " + std::to_string(c) + ", expected 2");
    }
    if (sizeof(T) == 8) {
        const size_t n = 70001;
        const Vec X = random_vec(n, 9, -1e3, 1e3);
        DBuf<double> dx = upload<double>(X);
        DBuf<float> dy(n);
        k.poison(dy);
        k.launch("ntk_convert_f64_to_f32", Kernels::stride_grid(int64_t(n)), dim3(256), static_cast<const double*>(dx.p),
                 dy.p, static_cast<long long>(n));
        compare("convert f64 -> f32", to_d(dy.download()), round_to<float>(X), 0);
        DBuf<double> dz(n);
        k.poison(dz);
        k.launch("ntk_convert_f32_to_f64", Kernels::stride_grid(int64_t(n)), dim3(256), static_cast<const float*>(dy.p),
                 dz.p, static_cast<long long>(n));
        compare("convert f32 -> f64", to_d(dz.download()), round_to<float>(X), 0);
    }
}

// ---------------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------------
struct Timer {
    cudaEvent_t a = nullptr, b = nullptr;
    Timer() {
        CK(cudaEventCreate(&a));
        CK(cudaEventCreate(&b));
    }
    ~Timer() {
        cudaEventDestroy(a);
        cudaEventDestroy(b);
    }
};

int g_reps = 0;  // 0: adaptive

// Median of device-timed runs after one warm-up; adaptive count aims at ~2 s of timed work (3..25 runs).
double median_ms(Kernels& k, const std::function<void()>& f) {
    Timer t;
    auto once = [&]() {
        CK(cudaEventRecord(t.a, k.stream));
        f();
        CK(cudaEventRecord(t.b, k.stream));
        CK(cudaEventSynchronize(t.b));
        float ms = 0;
        CK(cudaEventElapsedTime(&ms, t.a, t.b));
        return static_cast<double>(ms);
    };
    const double first = once();  // warm-up
    int reps = g_reps;
    if (reps <= 0) reps = std::max(3, std::min(25, static_cast<int>(2000.0 / std::max(first, 1e-3))));
    std::vector<double> v;
    for (int r = 0; r < reps; ++r) v.push_back(once());
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

bool fits(size_t bytes) {
    size_t free_b = 0, total_b = 0;
    CK(cudaMemGetInfo(&free_b, &total_b));
    return bytes + (size_t(512) << 20) < free_b;
}

void print_rate(const char* what, double ms, double flops, double bytes, double base_ms) {
    std::printf("  %-34s %10.3f ms %10.1f GFLOP/s %8.1f GB/s", what, ms, flops / ms / 1e6, bytes / ms / 1e6);
    if (base_ms > 0) std::printf("  %6.1f%% of cuBLAS", 100.0 * base_ms / ms);
    std::printf("\n");
}

// Sampled entries of C (fp64) against double dot products of the regenerated inputs (elements of type T).
template <typename T>
double sampled_error(const std::vector<double>& C, int M, int N, int64_t K, uint64_t sa, uint64_t sb, bool same) {
    const int rs[] = {0, M - 1, M / 2, M / 3, 1 % M, (M * 7) / 11};
    const int qs[] = {N - 1, 0, N / 3, N / 2, (N * 5) / 13, 2 % N};
    double maxerr = 0, scale = 0;
    for (int i = 0; i < 6; ++i) {
        const int r = rs[i], q = qs[i];
        double acc = 0;
        for (int64_t kk = 0; kk < K; ++kk) {
            const double a = static_cast<T>(ref::hash_uniform(sa, uint64_t(r) * K + kk, -1, 1));
            const double b = static_cast<T>(ref::hash_uniform(same ? sa : sb, uint64_t(q) * K + kk, -1, 1));
            acc += a * b;
        }
        maxerr = std::max(maxerr, std::fabs(C[size_t(r) * N + q] - acc));
        scale = std::max(scale, std::fabs(acc));
    }
    return maxerr / std::max(scale, 1e-300);
}

// Sampled diagonal entries of C = A A^T (sums of squares: non-negative terms, the case where an fp32 chain over
// all of K drifts) against host fp64 sums; returns the largest relative error.
template <typename T>
double diagonal_error(const std::vector<double>& C, int M, int64_t K, uint64_t sa) {
    const int rs[] = {0, M - 1, M / 2, M / 3, (M * 7) / 11};
    double maxrel = 0;
    for (int r : rs) {
        double acc = 0;
        for (int64_t kk = 0; kk < K; ++kk) {
            const double a = static_cast<T>(ref::hash_uniform(sa, uint64_t(r) * K + kk, -1, 1));
            acc += a * a;
        }
        maxrel = std::max(maxrel, std::fabs(C[size_t(r) * M + r] - acc) / acc);
    }
    return maxrel;
}

double rel_fro(const Vec& a, const Vec& b) {
    double num = 0, den = 0;
    for (size_t e = 0; e < a.size(); ++e) {
        num += (a[e] - b[e]) * (a[e] - b[e]);
        den += b[e] * b[e];
    }
    return std::sqrt(num / std::max(den, 1e-300));
}

template <typename T>
void bench_gram(Kernels& k, cublas::Api& cb, int M, int N, int64_t K, bool with_tf32) {
    const size_t es = sizeof(T);
    const size_t bytesA = size_t(M) * K * es, bytesB = size_t(N) * K * es, bytesC = size_t(M) * N * 8;
    const bool fp32 = sizeof(T) == 4;
    const Tile t = kern::simt_tile<T>();
    const int sp = k.choose_splits(M, N, 1, K, t);
    const size_t wsn = Kernels::workspace_elems(fp32, K, sp, 1, M, N);
    std::printf("gram %s M=%d N=%d K=%lld: A %.2f GiB, B %.2f GiB, splits %d, fp64 workspace %.2f GiB\n",
                kern::sfx<T>(), M, N, static_cast<long long>(K), bytesA / 1073741824.0, bytesB / 1073741824.0, sp,
                wsn * 8 / 1073741824.0);
    if (!fits(bytesA + bytesB + 2 * bytesC + wsn * 8)) {
        std::printf("  skipped: not enough free device memory\n");
        return;
    }
    DBuf<T> A(size_t(M) * K), B(size_t(N) * K), Cb(size_t(M) * N);
    DBuf<double> C(size_t(M) * N), ws(wsn);
    k.fill_random<T>(A.p, int64_t(A.n), 11, T(-1), T(1));
    k.fill_random<T>(B.p, int64_t(B.n), 12, T(-1), T(1));
    CK(cudaStreamSynchronize(k.stream));
    const double flops = 2.0 * M * N * double(K);
    const double bytes = double(bytesA + bytesB + bytesC);
    const bool cb_ok = cb.ok() && K <= INT32_MAX;
    const bool sync = k.sync_each;
    k.sync_each = false;
    // Agreement with cuBLAS (relative Frobenius distance of the two results): both are fp32 products in fp32
    // (TF32) arithmetic; ours sums slices in fp64, cuBLAS does not, so the bound is cuBLAS's own error.
    const double cb_tol = fp32 ? 1e-3 : 1e-10;

    double base = 0;
    if (cb_ok) {
        const T one = 1, zero = 0;
        base = median_ms(k, [&]() {
            if (fp32)
                cb.sgemm(cb.handle, cublas::OP_T, cublas::OP_N, N, M, static_cast<int>(K), reinterpret_cast<const float*>(&one),
                         reinterpret_cast<const float*>(B.p), static_cast<int>(K), reinterpret_cast<const float*>(A.p),
                         static_cast<int>(K), reinterpret_cast<const float*>(&zero), reinterpret_cast<float*>(Cb.p), N);
            else
                cb.dgemm(cb.handle, cublas::OP_T, cublas::OP_N, N, M, static_cast<int>(K), reinterpret_cast<const double*>(&one),
                         reinterpret_cast<const double*>(B.p), static_cast<int>(K), reinterpret_cast<const double*>(A.p),
                         static_cast<int>(K), reinterpret_cast<const double*>(&zero), reinterpret_cast<double*>(Cb.p), N);
        });
        print_rate(fp32 ? "cuBLAS sgemm" : "cuBLAS dgemm", base, flops, bytes, 0);
    } else {
        std::printf("  cuBLAS baseline unavailable: %s\n", cb.ok() ? "K exceeds int range" : cb.why.c_str());
    }
    const double ours = median_ms(k, [&]() {
        k.gram<T>(false, M, N, K, A.p, K, 0, B.p, K, 0, C.p, N, 0, 1.0, 0.0, 1, sp, ws.p, 0);
    });
    print_rate((std::string("ntk_gram_nt_") + kern::sfx<T>()).c_str(), ours, flops, bytes, base);
    CK(cudaStreamSynchronize(k.stream));
    const std::vector<double> hc = C.download();
    const double serr = sampled_error<T>(hc, M, N, K, 11, 12, false);
    const double stol = fp32 ? 1e-3 : 1e-10;
    expect(std::string("bench gram ") + kern::sfx<T>() + " sampled entries vs host double", serr <= stol,
           "max rel err " + std::to_string(serr));
    if (cb_ok) {
        const double e = rel_fro(hc, to_d(Cb.download()));
        expect(std::string("bench gram ") + kern::sfx<T>() + " agrees with cuBLAS", e <= cb_tol,
               "relF " + std::to_string(e));
    }

    if (fp32 && with_tf32) {
        const int spt = k.choose_splits(M, N, 1, K, kern::tf32_tile());
        DBuf<double> wst(Kernels::workspace_elems(true, K, spt, 1, M, N));
        double tb = 0;
        if (cb_ok) {
            const float one = 1, zero = 0;
            tb = median_ms(k, [&]() {
                cb.gemm_ex(cb.handle, cublas::OP_T, cublas::OP_N, N, M, static_cast<int>(K), &one, B.p, cublas::R_32F,
                           static_cast<int>(K), A.p, cublas::R_32F, static_cast<int>(K), &zero, Cb.p, cublas::R_32F, N,
                           cublas::COMPUTE_32F_FAST_TF32, cublas::GEMM_DEFAULT);
            });
            print_rate("cuBLAS GemmEx FAST_TF32", tb, flops, bytes, 0);
        }
        const double ot = median_ms(k, [&]() {
            k.gram<T>(true, M, N, K, A.p, K, 0, B.p, K, 0, C.p, N, 0, 1.0, 0.0, 1, spt, wst.p, 0);
        });
        print_rate("ntk_gram_nt_tf32", ot, flops, bytes, tb);
        CK(cudaStreamSynchronize(k.stream));
        const std::vector<double> ht = C.download();
        const double te = sampled_error<T>(ht, M, N, K, 11, 12, false);
        expect("bench gram tf32 sampled entries vs host double", te <= 5e-2, "max rel err " + std::to_string(te));
        if (cb_ok) {
            const double e = rel_fro(ht, to_d(Cb.download()));
            expect("bench gram tf32 agrees with cuBLAS FAST_TF32", e <= 5e-2, "relF " + std::to_string(e));
        }
    }

    if (M == N) {
        // K(x, x): upper-triangle tiles + mirror (against cuBLAS SYRK in fp32); the diagonal, a sum of squares,
        // against host fp64 sums at 1e-5 whatever K and the split count.
        const int spu = k.choose_splits(M, M, 1, K, t, true);
        DBuf<double> wsu(Kernels::workspace_elems(fp32, K, spu, 1, M, M));
        double sb = 0;
        if (cb_ok && fp32) {
            const float one = 1, zero = 0;
            sb = median_ms(k, [&]() {
                cb.ssyrk(cb.handle, cublas::FILL_UPPER, cublas::OP_T, N, static_cast<int>(K), &one,
                         reinterpret_cast<const float*>(A.p), static_cast<int>(K), &zero, reinterpret_cast<float*>(Cb.p), N);
            });
            print_rate("cuBLAS ssyrk (A A^T, one triangle)", sb, flops / 2, bytes / 2, 0);
        }
        const double ou = median_ms(k, [&]() {
            k.gram<T>(false, M, M, K, A.p, K, 0, A.p, K, 0, C.p, M, 0, 1.0, 0.0, 1, spu, wsu.p, 1);
        });
        print_rate((std::string("ntk_gram_nt_") + kern::sfx<T>() + " upper + mirror").c_str(), ou, flops / 2,
                   bytes / 2, sb);
        CK(cudaStreamSynchronize(k.stream));
        const std::vector<double> hu = C.download();
        const double ue = sampled_error<T>(hu, M, M, K, 11, 11, true);
        const double de = diagonal_error<T>(hu, M, K, 11);
        bool sym = true;
        for (int r = 0; r < M && sym; r += 37)
            for (int q = 0; q < M; q += 41)
                if (hu[size_t(r) * M + q] != hu[size_t(q) * M + r]) sym = false;
        expect(std::string("bench gram ") + kern::sfx<T>() + " upper sampled entries vs host double, exact symmetry",
               ue <= stol && sym, "max rel err " + std::to_string(ue) + (sym ? "" : ", not symmetric"));
        expect(std::string("bench gram ") + kern::sfx<T>() + " upper diagonal vs host fp64 sums (tol 1e-5)",
               de <= (fp32 ? 1e-5 : 1e-12), "max rel err " + sci(de));
    }
    k.sync_each = sync;
}

void bench_network(Kernels& k, int N, int d, int width, int depth, int O) {
    typedef float T;
    ref::Mlp src;
    src.n.push_back(d);
    for (int i = 0; i < depth; ++i) src.n.push_back(width);
    src.n.push_back(O);
    src.act = ref::RELU;
    src.bias = true;
    src.sw = 1.4;
    src.sb = 0.1;
    std::printf("network f32: N=%d d=%d width=%d depth=%d O=%d, P=%lld\n", N, d, width, depth, O,
                static_cast<long long>(src.P()));
    src.init(5);
    const int L = src.L();
    DevNet<T> dn = upload_net<T>(k, src);
    const Vec X = random_vec(size_t(N) * d, 6);
    DevActs<T> a = run_forward<T>(k, dn, X, N);
    run_deltas<T>(k, dn, a, N, O);
    CK(cudaStreamSynchronize(k.stream));
    const bool sync = k.sync_each;
    k.sync_each = false;

    double ffl = 0, bfl = 0;
    for (int l = 0; l < L; ++l) {
        ffl += 2.0 * N * src.n[l] * src.n[l + 1];
        if (l >= 1) bfl += 2.0 * N * O * src.n[l] * src.n[l + 1];
    }
    const double tf = median_ms(k, [&]() {
        for (int l = 0; l < L; ++l)
            k.forward<T>(N, src.n[l + 1], src.n[l], a.H[l].p, src.n[l], dn.W[l].p, dn.b[l].p, T(src.c(l)), T(src.s(l)),
                         l + 1 < L ? src.act : ref::IDENTITY, a.Z[l + 1].p, l + 1 < L ? a.H[l + 1].p : nullptr);
    });
    print_rate("forward (all layers)", tf, ffl, 0, 0);
    const double tb = median_ms(k, [&]() {
        k.delta_seed_identity<T>(N, O, a.D[L].p);
        for (int l = L - 1; l >= 1; --l)
            k.backward_delta<T>(N * O, src.n[l], src.n[l + 1], a.D[l + 1].p, dn.Wt[l].p, a.Z[l].p, O, T(src.c(l)), src.act,
                                a.D[l].p);
    });
    print_rate("deltas for N*O rows (all layers)", tb, bfl, 0, 0);

    const char* mode_name[] = {"structured NTK full", "structured NTK trace", "structured NTK diag"};
    for (int mode = 0; mode < 3; ++mode) {
        const size_t nT = mode == 0 ? size_t(N) * N * O * O : (mode == 1 ? size_t(N) * N : size_t(N) * N * O);
        DBuf<double> theta(nT), gh(size_t(N) * N);
        double fl = 0;
        size_t wsn = 0;
        for (int l = 0; l < L; ++l) {
            int M, NN, batch;
            Kernels::struct_dims(mode, N, N, O, M, NN, batch);
            const int sp = k.struct_splits<T>(mode, N, N, O, src.n[l + 1]);
            wsn = std::max(wsn, Kernels::struct_workspace_elems<T>(mode, N, N, O, src.n[l + 1], sp));
            const int sg = k.choose_splits(N, N, 1, src.n[l], kern::simt_tile<T>(), true);
            wsn = std::max(wsn, Kernels::workspace_elems(true, src.n[l], sg, 1, N, N));
            fl += 2.0 * N * N * src.n[l] / 2;  // h-Gram, upper triangle
            fl += 2.0 * double(M) * NN * batch * (mode == 1 ? double(src.n[l + 1]) * O : src.n[l + 1]);
        }
        if (!fits(nT * 8 + wsn * 8)) {
            std::printf("  %s skipped: not enough device memory\n", mode_name[mode]);
            continue;
        }
        DBuf<double> ws(wsn);
        const double ms = median_ms(k, [&]() {
            for (int l = 0; l < L; ++l) {
                const int sg = k.choose_splits(N, N, 1, src.n[l], kern::simt_tile<T>(), true);
                k.gram<T>(false, N, N, src.n[l], a.H[l].p, src.n[l], 0, a.H[l].p, src.n[l], 0, gh.p, N, 0, 1.0, 0.0, 1,
                          sg, ws.p, 1);
                const int sp = k.struct_splits<T>(mode, N, N, O, src.n[l + 1]);
                const double c2 = src.c(l) * src.c(l), s2 = src.s(l) * src.s(l);
                k.struct_layer<T>(mode, N, N, O, src.n[l + 1], a.D[l + 1].p, a.D[l + 1].p, gh.p, N, c2, s2,
                                  l == 0 ? 0.0 : 1.0, theta.p, sp, ws.p);
            }
        });
        print_rate(mode_name[mode], ms, fl, 0, 0);
        std::printf("  %-34s %10.3f ms (forward + deltas + %s)\n", "end-to-end K(x,x)", tf + tb + ms, mode_name[mode]);
    }
    k.sync_each = sync;
}


void usage() {
    std::printf(
        "usage: ntk4j-harness [--fatbin PATH] [--check-only | --bench-only | --cpu-only]\n"
        "                     [--gemm M,N,K]... [--struct N,d,width,depth,O] [--reps R]\n"
        "                     [--no-fp64-bench] [--no-tf32-bench] [--long-reductions K] [--skip-long-reductions]\n"
        "                     [--conv-only]\n"
        "defaults: --gemm 4096,4096,1048576 --gemm 256,256,16777216 --struct 512,256,4096,3,10\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string fatbin;
    bool do_check = true, do_bench = true, cpu_only = false, fp64_bench = true, tf32_bench = true;
    long long long_k = 0;  // --long-reductions K: the long-reduction checks at the target sizes
    bool skip_long = false;  // --skip-long-reductions: accuracy does not depend on copy timing or sanitizers
    bool conv_only = false;  // --conv-only: only the convolution and pooling checks
    struct Shape {
        int M, N;
        long long K;
    };
    std::vector<Shape> shapes;
    int sN = 512, sd = 256, sw = 4096, sdepth = 3, sO = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--fatbin") {
            fatbin = next();
        } else if (a == "--check-only") {
            do_bench = false;
        } else if (a == "--bench-only") {
            do_check = false;
        } else if (a == "--cpu-only") {
            cpu_only = true;
        } else if (a == "--no-fp64-bench") {
            fp64_bench = false;
        } else if (a == "--conv-only") {
            conv_only = true;
            do_bench = false;
        } else if (a == "--skip-long-reductions") {
            skip_long = true;
        } else if (a == "--long-reductions") {
            long_k = std::atoll(next().c_str());
            if (long_k < 1) {
                usage();
                return 2;
            }
        } else if (a == "--no-tf32-bench") {
            tf32_bench = false;
        } else if (a == "--reps") {
            g_reps = std::atoi(next().c_str());
        } else if (a == "--gemm") {
            Shape s{};
            if (std::sscanf(next().c_str(), "%d,%d,%lld", &s.M, &s.N, &s.K) != 3 || s.M < 1 || s.N < 1 || s.K < 1) {
                usage();
                return 2;
            }
            shapes.push_back(s);
        } else if (a == "--struct") {
            if (std::sscanf(next().c_str(), "%d,%d,%d,%d,%d", &sN, &sd, &sw, &sdepth, &sO) != 5) {
                usage();
                return 2;
            }
        } else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (shapes.empty()) shapes = {{4096, 4096, 1LL << 20}, {256, 256, 1LL << 24}};

    std::printf("== CPU reference self-check\n");
    int ref_passes = 0;
    const int ref_fails = ref::self_check(ref_passes);
    g_pass += ref_passes;
    g_fail += ref_fails;
    if (cpu_only) {
        std::printf("%d passed, %d failed\n", g_pass, g_fail);
        return g_fail ? 1 : 0;
    }

    if (fatbin.empty()) {
        const std::string exe = argv[0];
        const size_t slash = exe.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : exe.substr(0, slash);
        fatbin = dir + "/../ntk4j_kernels.fatbin";
    }
    int ndev = 0;
    const cudaError_t de = cudaGetDeviceCount(&ndev);
    if (de != cudaSuccess || ndev == 0) {
        std::printf("FAIL no CUDA device: %s\n", de != cudaSuccess ? cudaGetErrorString(de) : "none found");
        return 3;
    }
    cudaDeviceProp prop{};
    CK(cudaGetDeviceProperties(&prop, 0));
    int drv = 0, rt = 0;
    CK(cudaDriverGetVersion(&drv));
    CK(cudaRuntimeGetVersion(&rt));
    std::printf("== device: %s, sm_%d%d, %d SMs, %.1f GiB, driver %d, runtime %d\n", prop.name, prop.major, prop.minor,
                prop.multiProcessorCount, prop.totalGlobalMem / 1073741824.0, drv, rt);
    Kernels k;
    std::string why;
    if (!k.load(fatbin, why)) {
        std::printf("FAIL cannot load kernels: %s\n", why.c_str());
        return 3;
    }
    std::printf("== kernels: %s\n", fatbin.c_str());
    cublas::Api cb;
    if (cb.load(k.stream))
        std::printf("== cuBLAS: %s\n", cb.path.c_str());
    else
        std::printf("== cuBLAS unavailable: %s (baselines skipped)\n", cb.why.c_str());

    const auto t0 = std::chrono::steady_clock::now();
    if (do_check) {
        std::printf("== checks\n");
        if (long_k > 0) {
            // Only the long reductions, at the target sizes, without split-K (what a large N gives): a Gram with
            // K = long_k, and one trace-mode structured layer at width 65,536 with O = 10 (K = 655,360).
            test_long_reductions(k, long_k, 1, 1, 1, true, false);
            test_long_reductions(k, 655360, 10, 1, 1, false, true);
            std::printf("%d passed, %d failed\n", g_pass, g_fail);
            return g_fail ? 1 : 0;
        }
        if (conv_only) {
            test_conv_layers(k);
            std::printf("%d passed, %d failed\n", g_pass, g_fail);
            return g_fail ? 1 : 0;
        }
        test_helpers<float>(k);
        test_helpers<double>(k);
        test_gram<float>(k, false);
        test_gram<float>(k, true);
        test_gram<double>(k, false);
        test_tf32_rounding(k);
        if (!skip_long) test_long_reductions(k, 1 << 17, 8, 1, 1);
        test_network<float>(k);
        test_network<double>(k);
        test_conv_layers(k);
    }
    if (do_bench) {
        std::printf("== timings (CUDA events, 1 warm-up, median)\n");
        for (const Shape& s : shapes) {
            bench_gram<float>(k, cb, s.M, s.N, s.K, tf32_bench);
            if (fp64_bench) bench_gram<double>(k, cb, s.M, s.N, s.K, false);
        }
        bench_network(k, sN, sd, sw, sdepth, sO);
    }
    CK(cudaDeviceSynchronize());
    cb.unload();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("== done in %.1f s\n%d passed, %d failed\n", secs, g_pass, g_fail);
    return g_fail ? 1 : 0;
}
