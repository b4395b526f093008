#pragma once
// Resampling kernels (nearest and linear interpolation) over up to three spatial dimensions,
// right-aligned like window.h. Each output position is a fixed weighted sum of at most two
// inputs per dimension; the caller works out those indices and weights (ops/interpolate.cpp),
// so these kernels only gather and scatter. A tensor (..., *in) is a stack of planes resampled
// independently; inputs may have any strides, outputs are contiguous.

#include <array>
#include <cstdint>
#include <vector>

#include "backend/cpu/window.h"
#include "soma/tensor.h"

namespace soma::backend::cpu {

// One dimension: output o reads input index[0][o] with weight weight[0][o] and, when taps is 2,
// also index[1][o] with weight[1][o]. The default is the identity of a size-1 dimension.
struct Resample1d {
    int taps = 1;
    std::array<std::vector<std::int64_t>, 2> index{std::vector<std::int64_t>{0},
                                                   std::vector<std::int64_t>{0}};
    std::array<std::vector<double>, 2> weight{std::vector<double>{1.0}, std::vector<double>{0.0}};
};

struct Resampling {
    Dims3 in{1, 1, 1}, out{1, 1, 1};
    std::array<Resample1d, 3> dims;  // dims[d] has out[d] entries
};

// x: (..., *in) -> y: (..., *out) shaped y_shape; y[o] = sum of weight * x over o's taps.
Tensor resample_forward(const Tensor& x, const Resampling& r, const Shape& y_shape);
// gy: (..., *out) -> (..., *in) shaped x_shape: each gy[o] * weight added to o's taps, the
// adjoint of resample_forward.
Tensor resample_backward(const Tensor& gy, const Resampling& r, const Shape& x_shape);

}  // namespace soma::backend::cpu
