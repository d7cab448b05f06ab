// checks.h — what the harness's check files share: the pass/fail counters, PASS/FAIL lines with the relative
// Frobenius error against the fp64 reference, random inputs (regenerable hash values), rounding through the
// device type and uploads.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "kernels.h"
#include "reference.h"

namespace chk {

using kern::DBuf;
using ref::Vec;

inline int g_pass = 0, g_fail = 0;

template <typename T>
Vec to_d(const std::vector<T>& v) {
    return Vec(v.begin(), v.end());
}
template <typename T>
std::vector<T> from_d(const Vec& v) {
    std::vector<T> o(v.size());
    for (size_t e = 0; e < v.size(); ++e) o[e] = static_cast<T>(v[e]);
    return o;
}
// Rounds through T, so the reference sees exactly the values the device sees.
template <typename T>
Vec round_to(const Vec& v) {
    return to_d(from_d<T>(v));
}

inline Vec random_vec(size_t n, uint64_t seed, double lo = -1, double hi = 1) {
    Vec v(n);
    for (size_t e = 0; e < n; ++e) v[e] = ref::hash_uniform(seed, e, lo, hi);
    return v;
}
inline Vec random_ints(size_t n, uint64_t seed, int lo, int hi) {
    Vec v(n);
    for (size_t e = 0; e < n; ++e) v[e] = std::floor(ref::hash_uniform(seed, e, lo, hi + 1.0));
    return v;
}

inline std::string where(size_t e, int64_t cols) {
    char buf[64];
    if (cols > 0)
        std::snprintf(buf, sizeof buf, "(%lld,%lld)", static_cast<long long>(e / cols), static_cast<long long>(e % cols));
    else
        std::snprintf(buf, sizeof buf, "[%zu]", e);
    return buf;
}

// Relative Frobenius error against the reference; also max abs / rel difference and where, and NaN/Inf.
inline bool compare(const std::string& name, const Vec& got, const Vec& want, double tol, int64_t cols = 0) {
    if (got.size() != want.size()) {
        std::printf("FAIL %s: size %zu, expected %zu\n", name.c_str(), got.size(), want.size());
        ++g_fail;
        return false;
    }
    size_t nonfinite = 0, first_nf = 0, iabs = 0, irel = 0;
    double num = 0, den = 0, maxabs = 0, maxrel = 0;
    for (size_t e = 0; e < got.size(); ++e) {
        if (!std::isfinite(got[e])) {
            if (nonfinite++ == 0) first_nf = e;
            continue;
        }
        const double d = std::fabs(got[e] - want[e]);
        num += d * d;
        den += want[e] * want[e];
        if (d > maxabs) {
            maxabs = d;
            iabs = e;
        }
        const double r = want[e] != 0 ? d / std::fabs(want[e]) : d;
        if (r > maxrel) {
            maxrel = r;
            irel = e;
        }
    }
    const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
    const bool ok = nonfinite == 0 && rel <= tol;
    if (nonfinite) {
        std::printf("FAIL %s: %zu NaN/Inf values, first at %s\n", name.c_str(), nonfinite, where(first_nf, cols).c_str());
    } else {
        std::printf("%s %s: relF %.2e (tol %.0e) maxabs %.2e at %s (got %.9g want %.9g) maxrel %.2e at %s\n",
                    ok ? "PASS" : "FAIL", name.c_str(), rel, tol, maxabs, where(iabs, cols).c_str(),
                    got.empty() ? 0.0 : got[iabs], want.empty() ? 0.0 : want[iabs], maxrel, where(irel, cols).c_str());
    }
    (ok ? g_pass : g_fail)++;
    return ok;
}

inline std::string sci(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2e", v);
    return b;
}

inline void expect(const std::string& name, bool ok, const std::string& detail) {
    std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
    (ok ? g_pass : g_fail)++;
}

template <typename T>
DBuf<T> upload(const Vec& v) {
    DBuf<T> b(v.size());
    b.upload(from_d<T>(v));
    return b;
}

template <typename T>
double fp_tol(double f32, double f64) {
    return sizeof(T) == 4 ? f32 : f64;
}

}  // namespace chk
