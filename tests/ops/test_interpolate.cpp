// interpolate against the PyTorch fixtures (nearest, linear, bilinear, trilinear; size and
// scale_factor; align_corners), values small enough to check by hand, second derivatives and
// errors.

#include <gtest/gtest.h>

#include "soma/ops.h"
#include "soma/ops_conv.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

InterpolateOptions options(const json& a) {
    InterpolateOptions o;
    o.mode = a.at("mode").get<std::string>();
    if (a.contains("size")) {
        const json& s = a["size"];
        o.size = s.is_number_integer() ? SpatialArg(s.get<std::int64_t>())
                                       : SpatialArg(s.get<std::vector<std::int64_t>>());
    }
    if (a.contains("scale_factor")) {
        const json& f = a["scale_factor"];
        o.scale_factor =
            f.is_number() ? std::vector<double>{f.get<double>()} : f.get<std::vector<double>>();
    }
    if (a.contains("align_corners")) o.align_corners = a["align_corners"].get<bool>();
    return o;
}

TEST(Interpolate, Fixtures) {
    test::run_op_group("interpolate", {{"interpolate", [](const Inputs& x, const json& a) {
                                            return interpolate(x[0], options(a));
                                        }}});
}

TEST(Interpolate, ValuesByHand) {
    Tensor x = from_vector(std::vector<float>{1, 2, 3, 4}, {1, 1, 2, 2});
    EXPECT_EQ(interpolate(x, {.scale_factor = {2}}).to_vector<float>(),
              (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
    // align_corners: the ends stay put and the rest is evenly spaced.
    Tensor line = from_vector(std::vector<float>{0, 1}, {1, 1, 2});
    EXPECT_EQ(
        interpolate(line, {.size = 5, .mode = "linear", .align_corners = true}).to_vector<float>(),
        (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1}));
    // Without: pixel centres at (o + 0.5) / 2 - 0.5, clamped at the edges.
    EXPECT_EQ(interpolate(line, {.scale_factor = {2}, .mode = "linear"}).to_vector<float>(),
              (std::vector<float>{0, 0.25f, 0.75f, 1}));
    Tensor y = interpolate(x, {.size = {3, 3}, .mode = "bilinear", .align_corners = true});
    EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4}));
    // The same size gives the input back, in every mode.
    Generator gen(51);
    Tensor r = randn({2, 3, 4, 5}, &gen);
    EXPECT_TRUE(allclose(interpolate(r, {.size = {4, 5}}), r, 0, 0));
    EXPECT_TRUE(allclose(interpolate(r, {.scale_factor = {1}, .mode = "bilinear"}), r, 0, 0));
    EXPECT_EQ(interpolate(randn({2, 3, 2, 3, 4}, &gen), {.scale_factor = {2, 1, 0.5}}).shape(),
              (Shape{2, 3, 4, 3, 2}));
}

TEST(Interpolate, NearestIndexLikePyTorch) {
    // PyTorch 1.13's forward rounds o * scale to float before the floor, with scale and product
    // in the input's precision: for 26 -> 22, output 11 reads input 12 in float32 (11 *
    // float(26 / 22) = 12.999999) and input 13 in float64 (13.000000000000002 rounds to 13).
    Tensor x = arange(0, 26).reshape({1, 1, 26});
    EXPECT_EQ(interpolate(x, {.size = 22}).to_vector<float>()[11], 12.0f);
    EXPECT_EQ(interpolate(x.to(kFloat64), {.size = 22}).to_vector<double>()[11], 13.0);
    // A doubling by scale_factor 2.05 is not a plain o / 2: output 2 reads input 0.
    Tensor ten = arange(0, 10).reshape({1, 1, 10});
    EXPECT_EQ(interpolate(ten, {.scale_factor = {2.05}}).to_vector<float>()[2], 0.0f);
}

TEST(Interpolate, SecondDerivatives) {
    Generator gen(52);
    Tensor x = uniform({1, 2, 3, 3}, -1, 1, &gen, kFloat64);
    Tensor up = uniform({1, 2, 5, 4}, -1, 1, &gen, kFloat64);
    auto f = [&](const Inputs& in) {
        autograd::EnableGrad on;
        Tensor y = interpolate(in[0], {.size = {5, 4}, .mode = "bilinear"});
        std::vector<Tensor> g = autograd::grad({sum(mul(tanh(y), up))}, in, {}, false, true);
        return sum(mul(g[0], g[0]));
    };
    autograd::GradCheckResult r = autograd::grad_check(f, {x});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Interpolate, Errors) {
    Tensor x = zeros({1, 2, 3, 3});
    expect_error([&] { interpolate(x, {}); }, "interpolate: give size or scale_factor");
    expect_error([&] { interpolate(x, {.size = 4, .scale_factor = {2}}); },
                 "interpolate: give either size or scale_factor, not both");
    expect_error([&] { interpolate(x, {.size = 4, .mode = "bicubic"}); },
                 "interpolate: unknown mode 'bicubic' (use 'nearest', 'linear', 'bilinear' or "
                 "'trilinear')");
    expect_error([&] { interpolate(x, {.size = 4, .mode = "linear"}); },
                 "interpolate: mode 'linear' needs a 3-D (N, C, L) input, got shape (1, 2, 3, 3)");
    expect_error(
        [&] {
            interpolate(zeros({2, 3, 3}), {.size = 4, .mode = "bilinear"});
        },
        "interpolate: mode 'bilinear' needs a 4-D (N, C, H, W) input, got shape (2, 3, 3)");
    expect_error(
        [&] {
            interpolate(zeros({3, 3}), {.size = 4});
        },
        "interpolate: mode 'nearest' needs a 3-D (N, C, L), 4-D (N, C, H, W) or 5-D (N, "
        "C, D, H, W) input, got shape (3, 3)");
    expect_error([&] { interpolate(x, {.size = 4, .align_corners = false}); },
                 "interpolate: align_corners applies only to the linear modes");
    expect_error(
        [&] {
            interpolate(x, {.size = {4, 5, 6}});
        },
        "interpolate: size needs 1 or 2 values, got (4, 5, 6)");
    expect_error(
        [&] {
            interpolate(x, {.size = {4, 0}});
        },
        "interpolate: size must be positive, got (4, 0)");
    expect_error(
        [&] {
            interpolate(x, {.scale_factor = {2, 2, 2}});
        },
        "interpolate: scale_factor needs 1 or 2 values for input of shape (1, 2, 3, 3), "
        "got 3");
    expect_error([&] { interpolate(x, {.scale_factor = {-2}}); },
                 "interpolate: scale_factor must be positive and finite, got -2");
    expect_error(
        [&] {
            interpolate(x, {.scale_factor = {1, 0.2}});
        },
        "interpolate: input of shape (1, 2, 3, 3) with scale_factor (1, 0.2) gives output "
        "size (3, 0); every size must be positive");
    expect_error(
        [&] {
            interpolate(zeros({1, 2, 0, 3}), {.size = 2});
        },
        "interpolate: input of shape (1, 2, 0, 3) has an empty spatial dimension");
    expect_error(
        [&] {
            interpolate(zeros({1, 1, 2}, kInt64), {.size = 2});
        },
        "interpolate: int64 tensors are not supported");
    expect_error([&] { interpolate(Tensor(), {.size = 2}); }, "interpolate: undefined tensor");
}

}  // namespace
}  // namespace soma
