#pragma once
// Copies between tensors of any layout and dtype.

#include "soma/tensor.h"

namespace soma::backend::cpu {

// dst[...] = src[...] converted to dst's dtype, src broadcast to dst's shape.
void copy_into(const Tensor& dst, const Tensor& src);
// A fresh contiguous copy of src in `dtype`.
Tensor contiguous_copy(const Tensor& src, DType dtype);

}  // namespace soma::backend::cpu
