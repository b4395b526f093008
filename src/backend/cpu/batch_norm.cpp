#include "backend/cpu/batch_norm.h"

#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

ChannelDims channel_dims(const Tensor& x) {
    ChannelDims d;
    d.n = x.shape()[0];
    d.c = x.shape()[1];
    for (int k = 2; k < x.dim(); ++k) d.s *= x.shape()[k];
    return d;
}

// Reductions split the channels between threads, so each accumulator has one writer. With
// S > 1 each (n, c) row is summed with independent lanes (a single accumulator would chain
// every add on the previous one, and reassociating floats is not the compiler's to do); with
// S == 1 the rows are (N, C) matrices and the loop runs along c, one accumulator per channel.

namespace {

constexpr int kLanes = 8;

// sum over s of f(s), in double, with kLanes independent partial sums.
template <class F>
double lane_sum(std::int64_t n, F f) {
    double acc[kLanes] = {};
    std::int64_t s = 0;
    for (; s + kLanes <= n; s += kLanes)
        for (int k = 0; k < kLanes; ++k) acc[k] += f(s + k);
    for (; s < n; ++s) acc[0] += f(s);
    double total = 0;
    for (double a : acc) total += a;
    return total;
}

// out[c] += sum over (n, s) of f(offset, c), offset = (n * C + c) * S + s, for c in [c0, c1).
template <class F>
void channel_sums(const ChannelDims& d, std::int64_t c0, std::int64_t c1, double* out, F f) {
    if (d.s == 1) {
        for (std::int64_t n = 0; n < d.n; ++n)
            for (std::int64_t c = c0; c < c1; ++c) out[c] += f(n * d.c + c, c);
        return;
    }
    for (std::int64_t n = 0; n < d.n; ++n)
        for (std::int64_t c = c0; c < c1; ++c) {
            const std::int64_t base = (n * d.c + c) * d.s;
            out[c] += lane_sum(d.s, [&](std::int64_t s) { return f(base + s, c); });
        }
}

}  // namespace

void channel_mean_var(const Tensor& x, const ChannelDims& d, std::vector<double>& mean,
                      std::vector<double>& var) {
    mean.assign(d.c, 0.0);
    var.assign(d.c, 0.0);
    const double count = static_cast<double>(d.n * d.s);
    dispatch(x.dtype(), "batch_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* p = x.data<T>();
        double* m = mean.data();
        double* v = var.data();
        parallel_for(d.c, d.n * d.s, [&](std::int64_t c0, std::int64_t c1) {
            channel_sums(d, c0, c1, m,
                         [&](std::int64_t i, std::int64_t) { return static_cast<double>(p[i]); });
            for (std::int64_t c = c0; c < c1; ++c) m[c] /= count;
            // A second pass over centred values: the one-pass E[x^2] - E[x]^2 cancels badly
            // in float when |mean| >> std.
            channel_sums(d, c0, c1, v, [&](std::int64_t i, std::int64_t c) {
                const double e = p[i] - m[c];
                return e * e;
            });
            for (std::int64_t c = c0; c < c1; ++c) v[c] /= count;
        });
    });
}

Tensor channel_affine(const Tensor& x, const std::vector<double>& centre,
                      const std::vector<double>& scale, const std::vector<double>& shift,
                      const ChannelDims& d, const Tensor& g, const std::vector<double>& scale_g) {
    Tensor out = Tensor::empty(x.shape(), x.dtype());
    dispatch(x.dtype(), "batch_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        const T* pg = g.defined() ? g.data<T>() : nullptr;
        T* po = out.data<T>();
        // The constants in T, so the inner loops are plain fused multiply-adds.
        std::vector<T> m(centre.begin(), centre.end()), k(scale.begin(), scale.end());
        std::vector<T> sh(shift.begin(), shift.end()), kg;
        if (pg) kg.assign(scale_g.begin(), scale_g.end());
        if (d.s == 1) {
            // (N, C): rows of C, the constants vary along the row.
            parallel_for(d.n, d.c, [&](std::int64_t n0, std::int64_t n1) {
                for (std::int64_t i = n0 * d.c; i < n1 * d.c; i += d.c) {
                    if (pg) {
                        for (std::int64_t c = 0; c < d.c; ++c)
                            po[i + c] = (px[i + c] - m[c]) * k[c] + sh[c] + pg[i + c] * kg[c];
                    } else {
                        for (std::int64_t c = 0; c < d.c; ++c)
                            po[i + c] = (px[i + c] - m[c]) * k[c] + sh[c];
                    }
                }
            });
            return;
        }
        parallel_for(d.n * d.c, d.s, [&](std::int64_t r0, std::int64_t r1) {
            for (std::int64_t r = r0; r < r1; ++r) {
                const std::int64_t c = r % d.c, i = r * d.s;
                const T mc = m[c], kc = k[c], hc = sh[c];
                if (pg) {
                    const T gc = kg[c];
                    for (std::int64_t s = 0; s < d.s; ++s)
                        po[i + s] = (px[i + s] - mc) * kc + hc + pg[i + s] * gc;
                } else {
                    for (std::int64_t s = 0; s < d.s; ++s) po[i + s] = (px[i + s] - mc) * kc + hc;
                }
            }
        });
    });
    return out;
}

void channel_grad_sums(const Tensor& gy, const Tensor& x, const std::vector<double>& centre,
                       const ChannelDims& d, std::vector<double>& sum_gy,
                       std::vector<double>& sum_gy_xc) {
    sum_gy.assign(d.c, 0.0);
    sum_gy_xc.assign(d.c, 0.0);
    dispatch(x.dtype(), "batch_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* pg = gy.data<T>();
        const T* px = x.data<T>();
        const double* m = centre.data();
        parallel_for(d.c, 2 * d.n * d.s, [&](std::int64_t c0, std::int64_t c1) {
            channel_sums(d, c0, c1, sum_gy.data(),
                         [&](std::int64_t i, std::int64_t) { return static_cast<double>(pg[i]); });
            channel_sums(d, c0, c1, sum_gy_xc.data(), [&](std::int64_t i, std::int64_t c) {
                return static_cast<double>(pg[i]) * (px[i] - m[c]);
            });
        });
    });
}

}  // namespace soma::backend::cpu
