#pragma once
// Shared by the loss sources and white-box tests (not installed).

#include "soma/nn/loss.h"

namespace soma::nn::detail {

// losses reduced as `reduction` asks (None returns them unchanged).
Tensor reduce_loss(const Tensor& losses, Reduction reduction);

// Throws unless a and b are defined floating tensors of one dtype and one shape.
void check_pair(const Tensor& a, const Tensor& b, const char* op, const char* a_name = "input",
                const char* b_name = "target");

// cross_entropy for class-index targets composed from log_softmax and gather: the naive
// reference the fused kernel is tested against. Same contract as cross_entropy.
Tensor cross_entropy_reference(const Tensor& logits, const Tensor& target, Reduction reduction,
                               double label_smoothing);

}  // namespace soma::nn::detail
