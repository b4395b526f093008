#pragma once
// Argument checks and the reduction shared by the loss ops (loss.cpp, loss_cross_entropy.cpp)
// and the losses in nn/ (not installed).

#include <cstdint>
#include <optional>

#include "soma/ops_loss.h"

namespace soma::ops_detail {

// losses reduced as `reduction` asks (None returns them unchanged).
Tensor reduce_loss(const Tensor& losses, Reduction reduction);

// Throws unless a and b are defined floating tensors of one dtype and one shape.
void check_pair(const Tensor& a, const Tensor& b, const char* op, const char* a_name = "input",
                const char* b_name = "target");

// Throws unless logits are defined, floating, (N, C, d...) with C > 0, and target is defined.
void check_logits(const Tensor& logits, const Tensor& target, const char* op);

// The logits' shape without the class dimension (dim 1): the shape of class-index targets and
// of unreduced losses.
Shape sample_shape(const Shape& logits);

// Validates class-index targets (shape, range; values equal to ignore_index pass) and returns
// them as contiguous int64.
Tensor checked_classes(const Tensor& logits, const Tensor& target, const char* op,
                       std::optional<std::int64_t> ignore_index = std::nullopt);

// Throws unless weight is undefined or a (C) tensor of the logits' dtype.
void check_class_weight(const Tensor& weight, const Tensor& logits, const char* op);

// The weighted negative log-likelihood of log-probabilities logp (N, C, d...) at checked
// targets idx (N, d...), composed from ops: per sample (1 - eps) w[t] (-logp_t) + eps/C
// sum_c w_c (-logp_c), 0 where idx == ignore_index; Mean divides by the sum of w[t] (the count
// without weight) of the samples not ignored. nll_loss is eps = 0.
Tensor weighted_nll(const Tensor& logp, const Tensor& idx, Reduction reduction, double eps,
                    const Tensor& weight, std::int64_t ignore_index);

}  // namespace soma::ops_detail
