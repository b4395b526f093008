#pragma once
// Convolution and pooling ops, like torch.nn.functional. Layouts are channels-first: (N, C, L)
// for 1-D, (N, C, H, W) for 2-D, (N, C, D, H, W) for 3-D; an input without the batch dimension
// ((C, L), (C, H, W), (C, D, H, W)) is accepted too and gives an output without it.
//
//   Tensor y = conv2d(x, w, b, /*stride=*/1, /*padding=*/1);  // x: (N, C, H, W)
//   Tensor z = conv1d(s, w1, {}, 1, "same", /*dilation=*/2);   // s: (N, C, L) -> (N, C_out, L)
//   Tensor p = max_pool2d(y, 2);                              // stride defaults to the kernel
//
// Sizes per spatial dimension (kernel, stride, padding, dilation) take one number for every
// dimension or a list with one per dimension. Output sizes follow PyTorch:
//   out = floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "soma/tensor.h"

namespace soma {

// One size for every spatial dimension (`3`), or one per dimension (`{3, 5}`). Empty (`{}`)
// means "use the default", where an op documents one (a pooling stride defaults to the kernel).
class SpatialArg {
public:
    SpatialArg() = default;
    template <std::integral I>
    SpatialArg(I v) : values_{static_cast<std::int64_t>(v)} {}
    SpatialArg(std::initializer_list<std::int64_t> v) : values_(v) {}
    SpatialArg(std::vector<std::int64_t> v) : values_(std::move(v)) {}

    bool empty() const { return values_.empty(); }
    const std::vector<std::int64_t>& values() const { return values_; }
    // The values for `nd` spatial dimensions: one value repeated, or a list of exactly nd.
    // Throws naming `op` and `what` ("conv2d: stride needs 1 or 2 values, got (1, 2, 3)").
    std::vector<std::int64_t> expand(int nd, const char* op, const char* what) const;
    std::string str() const;  // "2" or "(2, 3)"

private:
    std::vector<std::int64_t> values_;
};

// Convolution padding: zeros added on both sides of each spatial dimension (a SpatialArg), or
// "valid" (none) or "same" (the output keeps the input's size; stride must be 1; for an even
// dilated kernel the extra zero goes at the end, like PyTorch).
class ConvPadding {
public:
    template <std::integral I>
    ConvPadding(I v) : sizes_(v) {}
    ConvPadding(std::initializer_list<std::int64_t> v) : sizes_(v) {}
    ConvPadding(std::vector<std::int64_t> v) : sizes_(std::move(v)) {}
    ConvPadding(const SpatialArg& v) : sizes_(v) {}
    ConvPadding(const char* mode);
    ConvPadding(const std::string& mode) : ConvPadding(mode.c_str()) {}

    bool same() const { return same_; }
    const SpatialArg& sizes() const { return sizes_; }  // 0 for "valid"; unused for "same"
    std::string str() const;                            // "same", "1", "(1, 2)"

private:
    SpatialArg sizes_ = 0;
    bool same_ = false;
};

// ---- convolution (cross-correlation, like PyTorch)
// x: (N, C_in, *in), weight: (C_out, C_in / groups, *kernel), bias: (C_out) or undefined
//   -> (N, C_out, *out). groups splits the channels into independent convolutions; groups ==
// C_in is a depthwise convolution. Differentiable in x, weight and bias (twice, too).
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const SpatialArg& stride = 1, const ConvPadding& padding = 0,
              const SpatialArg& dilation = 1, std::int64_t groups = 1);
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const SpatialArg& stride = 1, const ConvPadding& padding = 0,
              const SpatialArg& dilation = 1, std::int64_t groups = 1);
Tensor conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              const SpatialArg& stride = 1, const ConvPadding& padding = 0,
              const SpatialArg& dilation = 1, std::int64_t groups = 1);

// ---- pooling, per channel. stride {} = kernel_size; padding at most half the kernel.
// Max pooling pads with -inf; the gradient goes to the first maximum of each window, like
// PyTorch (NaN counts as the maximum).
Tensor max_pool1d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride = {},
                  const SpatialArg& padding = 0, const SpatialArg& dilation = 1);
Tensor max_pool2d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride = {},
                  const SpatialArg& padding = 0, const SpatialArg& dilation = 1);
Tensor max_pool3d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride = {},
                  const SpatialArg& padding = 0, const SpatialArg& dilation = 1);

// Mean over each window; padding counts as zeros in the mean unless !count_include_pad.
Tensor avg_pool2d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride = {},
                  const SpatialArg& padding = 0, bool count_include_pad = true);

// Mean over output_size (H_out, W_out) windows that tile the input, like PyTorch: window i of
// a dimension covers [floor(i * in / out), ceil((i + 1) * in / out)).
Tensor adaptive_avg_pool2d(const Tensor& x, const SpatialArg& output_size);

}  // namespace soma
