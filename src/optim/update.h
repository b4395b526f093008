#pragma once
// Shared by the optimizers: their state buffers. The update arithmetic itself is a kernel
// behind ops/optim_update.h.

#include "ops/optim_update.h"
#include "soma/tensor.h"

namespace soma::optim::detail {

// A state buffer, created filled with `value` in the shape and dtype of `like` when it does not
// exist yet.
inline const Tensor& state(Tensor& buffer, const Tensor& like, double value = 0) {
    if (!buffer.defined()) buffer = full(like.shape(), value, like.dtype());
    return buffer;
}

}  // namespace soma::optim::detail
