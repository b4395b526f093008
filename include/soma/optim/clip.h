#pragma once
// Gradient clipping, in place on the parameters' .grad (parameters without one are skipped),
// like torch.nn.utils.clip_grad_norm_ / clip_grad_value_.

#include <vector>

#include "soma/tensor.h"

namespace soma::optim {

// The norm of all gradients taken together (as if concatenated), of type norm_type (> 0, or
// infinity for the largest magnitude). When it exceeds max_norm, every gradient is scaled by
// max_norm / (norm + 1e-6). Returns the norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

// Clamps every gradient element to [-value, value] (value >= 0).
void clip_grad_value(const std::vector<Tensor>& params, double value);

}  // namespace soma::optim
