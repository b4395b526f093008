#pragma once
// Loss functions. Names, formulas and reductions follow torch.nn.functional: every loss takes
// a `reduction` (Mean by default; None keeps the per-element or per-sample losses). Inputs and
// targets must have the same dtype and (except for the class-index losses) the same shape: soma
// does not broadcast a target silently. All losses are differentiable in every floating input.
//
// perceptron_loss (Rosenblatt's sum of ReLU(-y wᵀx)) lives with the Perceptron in
// soma/nn/neuron.h.

#include <cstdint>

#include "soma/ops_loss.h"
#include "soma/tensor.h"

namespace soma::nn {

// None, Mean or Sum (soma/ops_loss.h).
using soma::Reduction;

// ---- regression. input, target: same shape -> () (or that shape with Reduction::None)

// (input - target)^2
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// sqrt(mse_loss(input, target)): the mean over all elements, then the root (no reduction
// argument: a per-element root would be |input - target|). Its gradient is undefined (NaN)
// when input == target exactly, as in PyTorch.
Tensor rmse_loss(const Tensor& input, const Tensor& target);
// |input - target|
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = input - target (delta > 0).
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0);

// ---- classification
// Softmax cross-entropy of unnormalised `logits`, which are (N, C), (N, C, d1, ...) or (C).
// `target` is either
//  - class indices: int64 of shape (N) / (N, d1, ...) / () with values in [0, C) or equal to
//    ignore_index (-100 by default, as PyTorch): those samples have loss 0 and do not count, or
//  - class probabilities: the logits' shape and dtype (each row summing to 1); ignore_index must
//    then be negative (it is not supported, as in PyTorch).
// Label smoothing eps mixes the target with the uniform distribution: (1 - eps) target + eps/C.
// `weight` (C), the logits' dtype, rescales each class's term (and gets no gradient). Mean
// divides class-index losses by the summed weight of the counted targets (their number without
// weight; NaN when all are ignored, as PyTorch), probability losses by the number of samples.
// Class-index targets take the fused op cross_entropy_loss (soma/ops_loss.h), whose backward is
// softmax - one-hot.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::Mean, double label_smoothing = 0.0,
                     const Tensor& weight = Tensor(), std::int64_t ignore_index = -100);
// Negative log-likelihood of log-probabilities (N, C) / (N, C, d1, ...) / (C) at int64 class
// indices (N) / (N, d1, ...) / (): -weight[t] log_probs[n, t] with t = target[n]; weight and
// ignore_index as for cross_entropy.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction = Reduction::Mean, const Tensor& weight = Tensor(),
                std::int64_t ignore_index = -100);
// binary_cross_entropy: -(y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], each
// log clamped at -100 (like PyTorch). binary_cross_entropy_with_logits: the same of sigmoid(x),
// computed stably from the logits. Both are ops with their own kernels (soma/ops_loss.h).
using soma::binary_cross_entropy;
using soma::binary_cross_entropy_with_logits;

// ---- distributions
// KL(N(mu, exp(logvar)) || N(0, 1)) element-wise: -0.5 (1 + logvar - mu^2 - exp(logvar)).
// Sums by default (the VAE's KL term of a batch; divide by the batch size for a per-sample
// mean); Mean averages over all elements, None keeps mu's shape.
Tensor kl_normal(const Tensor& mu, const Tensor& logvar, Reduction reduction = Reduction::Sum);

}  // namespace soma::nn
