// Projected gradient descent with random restarts (pgd.h).

#include "soma/attack/pgd.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "ball.h"
#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/ops.h"

namespace soma::attack {

namespace {

void validate(const PgdOptions& o) {
    check(std::isfinite(o.eps) && o.eps >= 0, "pgd: eps must be finite and >= 0, got ", o.eps);
    check(o.steps >= 0, "pgd: steps must be >= 0, got ", o.steps);
    check(o.restarts >= 1, "pgd: restarts must be >= 1, got ", o.restarts);
    check(std::isfinite(o.step_size) && o.step_size >= 0,
          "pgd: step_size must be finite and >= 0 (0: 2.5 eps / steps), got ", o.step_size);
}

// Copies row i of src into row i of dst (both contiguous, same shape).
void copy_row(const Tensor& src, Tensor& dst, std::int64_t i) {
    const std::int64_t d = src.numel() / src.size(0);
    const std::size_t bytes = d * itemsize(src.dtype());
    std::memcpy(static_cast<char*>(dst.raw_data()) + i * bytes,
                static_cast<const char*>(src.raw_data()) + i * bytes, bytes);
}

}  // namespace

Tensor project(const Tensor& delta, Norm norm, double eps) {
    check(delta.dim() >= 1 && delta.size(0) > 0, "project: delta needs a batch dimension, got ",
          delta.shape());
    const Tensor zero = zeros_like(delta);
    const double inf = std::numeric_limits<double>::infinity();
    // x = 0 and an unbounded range: the step from 0 by delta, projected.
    return detail::projected_step(zero, zero, delta.detach(), 1.0, norm, eps, {-inf, inf});
}

PgdResult pgd_detailed(nn::Module& model, const Tensor& x, const Tensor& labels,
                       const PgdOptions& o) {
    validate(o);
    detail::check_inputs(x, labels, o.range, "pgd");
    EvalModeGuard eval(model);
    const Tensor xc = x.detach().contiguous();
    const double step = o.step_size > 0 ? o.step_size : o.steps > 0 ? 2.5 * o.eps / o.steps : 0;
    const std::int64_t n = xc.size(0);

    PgdResult result;
    result.adversarial = xc.clone();
    std::vector<double> best_loss(n, -std::numeric_limits<double>::infinity());
    std::vector<std::uint8_t> best_success(n, 0);
    for (std::int64_t r = 0; r < o.restarts; ++r) {
        Tensor xa = o.random_start && o.eps > 0
                        ? detail::random_start(xc, o.norm, o.eps, o.range, o.generator)
                        : xc;
        for (std::int64_t s = 0; s < o.steps; ++s) {
            const Tensor g = input_gradient(model, xa, labels, o.loss, o.targeted);
            xa = detail::projected_step(xc, xa, detail::ascent_direction(g, o.norm), step, o.norm,
                                        o.eps, o.range);
        }
        // Keep, per example, a success over a failure, then the higher loss.
        autograd::NoGrad no_grad;
        const Tensor logits = model(xa);
        const Tensor loss =
            attack_loss(logits, labels, o.loss, o.targeted).to(kFloat64).contiguous();
        const std::vector<std::uint8_t> ok = succeeded(logits, labels, o.targeted);
        const double* l = loss.data<double>();
        for (std::int64_t i = 0; i < n; ++i) {
            const bool better =
                ok[i] != best_success[i] ? ok[i] > best_success[i] : l[i] > best_loss[i];
            if (!better) continue;
            best_success[i] = ok[i];
            best_loss[i] = l[i];
            copy_row(xa, result.adversarial, i);
        }
        std::int64_t count = 0;
        for (std::uint8_t b : best_success) count += b;
        result.successes_after_restart.push_back(count);
    }
    return result;
}

Tensor pgd(nn::Module& model, const Tensor& x, const Tensor& labels, const PgdOptions& options) {
    return pgd_detailed(model, x, labels, options).adversarial;
}

}  // namespace soma::attack
