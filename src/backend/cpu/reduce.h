#pragma once
// Reduction kernels over any set of dimensions.

#include <vector>

#include "soma/tensor.h"

namespace soma::backend::cpu {

// Which dimensions of an n-d tensor a reduction removes; `dims` empty means all.
std::vector<bool> reduce_mask(const std::vector<std::int64_t>& dims, int ndim, const char* op);

// Shape after reducing the masked dims (kept as size 1 with keepdim).
Shape reduced_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim);

// Sum over the masked dimensions, accumulating in double.
Tensor sum(const Tensor& x, const std::vector<bool>& mask, bool keepdim);

// out[j] = sum_i a[i * lda + j] over `rows` rows of `cols` columns: the bias gradient of a
// batch of rows, without the general reduction's planning. `accumulate`: out[j] += instead.
template <class T>
void column_sums(const T* a, std::int64_t rows, std::int64_t cols, std::int64_t lda, T* out,
                 bool accumulate = false);

// Sums `g` down to `shape`, the shape it was broadcast from (leading dims and size-1 dims).
Tensor sum_to(const Tensor& g, const Shape& shape);

// Calls f(out_index, in_offsets_begin) style visitor: for every output element (row-major over
// the kept dims), f(o, base_offset, inner) where the reduced elements are base_offset + the
// offsets listed in `inner` (element offsets into x's storage).
struct ReductionPlan {
    Shape out_shape;                          // keepdim=false shape
    std::vector<std::int64_t> outer_offsets;  // storage offset of each output's first element
    std::vector<std::int64_t> inner_offsets;  // offsets of the reduced elements relative to it
};
ReductionPlan plan_reduction(const Tensor& x, const std::vector<bool>& mask);

}  // namespace soma::backend::cpu
