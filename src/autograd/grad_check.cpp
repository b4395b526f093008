// Gradient checking by central differences in float64.

#include <cmath>
#include <sstream>

#include "soma/autograd.h"

namespace soma::autograd {
namespace {

// sum(y * w) computed on raw data, without recording anything.
double weighted_sum(const Tensor& y, const std::vector<double>& w) {
    std::vector<double> v = y.to_vector<double>();
    double s = 0;
    for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * w[i];
    return s;
}

std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& shape) {
    std::vector<std::int64_t> idx(shape.size());
    for (int d = shape.size() - 1; d >= 0; --d) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    return idx;
}

}  // namespace

GradCheckResult grad_check(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                           const std::vector<Tensor>& inputs, double eps, double atol,
                           double rtol) {
    // Fresh float64 leaves, so the caller's tensors are untouched.
    std::vector<Tensor> xs;
    for (const Tensor& x : inputs) {
        Tensor c = zeros(x.shape(), kFloat64);
        std::vector<double> v = x.to_vector<double>();
        std::copy(v.begin(), v.end(), c.data<double>());
        c.requires_grad_(true);
        xs.push_back(c);
    }
    Tensor y = f(xs);
    check(y.defined() && y.dtype() == kFloat64, "grad_check: f must return a float64 tensor");
    // A fixed random projection of the output turns the Jacobian check into one backward pass.
    Generator gen(1234);
    std::vector<double> w(y.numel());
    for (auto& wi : w) wi = gen.uniform() * 2 - 1;
    Tensor wt = zeros(y.shape(), kFloat64);
    std::copy(w.begin(), w.end(), wt.data<double>());

    std::vector<Tensor> analytic;
    if (y.requires_grad()) analytic = grad({y}, xs, {wt}, false, false, true);
    analytic.resize(xs.size());

    GradCheckResult result;
    double worst_excess = -INFINITY;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        double* p = xs[k].data<double>();
        std::vector<double> a = analytic[k].defined() ? analytic[k].to_vector<double>()
                                                      : std::vector<double>(xs[k].numel(), 0.0);
        for (std::int64_t i = 0; i < xs[k].numel(); ++i) {
            double saved = p[i];
            double plus, minus;
            {
                NoGrad ng;
                p[i] = saved + eps;
                plus = weighted_sum(f(xs), w);
                p[i] = saved - eps;
                minus = weighted_sum(f(xs), w);
                p[i] = saved;
            }
            double numeric = (plus - minus) / (2 * eps);
            double err = std::abs(a[i] - numeric);
            double excess = err - (atol + rtol * std::abs(numeric));
            result.max_abs_error = std::max(result.max_abs_error, err);
            if (excess > worst_excess) {
                worst_excess = excess;
                result.input = static_cast<int>(k);
                result.index = unravel(i, xs[k].shape());
                result.analytic = a[i];
                result.numeric = numeric;
            }
        }
    }
    result.ok = worst_excess <= 0;
    std::ostringstream msg;
    msg << (result.ok ? "gradient check passed" : "gradient check FAILED") << ": worst element is input "
        << result.input << " at (";
    for (std::size_t i = 0; i < result.index.size(); ++i) msg << (i ? ", " : "") << result.index[i];
    msg << "): analytic " << result.analytic << ", numeric " << result.numeric << " (max |error| "
        << result.max_abs_error << ")";
    result.message = msg.str();
    return result;
}

}  // namespace soma::autograd
