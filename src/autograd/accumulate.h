#pragma once
// The engine's own arithmetic on gradients: summing contributions and un-broadcasting.
// Written on backend kernels (the engine sits below the ops layer) and recorded when the
// gradients themselves require grad, which happens only with create_graph.

#include "soma/tensor.h"

namespace soma::autograd {

// a + b (same shape).
Tensor accumulate(const Tensor& a, const Tensor& b);
// dst += g in place (dst is a leaf's .grad, owned by the engine).
void accumulate_inplace(const Tensor& dst, const Tensor& g);
// g itself when nothing else refers to its storage, otherwise a contiguous copy, so that later
// in-place accumulation into a .grad never writes through someone else's tensor.
Tensor owned(Tensor g);
// Sums a gradient of a broadcast result down to the input's `shape`; `op` names the node in
// errors.
Tensor reduce_to_shape(const Tensor& g, const Shape& shape, const char* op);

}  // namespace soma::autograd
