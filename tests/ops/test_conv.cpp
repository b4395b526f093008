// conv1d/2d/3d against the PyTorch fixtures, the im2col + GEMM kernels against the naive
// direct convolution on random shapes, second derivatives, and errors.

#include <gtest/gtest.h>

#include "backend/cpu/conv.h"
#include "soma/ops.h"
#include "soma/ops_conv.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

SpatialArg spatial(const json& j) {
    if (j.is_number_integer()) return j.get<std::int64_t>();
    return j.get<std::vector<std::int64_t>>();
}

ConvPadding conv_padding(const json& j) {
    if (j.is_string()) return j.get<std::string>();
    return spatial(j);
}

template <Tensor (*Conv)(const Tensor&, const Tensor&, const Tensor&, const SpatialArg&,
                         const ConvPadding&, const SpatialArg&, std::int64_t)>
Tensor conv_case(const Inputs& x, const json& a) {
    return Conv(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), spatial(a.at("stride")),
                conv_padding(a.at("padding")), spatial(a.at("dilation")),
                a.at("groups").get<std::int64_t>());
}

TEST(Conv, Fixtures) {
    test::run_op_group("conv", {{"conv1d", conv_case<conv1d>},
                                {"conv2d", conv_case<conv2d>},
                                {"conv3d", conv_case<conv3d>}});
}

// A random convolution with nd spatial dims, right-aligned in the kernels' three.
struct RandomConv {
    backend::cpu::ConvGeometry g;
    Shape x_shape, w_shape, y_shape;
};

RandomConv random_conv(Generator& gen, int nd) {
    auto pick = [&](std::int64_t lo, std::int64_t hi) { return gen.randint(lo, hi + 1); };
    RandomConv r;
    backend::cpu::ConvGeometry& g = r.g;
    g.groups = pick(1, 3);
    g.batch = pick(1, 4);
    g.in_channels = g.groups * pick(1, 3);
    g.out_channels = g.groups * pick(1, 3);
    r.x_shape = {g.batch, g.in_channels};
    r.w_shape = {g.out_channels, g.in_channels / g.groups};
    r.y_shape = {g.batch, g.out_channels};
    for (int d = 3 - nd; d < 3; ++d) {
        backend::cpu::Window& w = g.win;
        w.kernel[d] = pick(1, 4);
        w.stride[d] = pick(1, 3);
        w.dilation[d] = pick(1, 2);
        w.pad[d] = pick(0, 2);
        std::int64_t reach = w.dilation[d] * (w.kernel[d] - 1) + 1;
        w.in[d] = std::max<std::int64_t>(1, reach - 2 * w.pad[d]) + pick(0, 6);
        w.out[d] = (w.in[d] + 2 * w.pad[d] - reach) / w.stride[d] + 1;
        r.x_shape.push_back(w.in[d]);
        r.w_shape.push_back(w.kernel[d]);
        r.y_shape.push_back(w.out[d]);
    }
    return r;
}

TEST(Conv, Im2colMatchesNaiveOnRandomShapes) {
    Generator gen(31);
    for (int trial = 0; trial < 150; ++trial) {
        const int nd = 1 + trial % 3;
        const DType dtype = trial % 2 ? kFloat32 : kFloat64;
        const double tol = dtype == kFloat32 ? 1e-4 : 1e-12;
        RandomConv r = random_conv(gen, nd);
        Tensor x = randn(r.x_shape, &gen, dtype), w = randn(r.w_shape, &gen, dtype);
        Tensor b = trial % 3 ? randn({r.g.out_channels}, &gen, dtype) : Tensor();
        Tensor gy = randn(r.y_shape, &gen, dtype);
        std::string what = "trial " + std::to_string(trial) + ": x " + r.x_shape.str() + ", w " +
                           r.w_shape.str() + ", groups " + std::to_string(r.g.groups);
        test::expect_close(backend::cpu::conv_forward(x, w, b, r.g, r.y_shape),
                           backend::cpu::conv_forward_naive(x, w, b, r.g, r.y_shape), tol, tol,
                           what + " forward");
        test::expect_close(backend::cpu::conv_backward_input(gy, w, r.g, r.x_shape),
                           backend::cpu::conv_backward_input_naive(gy, w, r.g, r.x_shape), tol, tol,
                           what + " input gradient");
        test::expect_close(backend::cpu::conv_backward_weight(x, gy, r.g, r.w_shape),
                           backend::cpu::conv_backward_weight_naive(x, gy, r.g, r.w_shape), tol,
                           tol, what + " weight gradient");
    }
}

TEST(Conv, Im2colMatchesNaiveOnALargeBatch) {
    // Large enough for the parallel paths (several threads summing weight gradients) and for
    // blocks of several images per GEMM, the last one partial: 3x3 with padding, 1x1 (where a
    // lone image needs no im2col) and 1x1 with stride 2.
    Generator gen(32);
    struct Case {
        std::int64_t k, stride, pad, out_h, out_w;
    };
    for (const Case& c : {Case{3, 1, 1, 12, 11}, Case{1, 1, 0, 12, 11}, Case{1, 2, 0, 6, 6}}) {
        SCOPED_TRACE("kernel " + std::to_string(c.k) + " stride " + std::to_string(c.stride));
        backend::cpu::ConvGeometry g;
        g.batch = 16, g.in_channels = 4, g.out_channels = 8, g.groups = 2;
        g.win.in = {1, 12, 11}, g.win.out = {1, c.out_h, c.out_w}, g.win.kernel = {1, c.k, c.k},
        g.win.pad = {0, c.pad, c.pad}, g.win.stride = {1, c.stride, c.stride};
        Shape xs{16, 4, 12, 11}, ws{8, 2, c.k, c.k}, ys{16, 8, c.out_h, c.out_w};
        Tensor x = randn(xs, &gen), w = randn(ws, &gen), b = randn({8}, &gen);
        Tensor gy = randn(ys, &gen);
        test::expect_close(backend::cpu::conv_forward(x, w, b, g, ys),
                           backend::cpu::conv_forward_naive(x, w, b, g, ys), 1e-4, 1e-4, "forward");
        test::expect_close(backend::cpu::conv_backward_input(gy, w, g, xs),
                           backend::cpu::conv_backward_input_naive(gy, w, g, xs), 1e-4, 1e-4,
                           "input gradient");
        test::expect_close(backend::cpu::conv_backward_weight(x, gy, g, ws),
                           backend::cpu::conv_backward_weight_naive(x, gy, g, ws), 1e-4, 1e-3,
                           "weight gradient");
        test::expect_close(backend::cpu::conv_backward_bias(gy, g), sum(gy, {0, 2, 3}), 1e-5, 1e-4,
                           "bias gradient");
    }
}

TEST(Conv, SecondDerivatives) {
    // Gradient penalties differentiate the input and weight gradients again.
    Generator gen(33);
    Tensor x = uniform({2, 2, 4, 5}, -1, 1, &gen, kFloat64);
    Tensor w = uniform({4, 1, 2, 3}, -1, 1, &gen, kFloat64);
    Tensor b = uniform({4}, -1, 1, &gen, kFloat64);
    Tensor up = uniform({2, 4, 5, 3}, -1, 1, &gen, kFloat64);
    auto f = [&](const Inputs& in) {
        autograd::EnableGrad on;
        Tensor y = conv2d(in[0], in[1], in[2], {1, 2}, 1, 1, 2);
        std::vector<Tensor> g = autograd::grad({sum(mul(tanh(y), up))}, in, {}, false, true);
        return add(add(sum(mul(g[0], g[0])), sum(mul(g[1], g[1]))), sum(mul(g[2], g[2])));
    };
    autograd::GradCheckResult r = autograd::grad_check(f, {x, w, b});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Conv, PaddingArguments) {
    Tensor x = ones({1, 1, 4, 6}), w = ones({1, 1, 3, 2});
    EXPECT_EQ(conv2d(x, w, {}, 1, "same").shape(), (Shape{1, 1, 4, 6}));
    EXPECT_EQ(conv2d(x, w, {}, 1, "valid").shape(), (Shape{1, 1, 2, 5}));
    EXPECT_EQ(conv2d(x, w, {}, {2, 3}, {1, 0}).shape(), (Shape{1, 1, 2, 2}));
    EXPECT_EQ(conv1d(ones({2, 3, 10}), ones({4, 3, 3}), {}, 1, 0, 4).shape(), (Shape{2, 4, 2}));
    EXPECT_EQ(conv3d(ones({2, 5, 5, 5}), ones({3, 2, 2, 2, 2})).shape(), (Shape{3, 4, 4, 4}));
    // Windows of ones over ones count the taps that fall inside the input.
    EXPECT_EQ(conv2d(ones({1, 1, 2, 2}), ones({1, 1, 3, 3}), {}, 1, 1).to_vector<float>(),
              (std::vector<float>{4, 4, 4, 4}));
}

TEST(Conv, Errors) {
    Tensor x = zeros({2, 3, 8, 8}), w = zeros({4, 3, 3, 3});
    expect_error(
        [&] {
            conv2d(x, zeros({4, 2, 3, 3}));
        },
        "conv2d: input of shape (2, 3, 8, 8) has 3 channels, but weight of shape (4, 2, "
        "3, 3) with groups=1 expects 2");
    expect_error(
        [&] {
            conv2d(x, zeros({4, 1, 3, 3}), {}, 1, 0, 1, 2);
        },
        "conv2d: groups=2 does not divide the 3 input channels of the input of shape "
        "(2, 3, 8, 8)");
    expect_error(
        [&] {
            conv2d(zeros({1, 4, 5, 5}), zeros({3, 2, 1, 1}), {}, 1, 0, 1, 2);
        },
        "conv2d: groups=2 does not divide the 3 output channels of the weight of shape "
        "(3, 2, 1, 1)");
    expect_error(
        [&] {
            conv2d(zeros({1, 3, 2, 8}), w);
        },
        "conv2d: input of shape (1, 3, 2, 8) with padding 0 has spatial size (2, 8), "
        "smaller than the kernel (3, 3)");
    expect_error([&] { conv2d(zeros({1, 3, 2, 8}), w, {}, 1, 0, 2); }, "with dilation (2, 2)");
    expect_error(
        [&] {
            conv2d(zeros({3, 8}), w);
        },
        "conv2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape (3, 8)");
    expect_error([&] { conv1d(x, w); }, "conv1d: expected a 2-D (unbatched) or 3-D (batched)");
    expect_error(
        [&] {
            conv2d(x, zeros({4, 3, 3}));
        },
        "conv2d: weight must be 4-D (out_channels, in_channels / groups, kH, kW), got "
        "shape (4, 3, 3)");
    expect_error([&] { conv2d(x, w, zeros({3})); },
                 "conv2d: bias must have shape (4) for weight of shape (4, 3, 3, 3), got (3,)");
    expect_error([&] { conv2d(x, w, {}, 2, "same"); },
                 "conv2d: padding='same' needs stride 1, got stride 2");
    expect_error(
        [&] {
            conv2d(x, w, {}, {1, 2, 3});
        },
        "conv2d: stride needs 1 or 2 values, got (1, 2, 3)");
    expect_error([&] { conv2d(x, w, {}, 0); }, "conv2d: stride must be positive, got 0");
    expect_error([&] { conv2d(x, w, {}, 1, -1); }, "conv2d: padding must be non-negative");
    expect_error([&] { conv2d(x, w, {}, 1, 0, {1, 0}); }, "conv2d: dilation must be positive");
    expect_error([&] { conv2d(x, w, {}, 1, 0, 1, 0); }, "conv2d: groups must be positive, got 0");
    expect_error([&] { conv2d(x, w, {}, 1, "full"); }, "padding: unknown mode \"full\"");
    expect_error([&] { conv2d(x, w.to(kFloat64)); }, "conv2d: dtypes differ");
    expect_error(
        [&] {
            conv2d(zeros({1, 3, 8, 8}, kInt64), zeros({1, 3, 3, 3}, kInt64));
        },
        "conv2d: int64 tensors are not supported");
    expect_error([&] { conv3d(Tensor(), w); }, "conv3d: undefined tensor");
}

}  // namespace
}  // namespace soma
