// Conv1d/2d/3d and the pooling layers: parameter names and shapes, PyTorch's default
// initialisation and repr, agreement with the functional ops, and construction errors.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/conv.h"
#include "soma/nn/linear.h"
#include "soma/nn/pool.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_error;

std::vector<std::string> names(const std::vector<std::pair<std::string, Tensor>>& named) {
    std::vector<std::string> out;
    for (const auto& [name, t] : named) out.push_back(name);
    return out;
}

TEST(ConvModule, ParametersLikePyTorch) {
    nn::Conv2d conv({.in_channels = 4, .out_channels = 6, .kernel_size = {3, 2}, .groups = 2});
    EXPECT_EQ(conv.weight.shape(), (Shape{6, 2, 3, 2}));
    EXPECT_EQ(conv.bias.shape(), (Shape{6}));
    EXPECT_EQ(names(conv.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
    EXPECT_TRUE(conv.weight.requires_grad());
    EXPECT_EQ(conv.weight.dtype(), kFloat32);

    nn::Conv1d c1({.in_channels = 3, .out_channels = 5, .kernel_size = 4, .bias = false});
    EXPECT_EQ(c1.weight.shape(), (Shape{5, 3, 4}));
    EXPECT_FALSE(c1.bias.defined());
    EXPECT_EQ(names(c1.named_parameters()), std::vector<std::string>{"weight"});
    nn::Conv3d c3({.in_channels = 2, .out_channels = 4, .kernel_size = {1, 2, 3}});
    EXPECT_EQ(c3.weight.shape(), (Shape{4, 2, 1, 2, 3}));
    EXPECT_EQ(c3.num_parameters(), 4 * 2 * 6 + 4);
}

TEST(ConvModule, DefaultInitLikePyTorch) {
    // fan_in = in_channels / groups * prod(kernel) = 32 * 9; weight and bias in +-1/sqrt(fan_in).
    Generator g(5);
    nn::Conv2d conv({.in_channels = 32, .out_channels = 64, .kernel_size = 3, .gen = &g});
    const double bound = 1.0 / std::sqrt(32.0 * 9.0);
    EXPECT_LE(max(abs(conv.weight)).item(), bound * (1 + 1e-6));
    EXPECT_GE(max(abs(conv.weight)).item(), bound * 0.99);
    EXPECT_NEAR(std::sqrt(var(conv.weight).item()), bound / std::sqrt(3.0), bound * 0.02);
    EXPECT_LE(max(abs(conv.bias)).item(), bound * (1 + 1e-6));
    EXPECT_GE(max(abs(conv.bias)).item(), bound * 0.5);

    nn::Conv1d depthwise({.in_channels = 8, .out_channels = 8, .kernel_size = 5, .groups = 8});
    EXPECT_LE(max(abs(depthwise.weight)).item(), 1.0 / std::sqrt(5.0) * (1 + 1e-6));
    EXPECT_GE(max(abs(depthwise.weight)).item(), 1.0 / std::sqrt(5.0) * 0.9);

    Generator same(5);
    nn::Conv2d again({.in_channels = 32, .out_channels = 64, .kernel_size = 3, .gen = &same});
    EXPECT_TRUE(allclose(conv.weight, again.weight, 0, 0));
    EXPECT_TRUE(allclose(conv.bias, again.bias, 0, 0));
}

TEST(ConvModule, ForwardIsTheFunctionalOp) {
    Generator g(6);
    Tensor x = randn({2, 4, 9, 8}, &g);
    nn::Conv2d conv({.in_channels = 4,
                     .out_channels = 6,
                     .kernel_size = {3, 2},
                     .stride = {2, 1},
                     .padding = {1, 0},
                     .dilation = {1, 2},
                     .groups = 2});
    EXPECT_TRUE(allclose(conv(x), conv2d(x, conv.weight, conv.bias, {2, 1}, {1, 0}, {1, 2}, 2)));
    nn::Conv1d same({.in_channels = 4, .out_channels = 3, .kernel_size = 4, .padding = "same"});
    Tensor x1 = randn({2, 4, 7}, &g);
    EXPECT_EQ(same(x1).shape(), (Shape{2, 3, 7}));
    EXPECT_TRUE(allclose(same(x1), conv1d(x1, same.weight, same.bias, 1, "same")));
    nn::Conv3d c3({.in_channels = 4, .out_channels = 2, .kernel_size = 2, .stride = 2});
    EXPECT_EQ(c3(randn({4, 6, 6, 6}, &g)).shape(), (Shape{2, 3, 3, 3}));  // unbatched
}

TEST(ConvModule, ReprLikePyTorch) {
    EXPECT_EQ(nn::Conv2d({.in_channels = 1, .out_channels = 32, .kernel_size = 3, .padding = 1})
                  .extra_repr(),
              "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)");
    EXPECT_EQ(nn::Conv1d({.in_channels = 4,
                          .out_channels = 4,
                          .kernel_size = 3,
                          .stride = 2,
                          .dilation = 2,
                          .groups = 4,
                          .bias = false})
                  .extra_repr(),
              "4, 4, kernel_size=(3,), stride=(2,), dilation=(2,), groups=4, bias=False");
    EXPECT_EQ(
        nn::Conv3d(
            {.in_channels = 1, .out_channels = 2, .kernel_size = {1, 2, 3}, .padding = "same"})
            .extra_repr(),
        "1, 2, kernel_size=(1, 2, 3), stride=(1, 1, 1), padding=same");
    EXPECT_EQ(nn::MaxPool2d({.kernel_size = 2}).extra_repr(),
              "kernel_size=2, stride=2, padding=0, dilation=1");
    EXPECT_EQ(nn::AvgPool2d({.kernel_size = {3, 2}, .stride = 1, .padding = 1}).extra_repr(),
              "kernel_size=(3, 2), stride=1, padding=1");
    EXPECT_EQ(nn::AdaptiveAvgPool2d({.output_size = 1}).extra_repr(), "output_size=1");
}

TEST(PoolModule, ForwardIsTheFunctionalOp) {
    Generator g(7);
    Tensor x = randn({2, 3, 8, 7}, &g);
    EXPECT_TRUE(allclose(nn::MaxPool2d({.kernel_size = 2})(x), max_pool2d(x, 2)));
    EXPECT_TRUE(allclose(nn::MaxPool2d({.kernel_size = 3, .stride = 2, .padding = 1})(x),
                         max_pool2d(x, 3, 2, 1)));
    EXPECT_EQ(nn::MaxPool1d({.kernel_size = 3, .stride = 1})(randn({2, 3, 8}, &g)).shape(),
              (Shape{2, 3, 6}));
    EXPECT_EQ(nn::MaxPool3d({.kernel_size = {1, 2, 2}})(randn({1, 2, 3, 4, 4}, &g)).shape(),
              (Shape{1, 2, 3, 2, 2}));
    EXPECT_TRUE(
        allclose(nn::AvgPool2d({.kernel_size = 3, .padding = 1, .count_include_pad = false})(x),
                 avg_pool2d(x, 3, {}, 1, false)));
    EXPECT_TRUE(allclose(nn::AdaptiveAvgPool2d({.output_size = {2, 3}})(x),
                         adaptive_avg_pool2d(x, {2, 3})));
    EXPECT_TRUE(nn::MaxPool2d({.kernel_size = 2}).named_parameters().empty());
}

TEST(ConvModule, FashionMnistCnnTrainsAStep) {
    // The fmnist-cnn workload's layers: shapes through the stack, and one SGD step lowers the
    // loss on a fixed batch.
    manual_seed(8);
    auto conv1 = std::make_shared<nn::Conv2d>(
        nn::ConvOptions{.in_channels = 1, .out_channels = 32, .kernel_size = 3, .padding = 1});
    auto conv2 = std::make_shared<nn::Conv2d>(
        nn::ConvOptions{.in_channels = 32, .out_channels = 64, .kernel_size = 3, .padding = 1});
    nn::Sequential net{conv1,
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::MaxPool2d>(nn::MaxPoolOptions{.kernel_size = 2}),
                       conv2,
                       std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::MaxPool2d>(nn::MaxPoolOptions{.kernel_size = 2}),
                       std::make_shared<nn::Flatten>(),
                       std::make_shared<nn::Linear>(nn::LinearOptions{.in = 3136, .out = 10})};
    Tensor x = randn({4, 1, 28, 28});
    Tensor target = randn({4, 10});
    auto loss_of = [&] { return mean(pow(net(x) - target, 2.0)); };
    Tensor loss = loss_of();
    EXPECT_EQ(net(x).shape(), (Shape{4, 10}));
    loss.backward();
    for (auto& [name, p] : net.named_parameters()) {
        ASSERT_TRUE(p.grad().defined()) << name;
        EXPECT_EQ(p.grad().shape(), p.shape()) << name;
    }
    {
        NoGrad ng;
        for (Tensor p : net.parameters()) p.add_(p.grad(), -0.001);
    }
    EXPECT_LT(loss_of().item(), loss.item());
}

TEST(ConvModule, Errors) {
    expect_error(
        [] { nn::Conv2d({.in_channels = 3, .out_channels = 4, .kernel_size = 3, .groups = 2}); },
        "Conv2d: groups=2 must divide in_channels=3 and out_channels=4");
    expect_error([] { nn::Conv2d({.in_channels = 3, .out_channels = 4, .kernel_size = {}}); },
                 "Conv2d: kernel_size is required");
    expect_error([] { nn::Conv2d({.in_channels = 0, .out_channels = 4, .kernel_size = 3}); },
                 "Conv2d: in_channels and out_channels must be positive");
    expect_error(
        [] {
            nn::Conv1d({.in_channels = 1, .out_channels = 1, .kernel_size = {3, 3}});
        },
        "Conv1d: kernel_size needs 1 value, got (3, 3)");
    expect_error(
        [] {
            nn::Conv2d({.in_channels = 1,
                        .out_channels = 1,
                        .kernel_size = 3,
                        .stride = 2,
                        .padding = "same"});
        },
        "Conv2d: padding='same' needs stride 1, got stride 2");
    expect_error(
        [] { nn::Conv3d({.in_channels = 1, .out_channels = 1, .kernel_size = 3, .padding = -1}); },
        "Conv3d: padding must be non-negative");
    nn::Conv2d conv({.in_channels = 3, .out_channels = 4, .kernel_size = 3});
    expect_error(
        [&] {
            conv(zeros({2, 1, 8, 8}));
        },
        "conv2d: input of shape (2, 1, 8, 8) has 1 channels, but weight of shape (4, 3, "
        "3, 3) with groups=1 expects 3");
    expect_error([] { nn::MaxPool2d({.kernel_size = 2, .padding = 2}); },
                 "MaxPool2d: padding 2 must be at most half the kernel size 2");
    expect_error([] { nn::MaxPool2d({}); }, "MaxPool2d: kernel_size is required");
    expect_error(
        [] {
            nn::AvgPool2d({.kernel_size = {2, 2, 2}});
        },
        "AvgPool2d: kernel_size needs 1 or 2 values, got (2, 2, 2)");
    expect_error([] { nn::AdaptiveAvgPool2d({.output_size = 0}); },
                 "AdaptiveAvgPool2d: output_size must be positive, got 0");
}

}  // namespace
}  // namespace soma
