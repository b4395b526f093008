#include "soma/optim/clip.h"

#include <algorithm>
#include <cmath>

#include "ops/optim_update.h"
#include "soma/autograd.h"

namespace soma::optim {

namespace {

// sum |g|^p (or max |g| when p is infinite) over one gradient, in double.
double norm_part(const Tensor& grad, double p) {
    Tensor g = grad.is_contiguous() ? grad : grad.contiguous();
    return dispatch(g.dtype(), "clip_grad_norm", [&](auto tag) {
        using T = decltype(tag);
        const T* x = g.data<T>();
        const std::int64_t n = g.numel();
        double acc = 0;
        if (std::isinf(p)) {
            for (std::int64_t i = 0; i < n; ++i) acc = std::max(acc, std::abs(double(x[i])));
        } else if (p == 2) {
            for (std::int64_t i = 0; i < n; ++i) acc += double(x[i]) * double(x[i]);
        } else if (p == 1) {
            for (std::int64_t i = 0; i < n; ++i) acc += std::abs(double(x[i]));
        } else {
            for (std::int64_t i = 0; i < n; ++i) acc += std::pow(std::abs(double(x[i])), p);
        }
        return acc;
    });
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
    check(norm_type > 0, "clip_grad_norm: norm_type must be positive, got ", norm_type);
    check(max_norm >= 0, "clip_grad_norm: max_norm must be >= 0, got ", max_norm);
    const bool inf = std::isinf(norm_type);
    double acc = 0;
    for (const Tensor& p : params) {
        Tensor g = p.grad();
        if (!g.defined()) continue;
        const double part = norm_part(g, norm_type);
        acc = inf ? std::max(acc, part) : acc + part;
    }
    const double total = inf ? acc : norm_type == 2 ? std::sqrt(acc) : std::pow(acc, 1 / norm_type);
    // The 1e-6 keeps a zero norm from dividing by zero; PyTorch adds the same.
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1) {
        NoGrad no_grad;
        for (const Tensor& p : params)
            if (Tensor g = p.grad(); g.defined()) g.mul_(coef);
    }
    return total;
}

void clip_grad_value(const std::vector<Tensor>& params, double value) {
    check(value >= 0, "clip_grad_value: value must be >= 0, got ", value);
    for (const Tensor& p : params) {
        Tensor g = p.grad();
        if (!g.defined()) continue;
        ops_detail::clip_grad_value_(g, value);
    }
}

}  // namespace soma::optim
