// Element-wise functions and activations against the PyTorch fixtures, plus their errors.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

template <Tensor (*F)(const Tensor&)>
Tensor unary(const Inputs& x, const json&) {
    return F(x[0]);
}

std::optional<double> opt(const json& a, const char* key) {
    return a.contains(key) ? std::optional<double>(a[key].get<double>()) : std::nullopt;
}

TEST(Unary, Fixtures) {
    test::run_op_group(
        "unary",
        {
            {"exp", unary<exp>},
            {"log", unary<log>},
            {"sqrt", unary<sqrt>},
            {"abs", unary<abs>},
            {"sign", unary<sign>},
            {"sigmoid", unary<sigmoid>},
            {"tanh", unary<tanh>},
            {"relu", unary<relu>},
            {"step", unary<step>},
            {"leaky_relu",
             [](const Inputs& x, const json& a) {
                 return a.contains("negative_slope") ? leaky_relu(x[0], a["negative_slope"])
                                                     : leaky_relu(x[0]);
             }},
            {"heaviside",
             [](const Inputs& x, const json& a) { return heaviside(x[0], a.at("at_zero")); }},
            {"clamp", [](const Inputs& x,
                         const json& a) { return clamp(x[0], opt(a, "min"), opt(a, "max")); }},
        });
}

TEST(Unary, NoGradientOps) {
    // sign, heaviside and step have zero gradient: they record nothing.
    Tensor x = tensor({-1, 0, 2}).requires_grad_();
    EXPECT_FALSE(sign(x).requires_grad());
    EXPECT_FALSE(heaviside(x, 0.5).requires_grad());
    EXPECT_FALSE(step(x).requires_grad());
    EXPECT_EQ(step(x).to_vector(), (std::vector<float>{0, 1, 1}));
}

TEST(Unary, KinksFollowPyTorch) {
    // At the kink PyTorch picks 0 for relu and abs, and lets clamp's gradient through at the
    // bounds.
    Tensor x = tensor({0.0, 0.0, 1.0}, kFloat64).requires_grad_();
    sum(relu(x) + abs(x) + clamp(x, 0.0, 1.0)).backward();
    EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1, 3}));
}

TEST(Unary, Float32SigmoidStaysFinite) {
    Tensor y = sigmoid(tensor({-1000, 1000}));
    EXPECT_EQ(y.to_vector(), (std::vector<float>{0, 1}));
    Tensor t = tanh(tensor({-1000, 1000}));
    EXPECT_EQ(t.to_vector(), (std::vector<float>{-1, 1}));
}

TEST(Unary, Errors) {
    Tensor idx = zeros({3}, kInt64);
    expect_error([&] { exp(idx); }, "exp: int64 tensors are not supported");
    expect_error([&] { relu(idx); }, "relu: int64");
    expect_error([&] { sigmoid(Tensor()); }, "sigmoid: undefined tensor");
    expect_error([&] { clamp(Tensor(), 0.0, 1.0); }, "clamp: undefined tensor");
    expect_error([&] { clamp(zeros({2}), 1.0, -1.0); }, "clamp: min 1 is greater than max -1");
}

}  // namespace
}  // namespace soma
