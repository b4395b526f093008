#pragma once
// Argument handling shared by the convolution and pooling ops: the optional batch dimension
// and the Window that the kernels consume (per-dimension sizes: spatial_args.h).

#include <string>
#include <vector>

#include "backend/cpu/window.h"
#include "ops/kernels.h"
#include "ops/spatial_args.h"
#include "soma/ops_conv.h"

namespace soma::ops_detail {

// An input with nd spatial dimensions as a batched (N, C, *spatial) tensor: x itself, or x with
// a leading 1 when it has no batch dimension. Throws for any other rank, naming the op.
struct Batched {
    Tensor x;
    bool unbatched = false;
    Tensor restore(const Tensor& y) const { return unbatched ? y.squeeze(0) : y; }
};
Batched as_batched(const Tensor& x, int nd, const char* op);

// The spatial sizes of a batched input (dims 2..).
std::vector<std::int64_t> spatial_sizes(const Tensor& x);

// The Window for nd spatial dims, right-aligned in the kernels' three (leading dims stay 1).
backend::cpu::Window make_window(const std::vector<std::int64_t>& in,
                                 const std::vector<std::int64_t>& out,
                                 const std::vector<std::int64_t>& kernel,
                                 const std::vector<std::int64_t>& stride,
                                 const std::vector<std::int64_t>& pad,
                                 const std::vector<std::int64_t>& dilation);

// x's shape with its spatial dims replaced by `out`.
Shape with_spatial(const Shape& x, const std::vector<std::int64_t>& out);

}  // namespace soma::ops_detail
