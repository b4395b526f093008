#pragma once
// Reductions beyond sum: max/min with their indices, variance, logsumexp, and the softmax family
// (a reduction and an element-wise pass along one dimension).
//
// Kernels along one dimension see a contiguous tensor as (outer, n, inner) and walk "lanes": the
// n elements of one (outer, inner) pair, stride `inner` apart. When the dimension is the last one
// (inner == 1) a lane is a contiguous row and the loops vectorise; otherwise neighbouring lanes
// are processed together so that each pass reads whole cache lines. Reductions over several
// dimensions move those dimensions last and work on contiguous rows.

#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::backend::cpu {

// A shape seen as (outer, n, inner) around dimension `dim`; a 0-d shape is (1, 1, 1).
struct DimSplit {
    std::int64_t outer = 1, n = 1, inner = 1;
};
DimSplit split_at(const Shape& shape, int dim);

// A contiguous tensor holding x's values with the masked dims as the `n` of (outer, n, inner):
// x itself (or a contiguous copy) when those dims are adjacent, else a copy with them moved last.
Tensor split_reduced(const Tensor& x, const std::vector<bool>& mask, DimSplit& s);

// Max (is_max) or min along `dim` (x.shape()[dim] > 0): the first extreme element of each lane,
// NaN counting as the extreme, like torch. Either output may be null. Shapes: x's without `dim`
// (kept as 1 with keepdim); indices are int64.
void extreme_along(const Tensor& x, int dim, bool keepdim, bool is_max, Tensor* values,
                   Tensor* indices);

// A 0/1 tensor of `shape` in `dtype`, 1 where the coordinate along `dim` equals `indices` (the
// output of extreme_along): the routing mask of a max/min gradient.
Tensor one_hot_along(const Tensor& indices, const Shape& shape, int dim, DType dtype);

// Variance over the masked dims with divisor max(0, N - correction), accumulated in double.
Tensor var(const Tensor& x, const std::vector<bool>& mask, bool keepdim, std::int64_t correction);

// log(sum(exp(x))) over the masked dims, shifted by the maximum for stability.
Tensor logsumexp(const Tensor& x, const std::vector<bool>& mask, bool keepdim);

// softmax (or log_softmax when `log`) along `dim`; contiguous output of x's shape.
Tensor softmax(const Tensor& x, int dim, bool log);
// The input gradient of softmax / log_softmax given its output y and the output gradient gy.
Tensor softmax_backward(const Tensor& y, const Tensor& gy, int dim, bool log);

}  // namespace soma::backend::cpu
