#pragma once
// Convolution kernels: im2col + BLAS GEMM, and a naive direct convolution kept as the tested
// reference. Shapes are channels-first with up to three spatial dimensions (see window.h);
// callers validate them (these kernels only assert what they rely on). Inputs may have any
// strides; outputs are contiguous.
//
// With K = C_in / groups * prod(kernel) and L = prod(out), one group of one image is
//   y (C_out / groups, L) = w (C_out / groups, K) @ col (K, L),
// where col = im2col(x) holds, for each output position, the K inputs its window covers.

#include <cstdint>

#include "backend/cpu/window.h"
#include "soma/tensor.h"

namespace soma::backend::cpu {

struct ConvGeometry {
    std::int64_t batch = 1, in_channels = 1, out_channels = 1, groups = 1;
    Window win;
};

// x: (N, C_in, *in), w: (C_out, C_in / groups, *kernel), bias: (C_out) or undefined
//   -> (N, C_out, *out), shaped y_shape.
Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvGeometry& g,
                    const Shape& y_shape);
// gy: (N, C_out, *out), w -> dL/dx: (N, C_in, *in), shaped x_shape (a transposed convolution).
Tensor conv_backward_input(const Tensor& gy, const Tensor& w, const ConvGeometry& g,
                           const Shape& x_shape);
// x, gy -> dL/dw: (C_out, C_in / groups, *kernel), shaped w_shape.
Tensor conv_backward_weight(const Tensor& x, const Tensor& gy, const ConvGeometry& g,
                            const Shape& w_shape);

// gy: (N, C_out, *out) -> dL/dbias: (C_out), the sum over everything but the channel.
Tensor conv_backward_bias(const Tensor& gy, const ConvGeometry& g);

// ---- transposed convolution (conv_transpose1d/2d/3d)
// A transposed convolution is described by the geometry of the convolution it transposes: g's
// in_channels and win.in are the transposed output's, out_channels and win.out its input's.
// x: (N, C_in, *in), w: (C_in, C_out / groups, *kernel), bias: (C_out) or undefined
//   -> (N, C_out, *out) shaped y_shape: conv_backward_input with x as the output gradient (GEMM
// then col2im), plus the bias.
Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& bias,
                              const ConvGeometry& g, const Shape& y_shape);

// The same three by direct loops over every (output, kernel) pair, accumulating in double.
Tensor conv_forward_naive(const Tensor& x, const Tensor& w, const Tensor& bias,
                          const ConvGeometry& g, const Shape& y_shape);
Tensor conv_backward_input_naive(const Tensor& gy, const Tensor& w, const ConvGeometry& g,
                                 const Shape& x_shape);
Tensor conv_backward_weight_naive(const Tensor& x, const Tensor& gy, const ConvGeometry& g,
                                  const Shape& w_shape);
// The transposed convolution from its own definition, by direct loops: every input element
// scatters x * w into the outputs its kernel taps reach (in * stride - padding + tap * dilation).
Tensor conv_transpose_forward_naive(const Tensor& x, const Tensor& w, const Tensor& bias,
                                    const ConvGeometry& g, const Shape& y_shape);

}  // namespace soma::backend::cpu
