#include "backend/cpu/layer_norm.h"

#include <cmath>

#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

// Rows are independent, so the forward and the input gradient split rows between threads. The
// weight and bias gradients sum down the rows; they split the columns instead, so every
// accumulator still has a single writer.

Tensor layer_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                          const RowDims& d, double eps, std::vector<double>& mean,
                          std::vector<double>& rstd) {
    mean.assign(d.rows, 0.0);
    rstd.assign(d.rows, 0.0);
    Tensor y = Tensor::empty(x.shape(), x.dtype());
    dispatch(x.dtype(), "layer_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        const T* pw = weight.defined() ? weight.data<T>() : nullptr;
        const T* pb = bias.defined() ? bias.data<T>() : nullptr;
        T* py = y.data<T>();
        const double m = static_cast<double>(d.cols);
        parallel_for(d.rows, 3 * d.cols, [&](std::int64_t r0, std::int64_t r1) {
            for (std::int64_t r = r0; r < r1; ++r) {
                const T* row = px + r * d.cols;
                T* out = py + r * d.cols;
                double s = 0;
                for (std::int64_t c = 0; c < d.cols; ++c) s += row[c];
                const double mu = s / m;
                // A second pass over centred values: E[x^2] - E[x]^2 cancels badly in float
                // when |mean| >> std.
                double v = 0;
                for (std::int64_t c = 0; c < d.cols; ++c) {
                    const double e = row[c] - mu;
                    v += e * e;
                }
                const double is = 1.0 / std::sqrt(v / m + eps);
                mean[r] = mu;
                rstd[r] = is;
                const T mt = T(mu), it = T(is);
                for (std::int64_t c = 0; c < d.cols; ++c) {
                    T val = (row[c] - mt) * it;
                    if (pw) val *= pw[c];
                    if (pb) val += pb[c];
                    out[c] = val;
                }
            }
        });
    });
    return y;
}

Tensor layer_norm_backward_input(const Tensor& gy, const Tensor& x, const Tensor& weight,
                                 const std::vector<double>& mean, const std::vector<double>& rstd,
                                 const RowDims& d) {
    Tensor gx = Tensor::empty(x.shape(), x.dtype());
    dispatch(x.dtype(), "layer_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* pg = gy.data<T>();
        const T* px = x.data<T>();
        const T* pw = weight.defined() ? weight.data<T>() : nullptr;
        T* po = gx.data<T>();
        const double m = static_cast<double>(d.cols);
        parallel_for(d.rows, 4 * d.cols, [&](std::int64_t r0, std::int64_t r1) {
            for (std::int64_t r = r0; r < r1; ++r) {
                const std::int64_t base = r * d.cols;
                const double mu = mean[r], is = rstd[r];
                double sum_g = 0, sum_gx = 0;  // sums of g and of g xhat, g = gy * weight
                for (std::int64_t c = 0; c < d.cols; ++c) {
                    const double g = pw ? double(pg[base + c]) * pw[c] : double(pg[base + c]);
                    sum_g += g;
                    sum_gx += g * (px[base + c] - mu) * is;
                }
                // gx = rstd g - rstd mean(g) - xhat rstd mean(g xhat), as k1 g + k2 (x - mu) + k3.
                const T k1 = T(is), k2 = T(-is * is * sum_gx / m), k3 = T(-is * sum_g / m);
                const T mt = T(mu);
                for (std::int64_t c = 0; c < d.cols; ++c) {
                    const T g = pw ? pg[base + c] * pw[c] : pg[base + c];
                    po[base + c] = k1 * g + k2 * (px[base + c] - mt) + k3;
                }
            }
        });
    });
    return gx;
}

void layer_norm_backward_affine(const Tensor& gy, const Tensor& x, const std::vector<double>& mean,
                                const std::vector<double>& rstd, const RowDims& d,
                                std::vector<double>& sum_gy_xhat, std::vector<double>& sum_gy) {
    sum_gy_xhat.assign(d.cols, 0.0);
    sum_gy.assign(d.cols, 0.0);
    dispatch(x.dtype(), "layer_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* pg = gy.data<T>();
        const T* px = x.data<T>();
        double* sgx = sum_gy_xhat.data();
        double* sg = sum_gy.data();
        parallel_for(d.cols, 2 * d.rows, [&](std::int64_t c0, std::int64_t c1) {
            for (std::int64_t r = 0; r < d.rows; ++r) {
                const std::int64_t base = r * d.cols;
                const double mu = mean[r], is = rstd[r];
                for (std::int64_t c = c0; c < c1; ++c) {
                    const double g = pg[base + c];
                    sg[c] += g;
                    sgx[c] += g * (px[base + c] - mu) * is;
                }
            }
        });
    });
}

}  // namespace soma::backend::cpu
