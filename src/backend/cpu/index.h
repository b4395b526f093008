#pragma once
// Indexing kernels: reading and accumulating along one dimension through an int64 index.
// Callers validate index values first (kernels run inside parallel regions and cannot throw).

#include <cstdint>
#include <optional>

#include "soma/tensor.h"

namespace soma::backend::cpu {

// The index as a contiguous int64 tensor: int64 as is, floating tensors holding whole numbers
// converted; a fractional or non-finite value throws naming `op`.
Tensor to_index(const Tensor& index, const char* op);

// The first element of a contiguous int64 tensor outside [0, size), if any.
std::optional<std::int64_t> first_out_of_range(const Tensor& index, std::int64_t size);

// out[p] = x[p with p[dim] replaced by index[p]] for every position p of out_shape.
// index (int64) broadcasts to out_shape; x has out_shape's rank and sizes at least out_shape's
// outside `dim`. Serves index_select (index shaped (1, .., L, .., 1)), gather and embedding.
// x: any strides -> out: contiguous, out_shape.
Tensor take_along_dim(const Tensor& x, int dim, const Tensor& index, const Shape& out_shape);

// dst[p with p[dim] replaced by index[p]] += src[p] for every position p of src's shape.
// Repeated indices accumulate. index (int64) broadcasts to src's shape; dst and src: any
// strides, same floating dtype; dst must not overlap itself (no expanded views). Serves index_add
// (backward of index_select) and scatter_add.
void add_along_dim(const Tensor& dst, int dim, const Tensor& index, const Tensor& src);

// index (contiguous int64, values in [0, num_classes)) -> (*index.shape, num_classes) of 0/1.
Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype);

}  // namespace soma::backend::cpu
