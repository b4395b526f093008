// Pooling ops. Each backward is linear in the output gradient, and its own backward is the
// forward again (average pooling) or a gather at the same indices (max pooling), so second
// derivatives work.

#include "backend/cpu/pool.h"

#include <algorithm>

#include "ops/spatial.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;
using backend::cpu::Window;
using ops_detail::dims_str;

namespace {

// Validated pooling geometry in batched shapes.
struct PoolSpec {
    Window win;
    Shape x_shape, y_shape;
};

// Checks kernel, stride (default: kernel), padding (at most half the kernel) and dilation for
// nd spatial dims of the batched x, and works out the output size.
PoolSpec pool_spec(const char* op, int nd, const Tensor& input, const Tensor& x,
                   const SpatialArg& kernel_arg, const SpatialArg& stride_arg,
                   const SpatialArg& padding_arg, const SpatialArg& dilation_arg) {
    std::vector<std::int64_t> kernel =
        ops_detail::expand_checked(kernel_arg, nd, op, "kernel_size", 1);
    std::vector<std::int64_t> stride =
        stride_arg.empty() ? kernel : ops_detail::expand_checked(stride_arg, nd, op, "stride", 1);
    std::vector<std::int64_t> pad = ops_detail::expand_checked(padding_arg, nd, op, "padding", 0);
    std::vector<std::int64_t> dil = ops_detail::expand_checked(dilation_arg, nd, op, "dilation", 1);
    std::vector<std::int64_t> in = ops_detail::spatial_sizes(x), out(nd);
    bool fits = true;
    for (int d = 0; d < nd; ++d) {
        if (2 * pad[d] > kernel[d])
            fail(op, ": padding ", padding_arg.str(), " must be at most half the kernel size ",
                 kernel_arg.str());
        std::int64_t room = in[d] + 2 * pad[d] - dil[d] * (kernel[d] - 1) - 1;
        fits = fits && room >= 0;
        out[d] = fits ? room / stride[d] + 1 : 0;
    }
    const bool dilated = std::any_of(dil.begin(), dil.end(), [](std::int64_t d) { return d != 1; });
    // The message is formatted only on failure: this runs on every forward.
    if (!fits)
        fail(op, ": input of shape ", input.shape(), " with padding ", padding_arg.str(),
             " is smaller than the kernel ", dims_str(kernel),
             dilated ? " with dilation " + dims_str(dil) : std::string());
    return {ops_detail::make_window(in, out, kernel, stride, pad, dil), x.shape(),
            ops_detail::with_spatial(x.shape(), out)};
}

Tensor max_pool_backward_op(const Tensor& gy, const Tensor& idx, const PoolSpec& s);

// h: (N, C, *in) -> h at the argmax positions: (N, C, *out)
Tensor max_pool_gather_op(const Tensor& h, const Tensor& idx, const PoolSpec& s) {
    Tensor y = backend::cpu::max_pool_gather(h, idx, s.win);
    return record("MaxPoolGatherBackward", y, {h},
                  [idx, s](const Tensor& gy) { return Grads{max_pool_backward_op(gy, idx, s)}; });
}

// gy: (N, C, *out) -> zeros (N, C, *in) with gy added at the argmax positions
Tensor max_pool_backward_op(const Tensor& gy, const Tensor& idx, const PoolSpec& s) {
    Tensor gx = backend::cpu::max_pool_backward(gy, idx, s.win, s.x_shape);
    return record("MaxPoolBackwardBackward", gx, {gy},
                  [idx, s](const Tensor& h) { return Grads{max_pool_gather_op(h, idx, s)}; });
}

Tensor max_pool(const char* op, int nd, const Tensor& input, const SpatialArg& kernel,
                const SpatialArg& stride, const SpatialArg& padding, const SpatialArg& dilation) {
    dispatch(input.defined() ? input.dtype() : kFloat32, op, [](auto) {});
    ops_detail::Batched in = ops_detail::as_batched(input, nd, op);
    PoolSpec s = pool_spec(op, nd, input, in.x, kernel, stride, padding, dilation);
    // x: (N, C, *in) -> y, idx: (N, C, *out)
    Tensor y, idx;
    backend::cpu::max_pool_forward(in.x, s.win, s.y_shape, y, idx);
    y = record("MaxPoolBackward", y, {in.x},
               [idx, s](const Tensor& gy) { return Grads{max_pool_backward_op(gy, idx, s)}; });
    return in.restore(y);
}

Tensor avg_pool_op(const Tensor& x, const PoolSpec& s, bool include_pad);

Tensor avg_pool_backward_op(const Tensor& gy, const PoolSpec& s, bool include_pad) {
    Tensor gx = backend::cpu::avg_pool_backward(gy, s.win, include_pad, s.x_shape);
    return record("AvgPoolBackwardBackward", gx, {gy}, [s, include_pad](const Tensor& h) {
        return Grads{avg_pool_op(h, s, include_pad)};
    });
}

// x: (N, C, *in) -> (N, C, *out)
Tensor avg_pool_op(const Tensor& x, const PoolSpec& s, bool include_pad) {
    Tensor y = backend::cpu::avg_pool_forward(x, s.win, include_pad, s.y_shape);
    return record("AvgPoolBackward", y, {x}, [s, include_pad](const Tensor& gy) {
        return Grads{avg_pool_backward_op(gy, s, include_pad)};
    });
}

Tensor adaptive_avg_pool_op(const Tensor& x, const PoolSpec& s);

Tensor adaptive_avg_pool_backward_op(const Tensor& gy, const PoolSpec& s) {
    Tensor gx = backend::cpu::adaptive_avg_pool_backward(gy, s.win, s.x_shape);
    return record("AdaptiveAvgPoolBackwardBackward", gx, {gy},
                  [s](const Tensor& h) { return Grads{adaptive_avg_pool_op(h, s)}; });
}

Tensor adaptive_avg_pool_op(const Tensor& x, const PoolSpec& s) {
    Tensor y = backend::cpu::adaptive_avg_pool_forward(x, s.win, s.y_shape);
    return record("AdaptiveAvgPoolBackward", y, {x},
                  [s](const Tensor& gy) { return Grads{adaptive_avg_pool_backward_op(gy, s)}; });
}

}  // namespace

Tensor max_pool1d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride,
                  const SpatialArg& padding, const SpatialArg& dilation) {
    return max_pool("max_pool1d", 1, x, kernel_size, stride, padding, dilation);
}

Tensor max_pool2d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride,
                  const SpatialArg& padding, const SpatialArg& dilation) {
    return max_pool("max_pool2d", 2, x, kernel_size, stride, padding, dilation);
}

Tensor max_pool3d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride,
                  const SpatialArg& padding, const SpatialArg& dilation) {
    return max_pool("max_pool3d", 3, x, kernel_size, stride, padding, dilation);
}

Tensor avg_pool2d(const Tensor& x, const SpatialArg& kernel_size, const SpatialArg& stride,
                  const SpatialArg& padding, bool count_include_pad) {
    const char* op = "avg_pool2d";
    dispatch(x.defined() ? x.dtype() : kFloat32, op, [](auto) {});
    ops_detail::Batched in = ops_detail::as_batched(x, 2, op);
    PoolSpec s = pool_spec(op, 2, x, in.x, kernel_size, stride, padding, 1);
    return in.restore(avg_pool_op(in.x, s, count_include_pad));
}

Tensor adaptive_avg_pool2d(const Tensor& x, const SpatialArg& output_size) {
    const char* op = "adaptive_avg_pool2d";
    dispatch(x.defined() ? x.dtype() : kFloat32, op, [](auto) {});
    ops_detail::Batched in = ops_detail::as_batched(x, 2, op);
    std::vector<std::int64_t> out =
        ops_detail::expand_checked(output_size, 2, op, "output_size", 1);
    std::vector<std::int64_t> inner = ops_detail::spatial_sizes(in.x);
    for (int d = 0; d < 2; ++d)
        check(inner[d] > 0, op, ": input of shape ", x.shape(), " has an empty spatial dimension");
    std::vector<std::int64_t> ones(2, 1), zero(2, 0);
    PoolSpec s{ops_detail::make_window(inner, out, ones, ones, zero, ones), in.x.shape(),
               ops_detail::with_spatial(in.x.shape(), out)};
    return in.restore(adaptive_avg_pool_op(in.x, s));
}

}  // namespace soma
