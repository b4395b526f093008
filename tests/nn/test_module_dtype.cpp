// Module::to(DType), to_double(), to_float(): a model converted to float64 computes what the
// float32 one did, its gradients pass a float64 check, and an optimizer trains it.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/nn/norm.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using nn::Linear;
using nn::Sequential;
using test::expect_close;
using test::expect_error;

// 3 -> 8 -> 2 with tanh, seeded.
Sequential small_mlp() {
    manual_seed(0);
    return Sequential{std::make_shared<Linear>(nn::LinearOptions{.in = 3, .out = 8}),
                      std::make_shared<nn::Tanh>(),
                      std::make_shared<Linear>(nn::LinearOptions{.in = 8, .out = 2})};
}

TEST(ModuleDType, Float64ModelGivesTheFloat32OutputsAndConvertsBackExactly) {
    Sequential mlp = small_mlp();
    const Tensor x = randn({5, 3});
    const Tensor y32 = mlp(x).detach();
    const Tensor w = mlp.parameters()[0];  // a handle held outside the model
    const std::vector<float> w32 = w.to_vector<float>();
    sum(mlp(x)).backward();
    ASSERT_TRUE(w.grad().defined());

    EXPECT_EQ(&mlp.to_double(), &mlp);
    for (const auto& [name, p] : mlp.named_parameters()) {
        EXPECT_EQ(p.dtype(), kFloat64) << name;
        EXPECT_TRUE(p.requires_grad()) << name;
        EXPECT_TRUE(p.is_leaf()) << name;
        EXPECT_FALSE(p.grad().defined()) << name << ": a float32 gradient survived";
    }
    EXPECT_EQ(w.dtype(), kFloat64);  // the outside handle sees the conversion
    for (const auto& [name, t] : mlp.state_dict().items()) EXPECT_EQ(t.dtype(), kFloat64) << name;

    const Tensor y64 = mlp(x.to(kFloat64));
    EXPECT_EQ(y64.dtype(), kFloat64);
    expect_close(y64, y32.to(kFloat64), 1e-5, 1e-6, "float64 model vs float32 model");

    // float32 -> float64 -> float32 is exact, so the round trip restores the same model.
    mlp.to_float();
    EXPECT_EQ(w.dtype(), kFloat32);
    EXPECT_EQ(w.to_vector<float>(), w32);
    EXPECT_EQ(mlp(x).to_vector<float>(), y32.to_vector<float>());
}

TEST(ModuleDType, Float64ModelPassesGradientChecks) {
    Sequential mlp = small_mlp();
    mlp.to(kFloat64);
    const Tensor x = randn({4, 3}, nullptr, kFloat64);

    // With respect to the input, through autograd::grad_check.
    autograd::GradCheckResult r =
        autograd::grad_check([&](const std::vector<Tensor>& in) { return mlp(in[0]); }, {x});
    EXPECT_TRUE(r.ok) << r.message;

    // With respect to every weight of the first layer, by central differences on the
    // parameter itself: float64 leaves room for eps = 1e-6 and a 1e-7 tolerance.
    auto loss = [&] { return sum(mlp(x) * mlp(x)); };
    Tensor w = mlp.parameters()[0];
    loss().backward();
    const std::vector<double> analytic = w.grad().to_vector<double>();
    ASSERT_EQ(analytic.size(), 24u);
    const double eps = 1e-6;
    NoGrad no_grad;
    double* data = w.data<double>();
    for (std::size_t i = 0; i < analytic.size(); ++i) {
        const double saved = data[i];
        data[i] = saved + eps;
        const double up = loss().item();
        data[i] = saved - eps;
        const double down = loss().item();
        data[i] = saved;
        EXPECT_NEAR(analytic[i], (up - down) / (2 * eps), 1e-7) << "weight " << i;
    }
}

TEST(ModuleDType, BuffersFollowAndTiedWeightsStayTied) {
    auto fc = std::make_shared<Linear>(nn::LinearOptions{.in = 4, .out = 4});
    auto bn = std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions{.num_features = 4});
    Sequential model{fc, bn, std::make_shared<nn::Tanh>(), fc};
    model.to_double();

    EXPECT_EQ(bn->running_mean.dtype(), kFloat64);
    EXPECT_EQ(bn->running_var.dtype(), kFloat64);
    EXPECT_EQ(bn->num_batches_tracked.dtype(), kInt64);  // a count, not converted
    EXPECT_EQ(model.named_parameters().size(), 4u);      // fc's weight and bias listed once
    EXPECT_EQ(fc->weight.dtype(), kFloat64);

    const Tensor y = model(randn({6, 4}, nullptr, kFloat64));  // train mode: updates the stats
    EXPECT_EQ(y.dtype(), kFloat64);
    EXPECT_EQ(bn->running_mean.dtype(), kFloat64);
    EXPECT_EQ(bn->num_batches_tracked.item<std::int64_t>(), 1);
}

TEST(ModuleDType, OptimizerBuiltAfterConversionTrains) {
    Sequential mlp = small_mlp();
    mlp.to_double();
    // Fit y = (x0 * x1, tanh x2) on 64 fixed points.
    const Tensor x = randn({64, 3}, nullptr, kFloat64);
    const Tensor y = stack({x.select(1, 0) * x.select(1, 1), tanh(x.select(1, 2))}, 1);
    optim::Adam opt(mlp.parameters(), {.lr = 0.02});
    double first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
        Tensor loss = nn::mse_loss(mlp(x), y);
        if (step == 0) first = loss.item();
        last = loss.item();
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    EXPECT_LT(last, 0.25 * first) << "first " << first << ", last " << last;
    for (const Tensor& p : mlp.parameters()) EXPECT_EQ(p.dtype(), kFloat64);
}

TEST(ModuleDType, OnlyFloatingDTypes) {
    Sequential mlp = small_mlp();
    expect_error([&] { mlp.to(kInt64); },
                 "Sequential.to(int64): modules convert to float32 or float64");
    EXPECT_EQ(mlp.parameters()[0].dtype(), kFloat32);
}

}  // namespace
