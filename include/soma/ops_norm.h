#pragma once
// Normalisation ops, like torch.nn.functional. The BatchNorm1d/2d and LayerNorm modules
// (soma/nn/norm.h) hold the parameters (and running statistics) and call these.

#include "soma/tensor.h"

namespace soma {

// torch.nn.functional.batch_norm. x: (N, C, *); weight, bias, running_mean, running_var: (C),
// x's dtype, each may be undefined. Training: batch statistics, and running_mean/var (when
// defined) are updated in place with `momentum`. Eval: running_mean/var must be defined. One
// fused kernel and one autograd node ("BatchNormBackward"); its backward is differentiable
// again (double backward works).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum = 0.1,
                  double eps = 1e-5);

// The same function composed from soma ops (mean, var, sqrt, ...): the reference the fused
// kernel is tested against. Same arguments, same running-statistics update.
Tensor batch_norm_reference(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                            const Tensor& weight, const Tensor& bias, bool training,
                            double momentum = 0.1, double eps = 1e-5);

// torch.nn.functional.layer_norm. Each row of x is normalised over its last
// normalized_shape.size() dimensions, which must equal normalized_shape (at least one):
// x: (*, *normalized_shape) -> same shape. y = (x - mean) / sqrt(var + eps) * weight + bias,
// with the biased variance of each row. weight, bias: normalized_shape, x's dtype, each may be
// undefined. One fused kernel and one autograd node ("LayerNormBackward"); its backward is
// differentiable again (double backward works).
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// The same function composed from soma ops (mean, var, sqrt, ...): the reference the fused
// kernel is tested against.
Tensor layer_norm_reference(const Tensor& x, const Shape& normalized_shape,
                            const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                            double eps = 1e-5);

}  // namespace soma
