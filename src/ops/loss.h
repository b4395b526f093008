#pragma once
// Argument checks and the reduction shared by the loss ops (loss.cpp, loss_cross_entropy.cpp)
// and the losses in nn/ (not installed).

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

// Validates class-index targets (shape, range) and returns them as contiguous int64.
Tensor checked_classes(const Tensor& logits, const Tensor& target, const char* op);

}  // namespace soma::ops_detail
