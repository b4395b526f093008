// nn::init: gains, fans, distributions (bounds and moments on large tensors), determinism.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/nn/init.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
namespace init = nn::init;
using init::FanMode;
using init::Nonlinearity;

double std_of(const Tensor& t) { return std::sqrt(var(t).item()); }
double max_abs(const Tensor& t) { return max(abs(t)).item(); }

TEST(Init, GainsLikePyTorch) {
    EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::Linear), 1.0);
    EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::Sigmoid), 1.0);
    EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::Tanh), 5.0 / 3.0);
    EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::ReLU), std::sqrt(2.0));
    EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::LeakyReLU), std::sqrt(2.0 / 1.0001));
    EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::LeakyReLU, 0.2), std::sqrt(2.0 / 1.04));
    EXPECT_DOUBLE_EQ(init::calculate_gain(Nonlinearity::LeakyReLU, 0.0), std::sqrt(2.0));
}

TEST(Init, Fans) {
    EXPECT_EQ(init::calculate_fan_in_and_fan_out(zeros({10, 784})),
              (std::pair<std::int64_t, std::int64_t>{784, 10}));
    // Convolution weights (out, in, kh, kw): the kernel multiplies both fans.
    EXPECT_EQ(init::calculate_fan_in_and_fan_out(zeros({16, 3, 5, 5})),
              (std::pair<std::int64_t, std::int64_t>{75, 400}));
    test::expect_error([] { init::xavier_uniform_(zeros({5})); }, "needs at least 2 dimensions");
}

TEST(Init, SimpleFills) {
    Tensor t = zeros({3, 4}, kFloat64).requires_grad_();
    // In place on a parameter that requires grad, with grad mode on, recording nothing.
    init::constant_(t, 2.5);
    EXPECT_TRUE(allclose(t, full({3, 4}, 2.5, kFloat64)));
    EXPECT_TRUE(t.is_leaf() && t.requires_grad());
    init::ones_(t);
    EXPECT_EQ(sum(t).item(), 12.0);
    init::zeros_(t);
    EXPECT_EQ(sum(t).item(), 0.0);
    test::expect_error([] { init::zeros_(zeros({2}, kInt64)); }, "constant_: needs a floating");
}

TEST(Init, UniformAndNormal) {
    Generator g(1);
    Tensor t = Tensor::empty({200, 500});
    init::uniform_(t, -3, 1, &g);
    EXPECT_GE(min(t).item(), -3.0);
    EXPECT_LT(max(t).item(), 1.0);
    EXPECT_NEAR(mean(t).item(), -1.0, 0.02);
    EXPECT_NEAR(std_of(t), 4 / std::sqrt(12.0), 0.01);
    init::normal_(t, 2, 0.5, &g);
    EXPECT_NEAR(mean(t).item(), 2.0, 0.01);
    EXPECT_NEAR(std_of(t), 0.5, 0.005);
    // Same generator state, same numbers.
    Generator a(9), b(9);
    EXPECT_TRUE(allclose(init::normal_(zeros({5, 5}), 0, 1, &a),
                         init::normal_(zeros({5, 5}), 0, 1, &b), 0, 0));
}

TEST(Init, Xavier) {
    Generator g(2);
    Tensor w = Tensor::empty({300, 500});
    const double gain = 5.0 / 3.0, bound = gain * std::sqrt(6.0 / 800.0);
    init::xavier_uniform_(w, gain, &g);
    EXPECT_LE(max_abs(w), bound);
    EXPECT_GE(max_abs(w), bound * 0.99);
    EXPECT_NEAR(std_of(w), gain * std::sqrt(2.0 / 800.0), 0.002);
    init::xavier_normal_(w, 1.0, &g);
    EXPECT_NEAR(mean(w).item(), 0.0, 0.001);
    EXPECT_NEAR(std_of(w), std::sqrt(2.0 / 800.0), 0.001);
}

TEST(Init, Kaiming) {
    Generator g(3);
    Tensor w = Tensor::empty({250, 400}, kFloat64);
    // Defaults: fan_in, leaky_relu with a = 0 -> gain sqrt(2).
    init::kaiming_uniform_(w, {.gen = &g});
    const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 400.0);
    EXPECT_LE(max_abs(w), bound);
    EXPECT_GE(max_abs(w), bound * 0.99);
    // Linear's default: a = sqrt(5) gives bound 1/sqrt(fan_in).
    init::kaiming_uniform_(w, {.a = std::sqrt(5.0), .gen = &g});
    EXPECT_LE(max_abs(w), 1 / std::sqrt(400.0) * (1 + 1e-12));
    EXPECT_GE(max_abs(w), 1 / std::sqrt(400.0) * 0.99);
    init::kaiming_normal_(w,
                          {.mode = FanMode::FanOut, .nonlinearity = Nonlinearity::ReLU, .gen = &g});
    EXPECT_NEAR(std_of(w), std::sqrt(2.0 / 250.0), 0.001);
    init::kaiming_normal_(w, {.nonlinearity = Nonlinearity::Tanh, .gen = &g});
    EXPECT_NEAR(std_of(w), 5.0 / 3.0 / 20.0, 0.001);
    EXPECT_NO_THROW(init::kaiming_uniform_(Tensor::empty({0, 3})));
}

}  // namespace
