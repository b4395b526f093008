// conv_transpose1d/2d/3d against the PyTorch fixtures and against the naive direct loops on
// random shapes, the adjoint identity with conv, second derivatives, output sizes and errors.

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
using ConvTransposeFn = Tensor (*)(const Tensor&, const Tensor&, const Tensor&, const SpatialArg&,
                                   const SpatialArg&, const SpatialArg&, std::int64_t,
                                   const SpatialArg&);

SpatialArg spatial(const json& j) {
    if (j.is_number_integer()) return j.get<std::int64_t>();
    return j.get<std::vector<std::int64_t>>();
}

template <ConvTransposeFn Op>
Tensor conv_transpose_case(const Inputs& x, const json& a) {
    return Op(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), spatial(a.at("stride")),
              spatial(a.at("padding")), spatial(a.at("output_padding")),
              a.at("groups").get<std::int64_t>(), spatial(a.at("dilation")));
}

TEST(ConvTranspose, Fixtures) {
    test::run_op_group("conv_transpose",
                       {{"conv_transpose1d", conv_transpose_case<conv_transpose1d>},
                        {"conv_transpose2d", conv_transpose_case<conv_transpose2d>},
                        {"conv_transpose3d", conv_transpose_case<conv_transpose3d>}});
}

// A random transposed convolution with nd spatial dims: the op's arguments, and the geometry
// of the convolution it transposes (what the kernels take).
struct RandomConvTranspose {
    backend::cpu::ConvGeometry g;
    Shape x_shape, w_shape, y_shape;
    std::vector<std::int64_t> stride, padding, output_padding, dilation;
};

RandomConvTranspose random_conv_transpose(Generator& gen, int nd) {
    auto pick = [&](std::int64_t lo, std::int64_t hi) { return gen.randint(lo, hi + 1); };
    RandomConvTranspose r;
    backend::cpu::ConvGeometry& g = r.g;
    g.groups = pick(1, 3);
    g.batch = pick(1, 3);
    const std::int64_t C = g.groups * pick(1, 3), OC = g.groups * pick(1, 3);
    g.out_channels = C;  // the convolution maps the transposed op's output back to x
    g.in_channels = OC;
    r.x_shape = {g.batch, C};
    r.w_shape = {C, OC / g.groups};
    r.y_shape = {g.batch, OC};
    for (int d = 3 - nd; d < 3; ++d) {
        backend::cpu::Window& w = g.win;
        w.kernel[d] = pick(1, 4);
        w.stride[d] = pick(1, 3);
        w.dilation[d] = pick(1, 2);
        w.pad[d] = pick(0, 2);
        const std::int64_t reach = w.dilation[d] * (w.kernel[d] - 1) + 1;
        const std::int64_t limit = std::max(w.stride[d], w.dilation[d]) - 1;
        const std::int64_t out_pad = pick(0, limit);
        // The smallest input whose output is positive, plus a few.
        std::int64_t in = 1;
        while ((in - 1) * w.stride[d] - 2 * w.pad[d] + reach + out_pad < 1) ++in;
        in += pick(0, 4);
        const std::int64_t out = (in - 1) * w.stride[d] - 2 * w.pad[d] + reach + out_pad;
        w.out[d] = in;
        w.in[d] = out;
        r.x_shape.push_back(in);
        r.w_shape.push_back(w.kernel[d]);
        r.y_shape.push_back(out);
        r.stride.push_back(w.stride[d]);
        r.padding.push_back(w.pad[d]);
        r.output_padding.push_back(out_pad);
        r.dilation.push_back(w.dilation[d]);
    }
    return r;
}

TEST(ConvTranspose, MatchesNaiveOnRandomShapes) {
    // The op (argument handling, geometry and the GEMM + col2im kernel) against the transposed
    // convolution written from its definition.
    Generator gen(41);
    const ConvTransposeFn ops[] = {conv_transpose1d, conv_transpose2d, conv_transpose3d};
    for (int trial = 0; trial < 120; ++trial) {
        const int nd = 1 + trial % 3;
        const DType dtype = trial % 2 ? kFloat32 : kFloat64;
        const double tol = dtype == kFloat32 ? 1e-4 : 1e-12;
        RandomConvTranspose r = random_conv_transpose(gen, nd);
        Tensor x = randn(r.x_shape, &gen, dtype), w = randn(r.w_shape, &gen, dtype);
        Tensor b = trial % 3 ? randn({r.y_shape[1]}, &gen, dtype) : Tensor();
        std::string what =
            "trial " + std::to_string(trial) + ": x " + r.x_shape.str() + ", w " + r.w_shape.str() +
            ", groups " + std::to_string(r.g.groups) + ", stride " + SpatialArg(r.stride).str() +
            ", padding " + SpatialArg(r.padding).str() + ", output_padding " +
            SpatialArg(r.output_padding).str() + ", dilation " + SpatialArg(r.dilation).str();
        Tensor expected = backend::cpu::conv_transpose_forward_naive(x, w, b, r.g, r.y_shape);
        test::expect_close(backend::cpu::conv_transpose_forward(x, w, b, r.g, r.y_shape), expected,
                           tol, tol, what + " kernel");
        test::expect_close(
            ops[nd - 1](x, w, b, r.stride, r.padding, r.output_padding, r.g.groups, r.dilation),
            expected, tol, tol, what + " op");
    }
}

TEST(ConvTranspose, IsTheAdjointOfConv) {
    // <conv_transpose(x, w), h> = <x, conv(h, w)> for the same stride, padding, dilation and
    // groups: the defining property, independent of both implementations.
    Generator gen(42);
    Tensor x = randn({2, 4, 3, 4}, &gen, kFloat64), w = randn({4, 3, 3, 2}, &gen, kFloat64);
    Tensor y = conv_transpose2d(x, w, {}, {2, 3}, {1, 0}, {1, 2}, 2, {1, 2});
    ASSERT_EQ(y.shape(), (Shape{2, 6, 6, 14}));
    Tensor h = randn(y.shape(), &gen, kFloat64);
    Tensor back = conv2d(h, w, {}, {2, 3}, {1, 0}, {1, 2}, 2);
    ASSERT_EQ(back.shape(), x.shape());
    EXPECT_NEAR(sum(mul(y, h)).item(), sum(mul(x, back)).item(), 1e-9);
}

TEST(ConvTranspose, SecondDerivatives) {
    // Gradient penalties through a decoder differentiate the gradients again.
    Generator gen(43);
    Tensor x = uniform({2, 2, 3, 2}, -1, 1, &gen, kFloat64);
    Tensor w = uniform({2, 2, 2, 3}, -1, 1, &gen, kFloat64);
    Tensor b = uniform({4}, -1, 1, &gen, kFloat64);
    Tensor up = uniform({2, 4, 7, 3}, -1, 1, &gen, kFloat64);
    auto f = [&](const Inputs& in) {
        autograd::EnableGrad on;
        Tensor y = conv_transpose2d(in[0], in[1], in[2], 2, {0, 1}, {1, 0}, 2);
        std::vector<Tensor> g = autograd::grad({sum(mul(tanh(y), up))}, in, {}, false, true);
        return add(add(sum(mul(g[0], g[0])), sum(mul(g[1], g[1]))), sum(mul(g[2], g[2])));
    };
    autograd::GradCheckResult r = autograd::grad_check(f, {x, w, b});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(ConvTranspose, OutputSizes) {
    // The common decoder steps: kernel 4, stride 2, padding 1 doubles; so does kernel 3 with
    // output_padding 1.
    EXPECT_EQ(conv_transpose2d(ones({2, 8, 7, 7}), ones({8, 4, 4, 4}), {}, 2, 1).shape(),
              (Shape{2, 4, 14, 14}));
    EXPECT_EQ(conv_transpose2d(ones({2, 8, 7, 7}), ones({8, 4, 3, 3}), {}, 2, 1, 1).shape(),
              (Shape{2, 4, 14, 14}));
    EXPECT_EQ(conv_transpose1d(ones({3, 5}), ones({3, 2, 3})).shape(), (Shape{2, 7}));
    EXPECT_EQ(conv_transpose3d(ones({1, 2, 2, 2, 2}), ones({2, 3, 2, 2, 2}), {}, 2).shape(),
              (Shape{1, 3, 4, 4, 4}));
    // Each input spreads its kernel over the output: ones over ones count the overlaps.
    EXPECT_EQ(
        conv_transpose1d(ones({1, 1, 3}), ones({1, 1, 2}), full({1}, 0.5f)).to_vector<float>(),
        (std::vector<float>{1.5f, 2.5f, 2.5f, 1.5f}));
    // Output padding adds positions that no input reaches: only the bias.
    EXPECT_EQ(conv_transpose1d(ones({1, 1, 2}), ones({1, 1, 1}), full({1}, 0.5f), 2, 0, 1)
                  .to_vector<float>(),
              (std::vector<float>{1.5f, 0.5f, 1.5f, 0.5f}));
}

TEST(ConvTranspose, Errors) {
    Tensor x = zeros({2, 3, 4, 4}), w = zeros({3, 2, 3, 3});
    expect_error(
        [&] {
            conv_transpose2d(x, zeros({4, 2, 3, 3}));
        },
        "conv_transpose2d: input of shape (2, 3, 4, 4) has 3 channels, but weight of shape (4, "
        "2, 3, 3) expects 4 (its first dimension)");
    expect_error(
        [&] { conv_transpose2d(x, w, {}, 1, 0, 0, 2); },
        "conv_transpose2d: groups=2 does not divide the 3 input channels of the input of shape "
        "(2, 3, 4, 4)");
    expect_error([&] { conv_transpose2d(x, w, {}, 1, 0, 0, 0); },
                 "conv_transpose2d: groups must be positive, got 0");
    expect_error(
        [&] {
            conv_transpose2d(x, w, {}, 2, 0, {1, 2});
        },
        "conv_transpose2d: output_padding (1, 2) must be smaller than the stride (2, 2) or the "
        "dilation (1, 1) in every dimension");
    expect_error(
        [&] {
            conv_transpose1d(zeros({1, 3, 4}), zeros({3, 2, 3}), {}, 1, 0, 1);
        },
        "conv_transpose1d: output_padding (1) must be smaller than the stride (1)");
    expect_error(
        [&] {
            conv_transpose2d(zeros({1, 3, 1, 1}), w, {}, 1, 2);
        },
        "conv_transpose2d: input of shape (1, 3, 1, 1) with kernel (3, 3), stride (1, 1), "
        "padding (2, 2), output_padding (0, 0) and dilation (1, 1) gives output size (-1, -1); "
        "every size must be positive");
    expect_error([&] { conv_transpose2d(x, w, zeros({3})); },
                 "conv_transpose2d: bias must have shape (2) for weight of shape (3, 2, 3, 3) "
                 "with groups=1, got (3,)");
    expect_error(
        [&] {
            conv_transpose2d(x, zeros({3, 2, 3}));
        },
        "conv_transpose2d: weight must be 4-D (in_channels, out_channels / groups, kH, kW), got "
        "shape (3, 2, 3)");
    expect_error(
        [&] {
            conv_transpose2d(zeros({3, 8}), w);
        },
        "conv_transpose2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape (3, 8)");
    expect_error([&] { conv_transpose2d(x, w, {}, 0); },
                 "conv_transpose2d: stride must be positive, got 0");
    expect_error([&] { conv_transpose2d(x, w, {}, 1, -1); },
                 "conv_transpose2d: padding must be non-negative, got -1");
    expect_error([&] { conv_transpose2d(x, w, {}, 1, 0, -1); },
                 "conv_transpose2d: output_padding must be non-negative, got -1");
    expect_error(
        [&] {
            conv_transpose2d(x, w, {}, 1, 0, 0, 1, {1, 0});
        },
        "conv_transpose2d: dilation must be positive, got (1, 0)");
    expect_error(
        [&] {
            conv_transpose3d(zeros({3, 4}), w);
        },
        "conv_transpose3d: expected a 4-D (unbatched) or 5-D (batched)");
    expect_error(
        [&] {
            conv_transpose2d(x, w, {}, {1, 2, 3});
        },
        "conv_transpose2d: stride needs 1 or 2 values, got (1, 2, 3)");
    expect_error([&] { conv_transpose2d(x, w.to(kFloat64)); }, "conv_transpose2d: dtypes differ");
    expect_error(
        [&] {
            conv_transpose2d(zeros({1, 3, 2, 2}, kInt64), zeros({3, 1, 1, 1}, kInt64));
        },
        "conv_transpose2d: int64 tensors are not supported");
    expect_error([&] { conv_transpose1d(Tensor(), w); }, "conv_transpose1d: undefined tensor");
}

}  // namespace
}  // namespace soma
