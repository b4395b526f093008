// conv1d, conv2d and conv3d: one N-dimensional convolution behind three front doors.
//
// Forward, input gradient and weight gradient are three ops that are each other's
// derivatives, so every order of derivative is again one of them:
//   y  = conv(x, w)            dy -> (dx, dw) = (conv_input_grad(dy, w), conv_weight_grad(x, dy))
//   dx = conv_input_grad(g, w)  is linear in g and w; <dx, h> = <g, conv(h, w)>
//   dw = conv_weight_grad(x, g) is linear in x and g; <dw, h> = <g, conv(x, h)>
//
// conv_transpose1d/2d/3d is conv_input_grad of the convolution it transposes, plus a bias: its
// gradients are that convolution's forward (for x) and weight gradient (for w).

#include "backend/cpu/conv.h"

#include "ops/spatial.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::NeedsGrad;
using autograd::record;

namespace {

// A validated convolution, in batched shapes.
struct ConvSpec {
    backend::cpu::ConvGeometry geo;
    Shape x_shape, w_shape, y_shape;
    std::vector<std::int64_t> bias_dims;  // the dims a bias gradient sums over: 0, 2, 3, ...
};

Tensor conv_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvSpec& s);
Tensor conv_input_grad(const Tensor& gy, const Tensor& w, const ConvSpec& s);
Tensor conv_weight_grad(const Tensor& x, const Tensor& gy, const ConvSpec& s);

// gy: (N, C_out, *out) -> (C_out). A plain kernel unless a graph of the gradient is wanted.
Tensor bias_grad(const Tensor& gy, const ConvSpec& s) {
    if (autograd::grad_enabled()) return sum(gy, s.bias_dims);
    return backend::cpu::conv_backward_bias(gy, s.geo);
}

// x: (N, C_in, *in), w: (C_out, C_in / groups, *kernel), b: (C_out) -> (N, C_out, *out)
Tensor conv_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvSpec& s) {
    Tensor y = backend::cpu::conv_forward(x, w, b, s.geo, s.y_shape);
    return record("ConvolutionBackward", y, {x, w, b},
                  [x, w, s](const Tensor& gy, const NeedsGrad& n) {
                      return Grads{n[0] ? conv_input_grad(gy, w, s) : Tensor(),
                                   n[1] ? conv_weight_grad(x, gy, s) : Tensor(),
                                   n[2] ? bias_grad(gy, s) : Tensor()};
                  });
}

// gy: (N, C_out, *out), w -> (N, C_in, *in)
Tensor conv_input_grad(const Tensor& gy, const Tensor& w, const ConvSpec& s) {
    Tensor gx = backend::cpu::conv_backward_input(gy, w, s.geo, s.x_shape);
    return record("ConvolutionBackwardInput", gx, {gy, w},
                  [gy, w, s](const Tensor& h, const NeedsGrad& n) {
                      return Grads{n[0] ? conv_op(h, w, Tensor(), s) : Tensor(),
                                   n[1] ? conv_weight_grad(h, gy, s) : Tensor()};
                  });
}

// x: (N, C_in, *in), gy: (N, C_out, *out) -> (C_out, C_in / groups, *kernel)
Tensor conv_weight_grad(const Tensor& x, const Tensor& gy, const ConvSpec& s) {
    Tensor gw = backend::cpu::conv_backward_weight(x, gy, s.geo, s.w_shape);
    return record("ConvolutionBackwardWeight", gw, {x, gy},
                  [x, gy, s](const Tensor& h, const NeedsGrad& n) {
                      return Grads{n[0] ? conv_input_grad(gy, h, s) : Tensor(),
                                   n[1] ? conv_op(x, h, Tensor(), s) : Tensor()};
                  });
}

// The geometry s describes the convolution that conv_transpose transposes: s.y_shape is x's
// shape and s.x_shape the output's.
// gy: (N, C_out, *out) -> (C_out)
Tensor transposed_bias_grad(const Tensor& gy, const ConvSpec& s) {
    if (autograd::grad_enabled()) return sum(gy, s.bias_dims);
    backend::cpu::ConvGeometry g = s.geo;  // the channels and sizes of gy, for the kernel
    g.out_channels = g.in_channels;
    g.win.out = g.win.in;
    return backend::cpu::conv_backward_bias(gy, g);
}

// x: (N, C_in, *in), w: (C_in, C_out / groups, *kernel), b: (C_out) -> (N, C_out, *out)
Tensor conv_transpose_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvSpec& s) {
    Tensor y = backend::cpu::conv_transpose_forward(x, w, b, s.geo, s.x_shape);
    return record(
        "ConvolutionTransposeBackward", y, {x, w, b},
        [x, w, s](const Tensor& gy, const NeedsGrad& n) {
            return Grads{n[0] ? conv_op(gy, w, Tensor(), s) : Tensor(),
                         n[1] ? conv_weight_grad(gy, x, s) : Tensor(),
                         n[2] ? transposed_bias_grad(gy, s) : Tensor()};
        },
        autograd::kSavesInputs);
}

const char* weight_layout(int nd) {
    return nd == 1   ? "(out_channels, in_channels / groups, kL)"
           : nd == 2 ? "(out_channels, in_channels / groups, kH, kW)"
                     : "(out_channels, in_channels / groups, kD, kH, kW)";
}

Tensor convolution(const char* op, int nd, const Tensor& input, const Tensor& w, const Tensor& b,
                   const SpatialArg& stride_arg, const ConvPadding& padding,
                   const SpatialArg& dilation_arg, std::int64_t groups) {
    using ops_detail::dims_str;
    ops_detail::check_same_dtype(input, w, op);
    if (b.defined()) ops_detail::check_same_dtype(input, b, op);
    dispatch(input.dtype(), op, [](auto) {});
    ops_detail::Batched in = ops_detail::as_batched(input, nd, op);
    const Tensor& x = in.x;
    check(w.dim() == nd + 2, op, ": weight must be ", nd + 2, "-D ", weight_layout(nd),
          ", got shape ", w.shape());
    const std::int64_t C = x.size(1), OC = w.size(0);
    check(groups >= 1, op, ": groups must be positive, got ", groups);
    check(C % groups == 0, op, ": groups=", groups, " does not divide the ", C,
          " input channels of the input of shape ", input.shape());
    check(OC % groups == 0, op, ": groups=", groups, " does not divide the ", OC,
          " output channels of the weight of shape ", w.shape());
    check(w.size(1) * groups == C, op, ": input of shape ", input.shape(), " has ", C,
          " channels, but weight of shape ", w.shape(), " with groups=", groups, " expects ",
          w.size(1) * groups);
    check(!b.defined() || (b.dim() == 1 && b.size(0) == OC), op, ": bias must have shape (", OC,
          ") for weight of shape ", w.shape(), ", got ", b.defined() ? b.shape() : Shape());

    std::vector<std::int64_t> stride = ops_detail::expand_checked(stride_arg, nd, op, "stride", 1);
    std::vector<std::int64_t> dilation =
        ops_detail::expand_checked(dilation_arg, nd, op, "dilation", 1);
    std::vector<std::int64_t> in_size = ops_detail::spatial_sizes(x);
    std::vector<std::int64_t> kernel(w.shape().begin() + 2, w.shape().end());
    std::vector<std::int64_t> pad_lo(nd), pad_total(nd), out(nd);
    if (padding.same()) {
        for (int d = 0; d < nd; ++d)
            if (stride[d] != 1)
                fail(op, ": padding='same' needs stride 1, got stride ", stride_arg.str());
        for (int d = 0; d < nd; ++d) {
            pad_total[d] = dilation[d] * (kernel[d] - 1);
            pad_lo[d] = pad_total[d] / 2;  // an odd total puts the extra zero at the end
        }
    } else {
        pad_lo = ops_detail::expand_checked(padding.sizes(), nd, op, "padding", 0);
        for (int d = 0; d < nd; ++d) pad_total[d] = 2 * pad_lo[d];
    }
    std::vector<std::int64_t> padded(nd), reach(nd);
    bool fits = true;
    for (int d = 0; d < nd; ++d) {
        padded[d] = in_size[d] + pad_total[d];
        reach[d] = dilation[d] * (kernel[d] - 1) + 1;
        fits = fits && padded[d] >= reach[d];
        out[d] = fits ? (padded[d] - reach[d]) / stride[d] + 1 : 0;
    }
    // The message is formatted only on failure: this runs on every forward.
    if (!fits)
        fail(op, ": input of shape ", input.shape(), " with padding ", padding.str(),
             " has spatial size ", dims_str(padded), ", smaller than the kernel ", dims_str(kernel),
             " (", dims_str(reach), " with dilation ", dims_str(dilation), ") of weight of shape ",
             w.shape());

    ConvSpec s;
    s.geo = {x.size(0), C, OC, groups,
             ops_detail::make_window(in_size, out, kernel, stride, pad_lo, dilation)};
    s.x_shape = x.shape();
    s.w_shape = w.shape();
    s.y_shape = ops_detail::with_spatial(x.shape(), out);
    s.y_shape[1] = OC;
    s.bias_dims.push_back(0);
    for (int d = 0; d < nd; ++d) s.bias_dims.push_back(2 + d);
    return in.restore(conv_op(x, w, b, s));
}

const char* transposed_weight_layout(int nd) {
    return nd == 1   ? "(in_channels, out_channels / groups, kL)"
           : nd == 2 ? "(in_channels, out_channels / groups, kH, kW)"
                     : "(in_channels, out_channels / groups, kD, kH, kW)";
}

Tensor convolution_transpose(const char* op, int nd, const Tensor& input, const Tensor& w,
                             const Tensor& b, const SpatialArg& stride_arg,
                             const SpatialArg& padding_arg, const SpatialArg& output_padding_arg,
                             std::int64_t groups, const SpatialArg& dilation_arg) {
    using ops_detail::dims_str;
    ops_detail::check_same_dtype(input, w, op);
    if (b.defined()) ops_detail::check_same_dtype(input, b, op);
    dispatch(input.dtype(), op, [](auto) {});
    ops_detail::Batched in = ops_detail::as_batched(input, nd, op);
    const Tensor& x = in.x;
    check(w.dim() == nd + 2, op, ": weight must be ", nd + 2, "-D ", transposed_weight_layout(nd),
          ", got shape ", w.shape());
    const std::int64_t C = x.size(1);
    check(groups >= 1, op, ": groups must be positive, got ", groups);
    check(w.size(0) == C, op, ": input of shape ", input.shape(), " has ", C,
          " channels, but weight of shape ", w.shape(), " expects ", w.size(0),
          " (its first dimension)");
    check(C % groups == 0, op, ": groups=", groups, " does not divide the ", C,
          " input channels of the input of shape ", input.shape());
    const std::int64_t OC = w.size(1) * groups;
    check(!b.defined() || (b.dim() == 1 && b.size(0) == OC), op, ": bias must have shape (", OC,
          ") for weight of shape ", w.shape(), " with groups=", groups, ", got ",
          b.defined() ? b.shape() : Shape());

    std::vector<std::int64_t> stride = ops_detail::expand_checked(stride_arg, nd, op, "stride", 1);
    std::vector<std::int64_t> pad = ops_detail::expand_checked(padding_arg, nd, op, "padding", 0);
    std::vector<std::int64_t> out_pad =
        ops_detail::expand_checked(output_padding_arg, nd, op, "output_padding", 0);
    std::vector<std::int64_t> dilation =
        ops_detail::expand_checked(dilation_arg, nd, op, "dilation", 1);
    std::vector<std::int64_t> in_size = ops_detail::spatial_sizes(x);
    std::vector<std::int64_t> kernel(w.shape().begin() + 2, w.shape().end());
    // output_padding adds rows at the end that no input reaches when it is below the stride;
    // PyTorch also accepts it below the dilation.
    std::vector<std::int64_t> out(nd);
    bool positive = true;
    for (int d = 0; d < nd; ++d) {
        if (out_pad[d] >= stride[d] && out_pad[d] >= dilation[d])
            fail(op, ": output_padding ", dims_str(out_pad), " must be smaller than the stride ",
                 dims_str(stride), " or the dilation ", dims_str(dilation), " in every dimension");
        out[d] = (in_size[d] - 1) * stride[d] - 2 * pad[d] + dilation[d] * (kernel[d] - 1) +
                 out_pad[d] + 1;
        positive = positive && out[d] > 0;
    }
    // The message is formatted only on failure: this runs on every forward.
    if (!positive)
        fail(op, ": input of shape ", input.shape(), " with kernel ", dims_str(kernel), ", stride ",
             dims_str(stride), ", padding ", dims_str(pad), ", output_padding ", dims_str(out_pad),
             " and dilation ", dims_str(dilation), " gives output size ", dims_str(out),
             "; every size must be positive");

    ConvSpec s;  // the convolution from the output (OC channels, *out) to x (C channels, *in)
    s.geo = {x.size(0), OC, C, groups,
             ops_detail::make_window(out, in_size, kernel, stride, pad, dilation)};
    s.x_shape = ops_detail::with_spatial(x.shape(), out);
    s.x_shape[1] = OC;
    s.w_shape = w.shape();
    s.y_shape = x.shape();
    s.bias_dims.push_back(0);
    for (int d = 0; d < nd; ++d) s.bias_dims.push_back(2 + d);
    return in.restore(conv_transpose_op(x, w, b, s));
}

}  // namespace

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, const SpatialArg& stride,
              const ConvPadding& padding, const SpatialArg& dilation, std::int64_t groups) {
    return convolution("conv1d", 1, x, weight, bias, stride, padding, dilation, groups);
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const SpatialArg& stride,
              const ConvPadding& padding, const SpatialArg& dilation, std::int64_t groups) {
    return convolution("conv2d", 2, x, weight, bias, stride, padding, dilation, groups);
}

Tensor conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias, const SpatialArg& stride,
              const ConvPadding& padding, const SpatialArg& dilation, std::int64_t groups) {
    return convolution("conv3d", 3, x, weight, bias, stride, padding, dilation, groups);
}

Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const SpatialArg& stride, const SpatialArg& padding,
                        const SpatialArg& output_padding, std::int64_t groups,
                        const SpatialArg& dilation) {
    return convolution_transpose("conv_transpose1d", 1, x, weight, bias, stride, padding,
                                 output_padding, groups, dilation);
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const SpatialArg& stride, const SpatialArg& padding,
                        const SpatialArg& output_padding, std::int64_t groups,
                        const SpatialArg& dilation) {
    return convolution_transpose("conv_transpose2d", 2, x, weight, bias, stride, padding,
                                 output_padding, groups, dilation);
}

Tensor conv_transpose3d(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        const SpatialArg& stride, const SpatialArg& padding,
                        const SpatialArg& output_padding, std::int64_t groups,
                        const SpatialArg& dilation) {
    return convolution_transpose("conv_transpose3d", 3, x, weight, bias, stride, padding,
                                 output_padding, groups, dilation);
}

}  // namespace soma
