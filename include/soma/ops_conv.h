#pragma once
// Convolution, transposed convolution, pooling and resampling ops, like torch.nn.functional.
// Layouts are channels-first: (N, C, L)
// for 1-D, (N, C, H, W) for 2-D, (N, C, D, H, W) for 3-D; an input without the batch dimension
// ((C, L), (C, H, W), (C, D, H, W)) is accepted too and gives an output without it.
//
//   Tensor y = conv2d(x, w, b, /*stride=*/1, /*padding=*/1);  // x: (N, C, H, W)
//   Tensor z = conv1d(s, w1, {}, 1, "same", /*dilation=*/2);   // s: (N, C, L) -> (N, C_out, L)
//   Tensor p = max_pool2d(y, 2);                              // stride defaults to the kernel
//   Tensor u = conv_transpose2d(p, wt, {}, 2, 1, 1);          // (N, C, H, W) -> (N, C_out, 2H, 2W)
//   Tensor v = interpolate(y, {.scale_factor = {2}, .mode = "bilinear"});
//
// Sizes per spatial dimension (kernel, stride, padding, dilation) take one number for every
// dimension or a list with one per dimension. Output sizes follow PyTorch:
//   out = floor((in + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1.

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
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

// ---- transposed convolution (the input gradient of a convolution, "deconvolution")
// x: (N, C_in, *in), weight: (C_in, C_out / groups, *kernel), bias: (C_out) or undefined
//   -> (N, C_out, *out), out = (in - 1) * stride - 2 * padding + dilation * (kernel - 1) +
// output_padding + 1. It maps the output of conv*d(., weight, stride, padding, dilation,
// groups) back to that convolution's input size; output_padding (smaller than the stride or the
// dilation) picks among the input sizes that convolve to the same output size. The argument
// order is PyTorch's (groups before dilation). Differentiable in x, weight and bias (twice, too).
Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        const SpatialArg& stride = 1, const SpatialArg& padding = 0,
                        const SpatialArg& output_padding = 0, std::int64_t groups = 1,
                        const SpatialArg& dilation = 1);
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        const SpatialArg& stride = 1, const SpatialArg& padding = 0,
                        const SpatialArg& output_padding = 0, std::int64_t groups = 1,
                        const SpatialArg& dilation = 1);
Tensor conv_transpose3d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        const SpatialArg& stride = 1, const SpatialArg& padding = 0,
                        const SpatialArg& output_padding = 0, std::int64_t groups = 1,
                        const SpatialArg& dilation = 1);

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

// ---- resampling, like torch.nn.functional.interpolate
// Give either size (the output's spatial sizes) or scale_factor (out = floor(in * scale_factor);
// positions then map back with 1 / scale_factor, like PyTorch), one value for every spatial
// dimension or one per dimension.
//   "nearest"   input (N, C, L), (N, C, H, W) or (N, C, D, H, W): output o copies input
//               floor(o * scale), scale = in / out (1 / scale_factor when given), rounded
//               like PyTorch's forward so that the same positions are picked.
//   "linear" (N, C, L), "bilinear" (N, C, H, W), "trilinear" (N, C, D, H, W): a weighted mean of
//               the two nearest inputs per dimension. align_corners = true maps the corner
//               pixels' centres onto each other (scale = (in - 1) / (out - 1)); false (the
//               default) maps the pixels' edges (source = (o + 0.5) * scale - 0.5, clamped at 0).
// There is no unbatched form: a 3-D input is (N, C, L), as in PyTorch. Differentiable in x
// (twice, too); align_corners may be set only for the linear modes.
struct InterpolateOptions {
    SpatialArg size = {};
    std::vector<double> scale_factor = {};
    std::string mode = "nearest";
    std::optional<bool> align_corners = {};
};
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);

}  // namespace soma
