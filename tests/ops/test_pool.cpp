// Pooling against the PyTorch fixtures, plus what fixtures cannot pin down: ties, NaN, -inf
// padding, second derivatives and errors.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/ops.h"
#include "soma/ops_conv.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

SpatialArg spatial(const json& a, const char* key) {
    if (!a.contains(key)) return {};
    const json& j = a.at(key);
    if (j.is_number_integer()) return j.get<std::int64_t>();
    return j.get<std::vector<std::int64_t>>();
}

template <Tensor (*Pool)(const Tensor&, const SpatialArg&, const SpatialArg&, const SpatialArg&,
                         const SpatialArg&)>
Tensor max_case(const Inputs& x, const json& a) {
    return Pool(x[0], spatial(a, "kernel_size"), spatial(a, "stride"), spatial(a, "padding"),
                spatial(a, "dilation"));
}

TEST(Pool, Fixtures) {
    test::run_op_group("pool", {{"max_pool1d", max_case<max_pool1d>},
                                {"max_pool2d", max_case<max_pool2d>},
                                {"max_pool3d", max_case<max_pool3d>},
                                {"avg_pool2d",
                                 [](const Inputs& x, const json& a) {
                                     return avg_pool2d(x[0], spatial(a, "kernel_size"),
                                                       spatial(a, "stride"), spatial(a, "padding"),
                                                       a.at("count_include_pad").get<bool>());
                                 }},
                                {"adaptive_avg_pool2d", [](const Inputs& x, const json& a) {
                                     return adaptive_avg_pool2d(x[0], spatial(a, "output_size"));
                                 }}});
}

TEST(Pool, MaxGradientGoesToTheFirstMaximumOnTies) {
    Tensor x = tensor({{1, 3, 3, 0}, {3, 2, 1, 3}}).reshape({1, 1, 2, 4}).requires_grad_();
    Tensor y = max_pool2d(x, 2);
    EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{3, 3}));
    y.backward(ones_like(y));
    EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 1, 1, 0, 0, 0, 0, 0}));
    // Overlapping windows that share a maximum add up there.
    Tensor z = tensor({0, 5, 1, 2}).reshape({1, 1, 4}).requires_grad_();
    sum(max_pool1d(z, 2, 1)).backward();
    EXPECT_EQ(z.grad().to_vector<float>(), (std::vector<float>{0, 2, 0, 1}));
}

TEST(Pool, MaxPaddingIsMinusInfinityAndNanWins) {
    Tensor x = full({1, 1, 2, 2}, -7.0);
    EXPECT_EQ(max_pool2d(x, 2, 1, 1).to_vector<float>(), std::vector<float>(9, -7.0f));
    Tensor n = tensor({1, NAN, 2, 0}).reshape({1, 4});
    std::vector<float> y = max_pool1d(n, 2).to_vector<float>();
    EXPECT_TRUE(std::isnan(y[0]));
    EXPECT_EQ(y[1], 2.0f);
    // The gradient goes to the last NaN of a window, with and without padding.
    for (std::int64_t pad : {0, 1}) {
        Tensor z = tensor({NAN, 1, 3, NAN, NAN, 2}).reshape({1, 6}).requires_grad_();
        sum(max_pool1d(z, 3, 3, pad)).backward();
        EXPECT_EQ(z.grad().to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0}))
            << "padding " << pad;
    }
}

TEST(Pool, AvgCountIncludePad) {
    Tensor x = ones({1, 1, 3, 3});
    // Corner window of a 3x3 kernel with padding 1 covers 4 inputs and 5 zeros.
    EXPECT_FLOAT_EQ(avg_pool2d(x, 3, 2, 1).to_vector<float>()[0], 4.0f / 9.0f);
    EXPECT_FLOAT_EQ(avg_pool2d(x, 3, 2, 1, false).to_vector<float>()[0], 1.0f);
}

TEST(Pool, LargeInputsUseEveryThreadAlike) {
    // Above the parallel grain: the result must not depend on how planes are split.
    Generator gen(41);
    Tensor x = randn({8, 16, 32, 32}, &gen, kFloat64).requires_grad_();
    Tensor y = max_pool2d(x, 2);
    Tensor a = adaptive_avg_pool2d(x, 1);
    EXPECT_TRUE(allclose(a.reshape({8, 16}), mean(x.detach(), {2, 3}), 1e-12, 1e-14));
    EXPECT_TRUE(
        allclose(avg_pool2d(x, 32).reshape({8, 16}), mean(x.detach(), {2, 3}), 1e-12, 1e-14));
    sum(y).backward();
    EXPECT_DOUBLE_EQ(sum(x.grad()).item(), 8.0 * 16 * 16 * 16);
    EXPECT_DOUBLE_EQ(max(x.grad()).item(), 1.0);
}

TEST(Pool, SecondDerivatives) {
    Generator gen(42);
    Tensor x = uniform({1, 2, 5, 4}, -1, 1, &gen, kFloat64);
    Tensor up = uniform({1, 2, 5, 4}, -1, 1, &gen, kFloat64);
    auto through = [&](auto pool) {
        return [&, pool](const Inputs& in) {
            autograd::EnableGrad on;
            Tensor y = pool(in[0]);
            Tensor g = autograd::grad({sum(mul(y, y))}, in, {}, false, true)[0];
            return sum(mul(g, up));
        };
    };
    auto check = [&](const char* name, auto pool) {
        autograd::GradCheckResult r = autograd::grad_check(through(pool), {x});
        EXPECT_TRUE(r.ok) << name << ": " << r.message;
    };
    check("max_pool2d", [](const Tensor& t) { return max_pool2d(t, 2, 1, 1); });
    check("avg_pool2d", [](const Tensor& t) { return avg_pool2d(t, 3, 2, 1, false); });
    check("adaptive_avg_pool2d", [](const Tensor& t) { return adaptive_avg_pool2d(t, {3, 2}); });
}

TEST(Pool, Errors) {
    Tensor x = zeros({2, 3, 8, 8});
    expect_error(
        [&] {
            max_pool2d(zeros({8, 8}), 2);
        },
        "max_pool2d: expected a 3-D (unbatched) or 4-D (batched) input, got shape (8, 8)");
    expect_error([&] { max_pool1d(x, 2); }, "max_pool1d: expected a 2-D (unbatched) or 3-D");
    expect_error(
        [&] {
            max_pool3d(zeros({3, 8, 8}), 2);
        },
        "max_pool3d: expected a 4-D (unbatched) or 5-D");
    expect_error([&] { max_pool2d(x, 3, 1, 2); },
                 "max_pool2d: padding 2 must be at most half the kernel size 3");
    expect_error(
        [&] {
            max_pool2d(zeros({1, 1, 2, 8}), 3);
        },
        "max_pool2d: input of shape (1, 1, 2, 8) with padding 0 is smaller than the "
        "kernel (3, 3)");
    expect_error(
        [&] {
            max_pool2d(x, {2, 2, 2});
        },
        "max_pool2d: kernel_size needs 1 or 2 values, got (2, 2, 2)");
    expect_error([&] { max_pool2d(x, 2, 0); }, "max_pool2d: stride must be positive, got 0");
    expect_error([&] { max_pool2d(x, 0); }, "max_pool2d: kernel_size must be positive");
    expect_error([&] { avg_pool2d(x, 2, {}, -1); }, "avg_pool2d: padding must be non-negative");
    expect_error([&] { avg_pool2d(x, 9); }, "avg_pool2d: input of shape (2, 3, 8, 8)");
    expect_error([&] { adaptive_avg_pool2d(x, 0); },
                 "adaptive_avg_pool2d: output_size must be positive, got 0");
    expect_error([&] { adaptive_avg_pool2d(zeros({1, 0, 3}), 2); }, "empty spatial dimension");
    expect_error(
        [&] {
            max_pool2d(zeros({1, 1, 4, 4}, kInt64), 2);
        },
        "max_pool2d: int64 tensors are not supported");
    expect_error([&] { avg_pool2d(Tensor(), 2); }, "avg_pool2d: undefined tensor");
}

}  // namespace
}  // namespace soma
