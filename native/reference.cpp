// reference.cpp — see reference.h.
#include "reference.h"

#include <cmath>
#include <cstdio>

namespace ref {

const char* act_name(int act) {
    switch (act) {
        case IDENTITY: return "identity";
        case RELU: return "relu";
        case ERF: return "erf";
        case TANH: return "tanh";
        case GELU: return "gelu";
        default: return "?";
    }
}

double phi(int act, double z) {
    switch (act) {
        case RELU: return z > 0 ? z : 0;
        case ERF: return std::erf(z);
        case TANH: return std::tanh(z);
        case GELU: return 0.5 * z * (1.0 + std::erf(z / std::sqrt(2.0)));
        default: return z;
    }
}

double dphi(int act, double z) {
    const double pi = 3.14159265358979323846;
    switch (act) {
        case RELU: return z > 0 ? 1 : 0;
        case ERF: return 2.0 / std::sqrt(pi) * std::exp(-z * z);
        case TANH: {
            const double t = std::tanh(z);
            return 1 - t * t;
        }
        case GELU:
            return 0.5 * (1.0 + std::erf(z / std::sqrt(2.0))) + z * std::exp(-0.5 * z * z) / std::sqrt(2.0 * pi);
        default: return 1;
    }
}

double Mlp::c(int l) const { return ntk_param ? sw / std::sqrt(static_cast<double>(n[l])) : 1.0; }
double Mlp::s(int) const { return ntk_param ? sb : 1.0; }

int64_t Mlp::layer_size(int l) const {
    return static_cast<int64_t>(n[l + 1]) * n[l] + (bias ? n[l + 1] : 0);
}
int64_t Mlp::offset(int l) const {
    int64_t off = 0;
    for (int k = 0; k < l; ++k) off += layer_size(k);
    return off;
}
int64_t Mlp::P() const { return offset(L()); }

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

double hash_uniform(uint64_t seed, uint64_t index, double lo, double hi) {
    const uint64_t h = splitmix64(seed ^ splitmix64(index));
    const double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
}

void Mlp::init(uint64_t seed) {
    W.assign(L(), Vec());
    b.assign(L(), Vec());
    uint64_t idx = 0;
    for (int l = 0; l < L(); ++l) {
        // U[-sqrt(3), sqrt(3)] has unit variance.
        const double scale = ntk_param ? 1.0 : sw / std::sqrt(static_cast<double>(n[l]));
        W[l].resize(static_cast<size_t>(n[l + 1]) * n[l]);
        for (double& w : W[l]) w = scale * hash_uniform(seed, idx++, -1.7320508075688772, 1.7320508075688772);
        if (bias) {
            b[l].resize(n[l + 1]);
            const double bscale = ntk_param ? 1.0 : sb;
            for (double& v : b[l]) v = bscale * hash_uniform(seed, idx++, -1.7320508075688772, 1.7320508075688772);
        }
    }
}

void forward(const Mlp& net, const Vec& X, int N, std::vector<Vec>& h, std::vector<Vec>& z) {
    const int L = net.L();
    h.assign(L, Vec());
    z.assign(L + 1, Vec());
    h[0] = X;
    for (int l = 0; l < L; ++l) {
        const int ni = net.n[l], no = net.n[l + 1];
        z[l + 1].assign(static_cast<size_t>(N) * no, 0.0);
        for (int s = 0; s < N; ++s)
            for (int i = 0; i < no; ++i) {
                double acc = 0;
                for (int j = 0; j < ni; ++j) acc += net.W[l][static_cast<size_t>(i) * ni + j] * h[l][static_cast<size_t>(s) * ni + j];
                double v = net.c(l) * acc;
                if (net.bias) v += net.s(l) * net.b[l][i];
                z[l + 1][static_cast<size_t>(s) * no + i] = v;
            }
        if (l + 1 < L) {
            h[l + 1].resize(z[l + 1].size());
            for (size_t e = 0; e < z[l + 1].size(); ++e) h[l + 1][e] = phi(net.act, z[l + 1][e]);
        }
    }
}

void deltas(const Mlp& net, const std::vector<Vec>& z, int N, std::vector<Vec>& delta) {
    const int L = net.L(), O = net.O();
    const size_t R = static_cast<size_t>(N) * O;
    delta.assign(L + 1, Vec());
    delta[L].assign(R * O, 0.0);
    for (size_t r = 0; r < R; ++r) delta[L][r * O + r % O] = 1.0;
    for (int l = L - 1; l >= 1; --l) {
        const int ni = net.n[l], no = net.n[l + 1];
        delta[l].assign(R * ni, 0.0);
        for (size_t r = 0; r < R; ++r) {
            const size_t s = r / O;
            for (int j = 0; j < ni; ++j) {
                double acc = 0;
                for (int i = 0; i < no; ++i) acc += net.W[l][static_cast<size_t>(i) * ni + j] * delta[l + 1][r * no + i];
                delta[l][r * ni + j] = dphi(net.act, z[l][s * ni + j]) * net.c(l) * acc;
            }
        }
    }
}

Vec jacobian(const Mlp& net, const Vec& X, int N) {
    std::vector<Vec> h, z, d;
    forward(net, X, N, h, z);
    deltas(net, z, N, d);
    const int L = net.L(), O = net.O();
    const int64_t P = net.P();
    const size_t R = static_cast<size_t>(N) * O;
    Vec J(R * P, 0.0);
    for (size_t r = 0; r < R; ++r) {
        const size_t s = r / O;
        for (int l = 0; l < L; ++l) {
            const int ni = net.n[l], no = net.n[l + 1];
            double* row = &J[r * P + net.offset(l)];
            for (int i = 0; i < no; ++i) {
                const double di = d[l + 1][r * no + i];
                for (int j = 0; j < ni; ++j) row[static_cast<size_t>(i) * ni + j] = net.c(l) * di * h[l][s * ni + j];
                if (net.bias) row[static_cast<size_t>(no) * ni + i] = net.s(l) * di;
            }
        }
    }
    return J;
}

Vec ntk_explicit(const Mlp& net, const Vec& X1, int N1, const Vec& X2, int N2) {
    const int O = net.O();
    const int64_t P = net.P();
    const Vec J1 = jacobian(net, X1, N1), J2 = jacobian(net, X2, N2);
    Vec T(static_cast<size_t>(N1) * N2 * O * O, 0.0);
    for (int n1 = 0; n1 < N1; ++n1)
        for (int n2 = 0; n2 < N2; ++n2)
            for (int a = 0; a < O; ++a)
                for (int b = 0; b < O; ++b) {
                    const double* r1 = &J1[(static_cast<size_t>(n1) * O + a) * P];
                    const double* r2 = &J2[(static_cast<size_t>(n2) * O + b) * P];
                    double acc = 0;
                    for (int64_t p = 0; p < P; ++p) acc += r1[p] * r2[p];
                    T[((static_cast<size_t>(n1) * N2 + n2) * O + a) * O + b] = acc;
                }
    return T;
}

Vec ntk_structured(const Mlp& net, const Vec& X1, int N1, const Vec& X2, int N2) {
    const int L = net.L(), O = net.O();
    std::vector<Vec> h1, z1, d1, h2, z2, d2;
    forward(net, X1, N1, h1, z1);
    deltas(net, z1, N1, d1);
    forward(net, X2, N2, h2, z2);
    deltas(net, z2, N2, d2);
    Vec T(static_cast<size_t>(N1) * N2 * O * O, 0.0);
    for (int l = 0; l < L; ++l) {
        const int ni = net.n[l], no = net.n[l + 1];
        const double c2 = net.c(l) * net.c(l), s2 = net.bias ? net.s(l) * net.s(l) : 0.0;
        for (int n1 = 0; n1 < N1; ++n1)
            for (int n2 = 0; n2 < N2; ++n2) {
                double gh = 0;
                for (int j = 0; j < ni; ++j) gh += h1[l][static_cast<size_t>(n1) * ni + j] * h2[l][static_cast<size_t>(n2) * ni + j];
                const double g = c2 * gh + s2;
                for (int a = 0; a < O; ++a)
                    for (int b = 0; b < O; ++b) {
                        double gd = 0;
                        const double* r1 = &d1[l + 1][(static_cast<size_t>(n1) * O + a) * no];
                        const double* r2 = &d2[l + 1][(static_cast<size_t>(n2) * O + b) * no];
                        for (int i = 0; i < no; ++i) gd += r1[i] * r2[i];
                        T[((static_cast<size_t>(n1) * N2 + n2) * O + a) * O + b] += g * gd;
                    }
            }
    }
    return T;
}

Vec full_to_trace(const Vec& full, int N1, int N2, int O) {
    Vec t(static_cast<size_t>(N1) * N2, 0.0);
    for (size_t e = 0; e < t.size(); ++e) {
        double s = 0;
        for (int a = 0; a < O; ++a) s += full[(e * O + a) * O + a];
        t[e] = s / O;
    }
    return t;
}

Vec full_to_diag(const Vec& full, int N1, int N2, int O) {
    Vec t(static_cast<size_t>(N1) * N2 * O, 0.0);
    for (size_t e = 0; e < static_cast<size_t>(N1) * N2; ++e)
        for (int a = 0; a < O; ++a) t[e * O + a] = full[(e * O + a) * O + a];
    return t;
}

double mse_loss(const Mlp& net, const Vec& X, const Vec& Y, int N) {
    std::vector<Vec> h, z;
    forward(net, X, N, h, z);
    double s = 0;
    for (size_t e = 0; e < z[net.L()].size(); ++e) {
        const double d = z[net.L()][e] - Y[e];
        s += d * d;
    }
    return 0.5 * s / static_cast<double>(z[net.L()].size());
}

Vec mse_grad(const Mlp& net, const Vec& X, const Vec& Y, int N) {
    std::vector<Vec> h, z;
    forward(net, X, N, h, z);
    const Vec J = jacobian(net, X, N);
    const int64_t P = net.P();
    const size_t R = static_cast<size_t>(N) * net.O();
    Vec g(P, 0.0);
    for (size_t r = 0; r < R; ++r) {
        const double res = (z[net.L()][r] - Y[r]) / static_cast<double>(R);
        for (int64_t p = 0; p < P; ++p) g[p] += J[r * P + p] * res;
    }
    return g;
}

void gemm_nt(int M, int N, int64_t K, const double* A, int64_t lda, const double* B, int64_t ldb, double* C,
             int64_t ldc) {
    for (int r = 0; r < M; ++r)
        for (int q = 0; q < N; ++q) {
            double acc = 0;
            for (int64_t k = 0; k < K; ++k) acc += A[r * lda + k] * B[q * ldb + k];
            C[r * ldc + q] = acc;
        }
}

// ---------------------------------------------------------------------------------------------------
static double rel_fro(const Vec& a, const Vec& b) {
    double num = 0, den = 0;
    for (size_t e = 0; e < a.size(); ++e) {
        num += (a[e] - b[e]) * (a[e] - b[e]);
        den += b[e] * b[e];
    }
    return std::sqrt(num) / (den > 0 ? std::sqrt(den) : 1.0);
}

static int expect(const char* what, double err, double tol, int& passes) {
    const bool ok = err <= tol && std::isfinite(err);
    std::printf("%s reference self-check %-44s rel err %.3e (tol %.1e)\n", ok ? "PASS" : "FAIL", what, err, tol);
    passes += ok ? 1 : 0;
    return ok ? 0 : 1;
}

// A copy of net with flat parameter p moved by delta (W^l row-major, then b^l, layer by layer).
static Mlp shifted(const Mlp& net, int64_t p, double delta) {
    Mlp out = net;
    int l = 0;
    while (p >= net.offset(l + 1)) ++l;
    const int64_t q = p - net.offset(l);
    const int64_t nW = static_cast<int64_t>(net.n[l + 1]) * net.n[l];
    if (q < nW) {
        out.W[l][q] += delta;
    } else {
        out.b[l][q - nW] += delta;
    }
    return out;
}

int self_check(int& passes) {
    int fails = 0;
    const int acts[] = {IDENTITY, RELU, ERF, TANH, GELU};
    for (int act : acts) {
        Mlp net;
        net.n = {3, 5, 4, 2};
        net.act = act;
        net.bias = act != TANH;  // one bias-free network
        net.ntk_param = act != ERF;
        net.sw = 1.3;
        net.sb = 0.4;
        net.init(11 + act);
        const int N1 = 3, N2 = 2;
        Vec X1(N1 * 3), X2(N2 * 3), Y(N1 * 2);
        for (size_t e = 0; e < X1.size(); ++e) X1[e] = hash_uniform(5, e, -1, 1);
        for (size_t e = 0; e < X2.size(); ++e) X2[e] = hash_uniform(6, e, -1, 1);
        for (size_t e = 0; e < Y.size(); ++e) Y[e] = hash_uniform(7, e, -1, 1);

        // Jacobian against central differences of f.
        const Vec J = jacobian(net, X1, N1);
        const int64_t P = net.P();
        Vec Jfd(J.size());
        const double eps = 1e-6;
        for (int64_t p = 0; p < P; ++p) {
            const Mlp plus = shifted(net, p, eps), minus = shifted(net, p, -eps);
            std::vector<Vec> hp, zp, hm, zm;
            forward(plus, X1, N1, hp, zp);
            forward(minus, X1, N1, hm, zm);
            for (size_t r = 0; r < static_cast<size_t>(N1) * net.O(); ++r)
                Jfd[r * P + p] = (zp[net.L()][r] - zm[net.L()][r]) / (2 * eps);
        }
        std::string name = std::string("jacobian vs finite differences (") + act_name(act) + ")";
        // relu's kink is not crossed for these inputs with probability ~1; tolerance covers eps^2 terms.
        fails += expect(name.c_str(), rel_fro(J, Jfd), 1e-6, passes);

        const Vec te = ntk_explicit(net, X1, N1, X2, N2);
        const Vec ts = ntk_structured(net, X1, N1, X2, N2);
        name = std::string("structured vs explicit NTK (") + act_name(act) + ")";
        fails += expect(name.c_str(), rel_fro(ts, te), 1e-13, passes);

        // MSE gradient against central differences of the loss.
        const Vec g = mse_grad(net, X1, Y, N1);
        Vec gfd(P);
        for (int64_t p = 0; p < P; ++p) {
            const Mlp plus = shifted(net, p, eps), minus = shifted(net, p, -eps);
            gfd[p] = (mse_loss(plus, X1, Y, N1) - mse_loss(minus, X1, Y, N1)) / (2 * eps);
        }
        name = std::string("mse gradient vs finite differences (") + act_name(act) + ")";
        fails += expect(name.c_str(), rel_fro(g, gfd), 1e-6, passes);
    }
    return fails;
}

}  // namespace ref
