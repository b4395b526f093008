// Dropout (inverted, off in eval), Residual (identity and projection shortcuts) and BasicBlock.
#include <gtest/gtest.h>

#include <memory>

#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/dropout.h"
#include "soma/nn/linear.h"
#include "soma/nn/residual.h"
#include "soma/ops.h"
#include "soma/ops_conv.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using test::expect_close;
using test::expect_error;

TEST(Dropout, TrainingZeroesAndRescales) {
    Generator gen(1);
    nn::Dropout drop(0.25, &gen);
    Tensor x = full({100, 100}, 2.0).requires_grad_();
    Tensor y = drop(x);
    std::vector<float> v = y.to_vector();
    std::int64_t zeros_seen = 0;
    for (float e : v) {
        if (e == 0) {
            ++zeros_seen;
        } else {
            EXPECT_FLOAT_EQ(e, 2.0f / 0.75f);
        }
    }
    EXPECT_NEAR(static_cast<double>(zeros_seen) / 1e4, 0.25, 0.02);
    // The gradient passes exactly where the input did, with the same scale.
    sum(y).backward();
    expect_close(x.grad(), y.detach() / 2.0, 0, 1e-6, "gradient is mask / (1 - p)");
}

TEST(Dropout, SeededMasksRepeat) {
    Generator g1(42), g2(42), g3(43);
    nn::Dropout a(0.5, &g1), b(0.5, &g2), c(0.5, &g3);
    Tensor x = ones({50});
    Tensor ya = a(x);
    EXPECT_TRUE(allclose(ya, b(x), 0, 0));
    EXPECT_FALSE(allclose(ya, c(x), 0, 0));
    EXPECT_FALSE(allclose(ya, a(x), 0, 0));  // the generator moves on
}

TEST(Dropout, EvalAndEdgeProbabilities) {
    nn::Dropout drop(0.5);
    Tensor x = uniform({4, 5}, -1, 1);
    drop.eval();
    EXPECT_TRUE(drop(x).same(x));  // the identity, not even a copy
    drop.train();
    nn::Dropout none(0.0), all(1.0);
    EXPECT_TRUE(allclose(none(x), x, 0, 0));
    EXPECT_TRUE(allclose(all(x), zeros({4, 5}), 0, 0));
    EXPECT_EQ(drop.extra_repr(), "p=0.5");
    expect_error([] { nn::Dropout(1.5); }, "Dropout: probability p must be in [0, 1], got 1.5");
}

std::shared_ptr<nn::Linear> linear(std::int64_t in, std::int64_t out, Generator* gen) {
    return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out, .gen = gen});
}

TEST(Residual, IdentityShortcut) {
    Generator gen(3);
    auto f = linear(4, 4, &gen);
    nn::Residual block(f);
    Tensor x = uniform({3, 4}, -1, 1, &gen).requires_grad_();
    Tensor y = block(x);
    expect_close(y, x + (*f)(x), 0, 1e-6, "y = x + f(x)");
    sum(y).backward();
    // d/dx sum(x + x W^T + b) = 1 + column sums of W.
    expect_close(x.grad(), (1.0 + sum(f->weight, {0}, true)).expand({3, 4}), 0, 1e-6, "grad x");
    std::vector<std::string> names;
    for (auto& [n, t] : block.named_parameters()) names.push_back(n);
    EXPECT_EQ(names, (std::vector<std::string>{"fn.weight", "fn.bias"}));
}

TEST(Residual, ProjectionShortcut) {
    Generator gen(4);
    auto f = std::make_shared<nn::Sequential>(
        nn::Sequential{linear(3, 5, &gen), std::make_shared<nn::ReLU>(), linear(5, 2, &gen)});
    auto proj = linear(3, 2, &gen);
    nn::Residual block(f, proj);
    Tensor x = uniform({6, 3}, -1, 1, &gen);
    expect_close(block(x), (*proj)(x) + (*f)(x), 0, 1e-6, "y = proj(x) + f(x)");
    EXPECT_EQ(block.parameters().size(), 6u);
    EXPECT_EQ(block.named_parameters().back().first, "projection.bias");
    // Without the projection the shapes differ, and the error says what to do.
    nn::Residual bad(f);
    expect_error([&] { bad(x); },
                 "Residual: f(x) has shape (6, 2) but the shortcut x has shape (6, 3)");
    expect_error([&] { bad(x); }, "pass a projection");
}

TEST(Residual, TrainEvalReachesTheBranch) {
    auto drop = std::make_shared<nn::Dropout>(0.5);
    nn::Residual block(drop);
    block.eval();
    EXPECT_FALSE(drop->is_training());
    Tensor x = ones({8});
    EXPECT_TRUE(allclose(block(x), full({8}, 2.0), 0, 0));
}

std::vector<std::string> param_names(nn::Module& m) {
    std::vector<std::string> out;
    for (auto& [n, t] : m.named_parameters()) out.push_back(n);
    return out;
}

TEST(BasicBlock, IdentityShortcut) {
    Generator gen(6);
    nn::BasicBlock block({.in_channels = 4, .out_channels = 4, .gen = &gen});
    EXPECT_EQ(block.downsample, nullptr);
    EXPECT_EQ(param_names(block),
              (std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight",
                                        "bn2.weight", "bn2.bias"}));
    EXPECT_EQ(block.named_buffers().size(), 6u);
    Tensor x = uniform({2, 4, 5, 7}, -1, 1, &gen).requires_grad_();
    // The same computation from the functional ops, before the layers update their statistics.
    auto bn = [](const Tensor& t) { return nn::batch_norm(t, {}, {}, {}, {}, true); };
    Tensor expected = relu(bn(conv2d(relu(bn(conv2d(x, block.conv1.weight, {}, 1, 1))),
                                     block.conv2.weight, {}, 1, 1)) +
                           x);
    Tensor y = block(x);
    EXPECT_EQ(y.shape(), x.shape());
    expect_close(y, expected, 1e-5, 1e-5, "basic block");
    sum(y * y).backward();
    EXPECT_TRUE(x.grad().defined());
    for (const auto& p : block.parameters()) EXPECT_TRUE(p.grad().defined());
}

TEST(BasicBlock, DownsampleShortcutAndEvalMode) {
    Generator gen(7);
    nn::BasicBlock block({.in_channels = 3, .out_channels = 6, .stride = 2, .gen = &gen});
    ASSERT_NE(block.downsample, nullptr);
    EXPECT_EQ(param_names(block).back(), "downsample.1.bias");
    EXPECT_EQ(block.downsample->at<nn::Conv2d>(0).weight.shape(), (Shape{6, 3, 1, 1}));
    Tensor x = uniform({2, 3, 7, 6}, -1, 1, &gen);
    EXPECT_EQ(block(x).shape(), (Shape{2, 6, 4, 3}));
    block.eval();
    EXPECT_FALSE(block.downsample->at<nn::BatchNorm2d>(1).is_training());
    Tensor a = block(x), b = block(x);  // eval: running statistics, so repeatable
    EXPECT_TRUE(allclose(a, b, 0, 0));
    EXPECT_EQ(block.bn1.num_batches_tracked.item<std::int64_t>(), 1);
}

}  // namespace
