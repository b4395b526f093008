// cross_entropy and nll_loss: argument checks, unbatched inputs and probability targets.
// Class-index cross-entropy is the fused op cross_entropy_loss (src/ops/loss_cross_entropy.cpp).

#include "nn/loss_detail.h"
#include "soma/ops.h"

namespace soma::nn {

namespace {

using ops_detail::check_class_weight;
using ops_detail::check_logits;
using ops_detail::checked_classes;
using ops_detail::sample_shape;

Tensor soft_cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction,
                          double eps, const Tensor& weight) {
    const double classes = static_cast<double>(logits.shape()[1]);
    Tensor dist = eps == 0 ? target : add(mul(target, 1.0 - eps), eps / classes);
    if (weight.defined()) {
        Shape per_class;  // (1, C, 1, ...)
        per_class.resize(logits.dim(), 1);
        per_class[1] = logits.shape()[1];
        dist = mul(dist, weight.reshape(per_class));
    }
    Tensor losses = neg(sum(mul(dist, log_softmax(logits, 1)), {1}));  // (N, d...)
    return detail::reduce_loss(losses, reduction);
}

// Unbatched input (C) with target () or (C): run as a batch of one.
template <class F>
Tensor unbatched(const Tensor& x, const Tensor& target, Reduction reduction, F f) {
    const bool indices = target.defined() && target.dtype() == kInt64;
    Tensor out = f(x.unsqueeze(0), indices || target.dim() == 1 ? target.unsqueeze(0) : target);
    return reduction == Reduction::None ? out.squeeze(0) : out;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction,
                     double label_smoothing, const Tensor& weight, std::int64_t ignore_index) {
    constexpr const char* op = "cross_entropy";
    if (logits.defined() && logits.dim() == 1)
        return unbatched(logits, target, reduction, [&](const Tensor& x, const Tensor& t) {
            return cross_entropy(x, t, reduction, label_smoothing, weight, ignore_index);
        });
    check_logits(logits, target, op);
    check(label_smoothing >= 0 && label_smoothing <= 1, op,
          ": label_smoothing must lie in [0, 1], got ", label_smoothing);
    check_class_weight(weight, logits, op);
    if (target.dtype() == kInt64)
        return cross_entropy_loss(logits, target, reduction, label_smoothing, weight, ignore_index);
    check(ignore_index < 0, op, ": ignore_index ", ignore_index,
          " is not supported with probability targets");
    // Floating targets are class probabilities.
    if (target.shape() != logits.shape()) {
        check(target.shape() != sample_shape(logits.shape()), op, ": target ", target.shape(),
              " is ", target.dtype(), "; class-index targets must be int64");
        fail(op, ": probability target ", target.shape(), " does not match logits ",
             logits.shape());
    }
    check(target.dtype() == logits.dtype(), op, ": probability target is ", target.dtype(),
          " but logits are ", logits.dtype());
    return soft_cross_entropy(logits, target, reduction, label_smoothing, weight);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction,
                const Tensor& weight, std::int64_t ignore_index) {
    constexpr const char* op = "nll_loss";
    if (log_probs.defined() && log_probs.dim() == 1)
        return unbatched(log_probs, target, reduction, [&](const Tensor& x, const Tensor& t) {
            return nll_loss(x, t, reduction, weight, ignore_index);
        });
    check_logits(log_probs, target, op);
    check(target.dtype() == kInt64, op, ": target must hold int64 class indices, got ",
          target.dtype());
    check_class_weight(weight, log_probs, op);
    Tensor idx = checked_classes(log_probs, target, op, ignore_index);
    return ops_detail::weighted_nll(log_probs, idx, reduction, 0.0, weight, ignore_index);
}

}  // namespace soma::nn
