// The element-wise loss kernels: the two binary cross-entropies get their own because the
// composed forms lose finiteness at the edges (log 0, exp overflow). Also the reduction and
// argument checks every loss shares.

#include "ops/loss.h"

#include <algorithm>
#include <cmath>

#include "backend/cpu/fast_math.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::NeedsGrad;
using autograd::record;

namespace ops_detail {

Tensor reduce_loss(const Tensor& losses, Reduction reduction) {
    switch (reduction) {
        case Reduction::None:
            return losses;
        case Reduction::Sum:
            return sum(losses);
        case Reduction::Mean:
            break;
    }
    return mean(losses);
}

void check_pair(const Tensor& a, const Tensor& b, const char* op, const char* a_name,
                const char* b_name) {
    check(a.defined() && b.defined(), op, ": undefined ", a.defined() ? b_name : a_name);
    check(is_floating(a.dtype()), op, ": ", a_name, " must be floating, got ", a.dtype());
    check(a.dtype() == b.dtype(), op, ": ", a_name, " is ", a.dtype(), " but ", b_name, " is ",
          b.dtype(), " (convert one with .to())");
    check(a.shape() == b.shape(), op, ": ", a_name, " ", a.shape(), " and ", b_name, " ", b.shape(),
          " must have the same shape");
}

}  // namespace ops_detail

using ops_detail::check_pair;
using ops_detail::reduce_loss;

namespace {

// PyTorch's floor for the logarithms of binary cross-entropy.
constexpr double kLogFloor = -100.0;

void check_probabilities(const Tensor& p, const char* op) {
    dispatch(p.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        Tensor c = p.contiguous();
        const T* v = c.data<T>();
        for (std::int64_t i = 0; i < c.numel(); ++i)
            check(v[i] >= T(0) && v[i] <= T(1), op, ": input holds ", v[i],
                  "; probabilities must lie in [0, 1] (for logits use "
                  "binary_cross_entropy_with_logits)");
    });
}

}  // namespace

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, Reduction reduction) {
    constexpr const char* op = "binary_cross_entropy";
    check_pair(probs, target, op);
    check_probabilities(probs, op);
    // log(1 - p) like PyTorch; fast_log keeps the loop vectorised (it was most of a VAE step's
    // loss time as two libm calls per pixel).
    Tensor out = ops_detail::binary_kernel(probs, target, op, [](auto p, auto y) {
        using T = decltype(p);
        T log_p = std::max(backend::cpu::fast_log(p), T(kLogFloor));
        T log_q = std::max(backend::cpu::fast_log(T(1) - p), T(kLogFloor));
        return -(y * log_p + (T(1) - y) * log_q);
    });
    out = record("BinaryCrossEntropyBackward", out, {probs, target},
                 [probs, target](const Tensor& gy, const NeedsGrad& needs) {
                     Grads g(2);
                     if (needs[0]) {
                         // (p - y) / (p (1 - p)), the denominator floored like PyTorch's so that
                         // p = 0 or 1 gives a large finite slope instead of inf.
                         Tensor pq = clamp(mul(probs, sub(1.0, probs)), 1e-12, std::nullopt);
                         g[0] = mul(gy, div(sub(probs, target), pq));
                     }
                     if (needs[1]) {
                         Tensor log_p = clamp(log(probs), kLogFloor, std::nullopt);
                         Tensor log_q = clamp(log(sub(1.0, probs)), kLogFloor, std::nullopt);
                         g[1] = mul(gy, sub(log_q, log_p));
                     }
                     return g;
                 });
    return reduce_loss(out, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction) {
    constexpr const char* op = "binary_cross_entropy_with_logits";
    check_pair(logits, target, op, "logits", "target");
    // exp only ever sees -|x| <= 0, so nothing overflows for any logit.
    Tensor out = ops_detail::binary_kernel(logits, target, op, [](auto x, auto y) {
        using T = decltype(x);
        return std::max(x, T(0)) - x * y + std::log1p(std::exp(-std::abs(x)));
    });
    out = record("BinaryCrossEntropyWithLogitsBackward", out, {logits, target},
                 [logits, target](const Tensor& gy, const NeedsGrad& needs) {
                     Grads g(2);
                     if (needs[0]) g[0] = mul(gy, sub(sigmoid(logits), target));
                     if (needs[1]) g[1] = mul(gy, neg(logits));
                     return g;
                 });
    return reduce_loss(out, reduction);
}

}  // namespace soma
