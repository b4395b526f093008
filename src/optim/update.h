#pragma once
// The element loop of every optimizer update: one pass over a parameter's contiguous data that
// reads the gradient and state and writes them back, split across threads for large tensors.
// One pass per step keeps updates free of temporaries on the training hot path.

#include <cstdint>

#include "backend/cpu/loop.h"
#include "soma/tensor.h"

namespace soma::optim::detail {

// Calls f(i) for i in [0, n).
template <class F>
void for_each_element(std::int64_t n, F&& f) {
    backend::cpu::parallel_for(n, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) f(i);
    });
}

// The data of a state buffer, created filled with `value` in the shape and dtype of `like` when
// it does not exist yet.
template <class T>
T* state_data(Tensor& buffer, const Tensor& like, double value = 0) {
    if (!buffer.defined()) buffer = full(like.shape(), value, like.dtype());
    return buffer.data<T>();
}

}  // namespace soma::optim::detail
