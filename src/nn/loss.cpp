// Element-wise losses: regression and the Gaussian KL term, compositions of ops. The binary
// cross-entropies have their own kernels and are ops (soma/ops_loss.h, src/ops/loss.cpp).

#include <optional>

#include "nn/loss_detail.h"
#include "soma/ops.h"

namespace soma::nn {

using detail::check_pair;
using detail::reduce_loss;

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    check_pair(input, target, "mse_loss");
    Tensor d = sub(input, target);
    return reduce_loss(mul(d, d), reduction);
}

Tensor rmse_loss(const Tensor& input, const Tensor& target) {
    check_pair(input, target, "rmse_loss");
    return sqrt(mse_loss(input, target, Reduction::Mean));
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    check_pair(input, target, "l1_loss");
    return reduce_loss(abs(sub(input, target)), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
    check_pair(input, target, "huber_loss");
    check(delta > 0, "huber_loss: delta must be positive, got ", delta);
    // With a = |d| and q = min(a, delta): 0.5 q^2 + delta (a - q) is the quadratic inside the
    // band and the linear tail outside, and its gradient is right on both sides.
    Tensor a = abs(sub(input, target));
    Tensor q = clamp(a, std::nullopt, delta);
    return reduce_loss(add(mul(mul(q, q), 0.5), mul(sub(a, q), delta)), reduction);
}

Tensor kl_normal(const Tensor& mu, const Tensor& logvar, Reduction reduction) {
    check_pair(mu, logvar, "kl_normal", "mu", "logvar");
    Tensor inner = sub(sub(add(logvar, 1.0), mul(mu, mu)), exp(logvar));
    return reduce_loss(mul(inner, -0.5), reduction);
}

}  // namespace soma::nn
