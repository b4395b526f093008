// Norm-ball geometry of the attacks (ball.h).

#include "ball.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "soma/error.h"
#include "soma/ops.h"

namespace soma::attack::detail {

namespace {

// Rows of a contiguous (N, ...) tensor: N rows of D elements.
struct Rows {
    std::int64_t n, d;
};
Rows rows_of(const Tensor& t) { return {t.size(0), t.size(0) ? t.numel() / t.size(0) : 0}; }

template <class T>
double row_norm2(const T* v, std::int64_t d) {
    double s = 0;
    for (std::int64_t j = 0; j < d; ++j) s += double(v[j]) * v[j];
    return std::sqrt(s);
}

template <class T>
void direction_kernel(const T* g, T* out, Rows r, Norm norm) {
    for (std::int64_t i = 0; i < r.n; ++i) {
        const T* gi = g + i * r.d;
        T* oi = out + i * r.d;
        if (norm == Norm::Linf) {
            for (std::int64_t j = 0; j < r.d; ++j) oi[j] = T((gi[j] > 0) - (gi[j] < 0));
        } else {
            const double len = row_norm2(gi, r.d);
            const double inv = len > 0 ? 1 / len : 0;
            for (std::int64_t j = 0; j < r.d; ++j) oi[j] = T(gi[j] * inv);
        }
    }
}

// delta (one row) onto the ball, then x + delta clipped to the range, written to out.
template <class T>
void project_row(const T* x, T* delta, T* out, std::int64_t d, Norm norm, double eps,
                 InputRange range) {
    if (norm == Norm::Linf) {
        for (std::int64_t j = 0; j < d; ++j) delta[j] = T(std::clamp<double>(delta[j], -eps, eps));
    } else {
        const double len = row_norm2(delta, d);
        if (len > eps) {
            const double scale = eps / len;
            for (std::int64_t j = 0; j < d; ++j) delta[j] = T(delta[j] * scale);
        }
    }
    // x lies in the range, so clipping only moves x + delta towards x: it stays in the ball.
    for (std::int64_t j = 0; j < d; ++j)
        out[j] = T(std::clamp<double>(double(x[j]) + delta[j], range.min, range.max));
}

template <class T>
void step_kernel(const T* x, const T* xa, const T* dir, T* out, Rows r, double step, Norm norm,
                 double eps, InputRange range) {
    std::vector<T> delta(r.d);
    for (std::int64_t i = 0; i < r.n; ++i) {
        const std::int64_t o = i * r.d;
        for (std::int64_t j = 0; j < r.d; ++j)
            delta[j] = T(double(xa[o + j]) + step * dir[o + j] - x[o + j]);
        project_row(x + o, delta.data(), out + o, r.d, norm, eps, range);
    }
}

template <class T>
void random_kernel(const T* x, const T* noise, const double* radius, T* out, Rows r, Norm norm,
                   double eps, InputRange range) {
    std::vector<T> delta(r.d);
    for (std::int64_t i = 0; i < r.n; ++i) {
        const std::int64_t o = i * r.d;
        if (norm == Norm::Linf) {
            for (std::int64_t j = 0; j < r.d; ++j) delta[j] = T(eps * (2 * noise[o + j] - 1));
        } else {
            const double len = row_norm2(noise + o, r.d);
            const double scale = len > 0 ? eps * radius[i] / len : 0;
            for (std::int64_t j = 0; j < r.d; ++j) delta[j] = T(noise[o + j] * scale);
        }
        project_row(x + o, delta.data(), out + o, r.d, norm, eps, range);
    }
}

}  // namespace

Tensor ascent_direction(const Tensor& g, Norm norm) {
    const Tensor gc = g.contiguous();
    Tensor out = empty_like(gc);
    if (gc.dtype() == kFloat64)
        direction_kernel(gc.data<double>(), out.data<double>(), rows_of(gc), norm);
    else
        direction_kernel(gc.data<float>(), out.data<float>(), rows_of(gc), norm);
    return out;
}

Tensor projected_step(const Tensor& x, const Tensor& x_adv, const Tensor& direction, double step,
                      Norm norm, double eps, InputRange range) {
    const Tensor xc = x.contiguous(), ac = x_adv.contiguous(), dc = direction.contiguous();
    Tensor out = empty_like(xc);
    if (xc.dtype() == kFloat64)
        step_kernel(xc.data<double>(), ac.data<double>(), dc.data<double>(), out.data<double>(),
                    rows_of(xc), step, norm, eps, range);
    else
        step_kernel(xc.data<float>(), ac.data<float>(), dc.data<float>(), out.data<float>(),
                    rows_of(xc), step, norm, eps, range);
    return out;
}

Tensor random_start(const Tensor& x, Norm norm, double eps, InputRange range, Generator* gen) {
    const Tensor xc = x.contiguous();
    const Rows r = rows_of(xc);
    // Uniform noise for L-inf; for L2 a Gaussian direction and a radius u^(1/D) per example
    // (the volume of a D-ball grows as r^D, so this is uniform in the ball).
    const Tensor noise =
        norm == Norm::Linf ? rand(xc.shape(), gen, xc.dtype()) : randn(xc.shape(), gen, xc.dtype());
    std::vector<double> radius(r.n, 1.0);
    if (norm == Norm::L2) {
        const Tensor u = rand({r.n}, gen, kFloat64);
        for (std::int64_t i = 0; i < r.n; ++i)
            radius[i] = std::pow(u.data<double>()[i], 1.0 / double(std::max<std::int64_t>(r.d, 1)));
    }
    Tensor out = empty_like(xc);
    if (xc.dtype() == kFloat64)
        random_kernel(xc.data<double>(), noise.data<double>(), radius.data(), out.data<double>(), r,
                      norm, eps, range);
    else
        random_kernel(xc.data<float>(), noise.data<float>(), radius.data(), out.data<float>(), r,
                      norm, eps, range);
    return out;
}

void check_inputs(const Tensor& x, const Tensor& labels, InputRange range, const char* who) {
    check(x.dtype() == kFloat32 || x.dtype() == kFloat64, who,
          ": inputs must be float32 or float64, got ", dtype_name(x.dtype()));
    check(x.dim() >= 1 && x.size(0) > 0, who,
          ": inputs need a non-empty batch dimension, got shape ", x.shape());
    check(labels.dim() == 1 && labels.size(0) == x.size(0), who, ": labels must be (", x.size(0),
          "), got shape ", labels.shape());
    check(labels.dtype() == kInt64, who, ": labels must be int64 class indices, got ",
          dtype_name(labels.dtype()));
    check(range.min < range.max, who, ": the input range [", range.min, ", ", range.max,
          "] is empty");
    autograd::NoGrad no_grad;
    const double lo = min(x).item<double>(), hi = max(x).item<double>();
    // Inputs normalised in float32 may sit an ulp outside a range computed in double.
    const double slack = 1e-5 * (range.max - range.min);
    check(lo >= range.min - slack && hi <= range.max + slack, who, ": inputs span [", lo, ", ", hi,
          "], outside the valid range [", range.min, ", ", range.max,
          "] (normalised inputs need the range and eps in the same units)");
}

}  // namespace soma::attack::detail
