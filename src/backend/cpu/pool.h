#pragma once
// Pooling kernels over up to three spatial dimensions (see window.h). A tensor (..., *in) is a
// stack of planes, one per leading index (batch and channel), pooled independently; inputs
// may have any strides, outputs are contiguous. Callers validate the geometry.

#include "backend/cpu/window.h"
#include "soma/tensor.h"

namespace soma::backend::cpu {

// x: (..., *in) -> y: (..., *out) shaped y_shape, and int64 indices of the same shape: the
// flat position within the plane of each window's maximum (the first one; the last NaN if any,
// like PyTorch). Padding counts as -inf; a window over padding only gives -inf and index -1.
void max_pool_forward(const Tensor& x, const Window& w, const Shape& y_shape, Tensor& y,
                      Tensor& indices);
// gy: (..., *out) -> (..., *in) shaped x_shape: zeros with each gy added at its index.
Tensor max_pool_backward(const Tensor& gy, const Tensor& indices, const Window& w,
                         const Shape& x_shape);
// g: (..., *in) -> (..., *out) shaped like indices: g at each index (0 for -1). The gradient of
// max_pool_backward with respect to gy.
Tensor max_pool_gather(const Tensor& g, const Tensor& indices, const Window& w);

// Mean of each window; the divisor counts padding unless !count_include_pad.
Tensor avg_pool_forward(const Tensor& x, const Window& w, bool count_include_pad,
                        const Shape& y_shape);
// Spreads each gy / divisor over its window: the adjoint of avg_pool_forward.
Tensor avg_pool_backward(const Tensor& gy, const Window& w, bool count_include_pad,
                         const Shape& x_shape);

// Mean of windows [floor(i * in / out), ceil((i + 1) * in / out)) per dimension (only w.in and
// w.out are used), and its adjoint.
Tensor adaptive_avg_pool_forward(const Tensor& x, const Window& w, const Shape& y_shape);
Tensor adaptive_avg_pool_backward(const Tensor& gy, const Window& w, const Shape& x_shape);

}  // namespace soma::backend::cpu
