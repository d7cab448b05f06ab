// reference.h — plain double-precision CPU reference for the kernels: dense MLP forward, per-example
// Jacobian by backpropagation, NTK by explicit Jacobian contraction and by the structured formula, the
// MSE gradient, and a row-major NT product. Obvious loops on purpose: this is the oracle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ref {

enum Act { IDENTITY = 0, RELU = 1, ERF = 2, TANH = 3, GELU = 4 };
const char* act_name(int act);
double phi(int act, double z);
double dphi(int act, double z);

typedef std::vector<double> Vec;

struct Mlp {
    std::vector<int> n;  // n[0] = d, n[1..L-1] hidden, n[L] = O
    int act = RELU;
    bool bias = true;
    bool ntk_param = true;
    double sw = 1.0, sb = 0.0;
    std::vector<Vec> W;  // W[l]: n[l+1] x n[l], row-major
    std::vector<Vec> b;  // b[l]: n[l+1] (empty without bias)

    int L() const { return static_cast<int>(n.size()) - 1; }
    int O() const { return n.back(); }
    double c(int l) const;
    double s(int l) const;
    int64_t layer_size(int l) const;  // parameters of layer l (W and b)
    int64_t offset(int l) const;      // first flat parameter index of layer l
    int64_t P() const;
    // Random parameters: W, b ~ U[-1.5, 1.5] scaled like N(0,1) (ntk) or N(0, sw^2/n_l) (standard).
    void init(uint64_t seed);
};

// Forward for a batch X (N x d). h[l] (N x n[l]) for l = 0..L-1 (h[0] = X), z[l] (N x n[l]) for l = 1..L
// (z[L] = f). z[0] is empty.
void forward(const Mlp& net, const Vec& X, int N, std::vector<Vec>& h, std::vector<Vec>& z);

// delta[l] ((N*O) x n[l]) for l = 1..L: delta^l_a(x_n) = df_a/dz^l, rows (n, a).
void deltas(const Mlp& net, const std::vector<Vec>& z, int N, std::vector<Vec>& delta);

// J ((N*O) x P), rows (n, a), columns in [W^0, b^0, W^1, b^1, ...] order.
Vec jacobian(const Mlp& net, const Vec& X, int N);

// Theta full (N1, N2, O, O) from explicit Jacobians: sum_p J1[(n1,a), p] J2[(n2,b), p].
Vec ntk_explicit(const Mlp& net, const Vec& X1, int N1, const Vec& X2, int N2);
// Same from the structured formula (per layer h-Gram and delta-Gram).
Vec ntk_structured(const Mlp& net, const Vec& X1, int N1, const Vec& X2, int N2);
Vec full_to_trace(const Vec& full, int N1, int N2, int O);
Vec full_to_diag(const Vec& full, int N1, int N2, int O);

// MSE loss 0.5 * mean((f - y)^2) and its gradient (flat, P) = J^T (f - y) / (N*O).
double mse_loss(const Mlp& net, const Vec& X, const Vec& Y, int N);
Vec mse_grad(const Mlp& net, const Vec& X, const Vec& Y, int N);

// C (M x N, row stride ldc) = A B^T, A (M x K, lda), B (N x K, ldb), all row-major, in double.
void gemm_nt(int M, int N, int64_t K, const double* A, int64_t lda, const double* B, int64_t ldb, double* C,
             int64_t ldc);

// The device fill_random kernel's values, reproduced on the host.
double hash_uniform(uint64_t seed, uint64_t index, double lo, double hi);

// Self-consistency checks of this reference (finite differences, explicit vs structured). Returns the
// number of failures, adds the number of passes to `passes`; prints one line per check.
int self_check(int& passes);

}  // namespace ref
