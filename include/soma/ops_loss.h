#pragma once
// Loss ops with their own kernels, like ATen's cross_entropy_loss and binary_cross_entropy:
// what the losses in soma/nn/loss.h (torch.nn.functional's) call where a composition of ops
// would be slow or lose finiteness. Use those; the contracts below are the kernels'.

#include <cstdint>

#include "soma/tensor.h"

namespace soma {

// How a loss reduces its per-element (or per-sample) values: kept (None), averaged, summed.
enum class Reduction { None, Mean, Sum };

// Softmax cross-entropy at class indices, fused: per sample one pass for the max, the sum of
// exponentials and the picked logit, and a backward that writes softmax - one-hot directly.
// logits: (N, C, d1, ...) floating; target: int64 (N, d1, ...) with values in [0, C) or equal to
// ignore_index -> (N, d1, ...) with Reduction::None, else (). As torch.nn.functional.cross_entropy:
//  - label smoothing eps in [0, 1] mixes the one-hot target with the uniform distribution;
//  - weight (C), the logits' dtype, scales each class's term: a sample's loss is
//    (1 - eps) w[t] (-log p_t) + eps/C sum_c w_c (-log p_c); weight gets no gradient;
//  - samples whose target equals ignore_index have loss 0, gradient 0, and do not count;
//  - Mean is the sum of the losses over the sum of w[t] of the counted samples (their number
//    without weight), so NaN when every target is ignored.
// Differentiable in logits (twice, too).
Tensor cross_entropy_loss(const Tensor& logits, const Tensor& target,
                          Reduction reduction = Reduction::Mean, double label_smoothing = 0.0,
                          const Tensor& weight = Tensor(), std::int64_t ignore_index = -100);
// The same from log_softmax and gather: the reference the fused kernel is tested against.
Tensor cross_entropy_loss_reference(const Tensor& logits, const Tensor& target,
                                    Reduction reduction = Reduction::Mean,
                                    double label_smoothing = 0.0, const Tensor& weight = Tensor(),
                                    std::int64_t ignore_index = -100);

// -(y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1] (checked); each log is clamped
// at -100 (like PyTorch), so p = 0 or 1 gives a finite loss. probs, target: same shape, dtype.
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target,
                            Reduction reduction = Reduction::Mean);
// binary_cross_entropy(sigmoid(x), y) computed stably from the logits:
// max(x, 0) - x y + log(1 + exp(-|x|)).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean);

}  // namespace soma
