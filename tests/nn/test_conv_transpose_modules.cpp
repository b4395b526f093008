// ConvTranspose1d/2d/3d and Upsample: parameter names and shapes, PyTorch's default
// initialisation and repr, agreement with the functional ops, output_size, a decoder step, and
// construction errors.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/conv.h"
#include "soma/nn/upsample.h"
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

TEST(ConvTransposeModule, ParametersLikePyTorch) {
    nn::ConvTranspose2d up(
        {.in_channels = 4, .out_channels = 6, .kernel_size = {3, 2}, .groups = 2});
    EXPECT_EQ(up.weight.shape(), (Shape{4, 3, 3, 2}));
    EXPECT_EQ(up.bias.shape(), (Shape{6}));
    EXPECT_EQ(names(up.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
    EXPECT_TRUE(up.weight.requires_grad());
    EXPECT_EQ(up.weight.dtype(), kFloat32);
    nn::ConvTranspose1d c1({.in_channels = 3, .out_channels = 5, .kernel_size = 4, .bias = false});
    EXPECT_EQ(c1.weight.shape(), (Shape{3, 5, 4}));
    EXPECT_FALSE(c1.bias.defined());
    nn::ConvTranspose3d c3({.in_channels = 2, .out_channels = 4, .kernel_size = {1, 2, 3}});
    EXPECT_EQ(c3.weight.shape(), (Shape{2, 4, 1, 2, 3}));
    EXPECT_EQ(c3.num_parameters(), 2 * 4 * 6 + 4);
}

TEST(ConvTransposeModule, DefaultInitLikePyTorch) {
    // PyTorch's fan_in is weight.size(1) * prod(kernel) = out_channels / groups * 9 here, not
    // in_channels: the bound is 1 / sqrt(16 * 9) whatever in_channels is.
    Generator g(5);
    nn::ConvTranspose2d up({.in_channels = 64, .out_channels = 16, .kernel_size = 3, .gen = &g});
    const double bound = 1.0 / std::sqrt(16.0 * 9.0);
    EXPECT_LE(max(abs(up.weight)).item(), bound * (1 + 1e-6));
    EXPECT_GE(max(abs(up.weight)).item(), bound * 0.99);
    EXPECT_NEAR(std::sqrt(var(up.weight).item()), bound / std::sqrt(3.0), bound * 0.03);
    EXPECT_LE(max(abs(up.bias)).item(), bound * (1 + 1e-6));

    Generator same(5);
    nn::ConvTranspose2d again(
        {.in_channels = 64, .out_channels = 16, .kernel_size = 3, .gen = &same});
    EXPECT_TRUE(allclose(up.weight, again.weight, 0, 0));
    EXPECT_TRUE(allclose(up.bias, again.bias, 0, 0));
}

TEST(ConvTransposeModule, ForwardIsTheFunctionalOp) {
    Generator g(6);
    Tensor x = randn({2, 4, 5, 4}, &g);
    nn::ConvTranspose2d up({.in_channels = 4,
                            .out_channels = 6,
                            .kernel_size = {3, 2},
                            .stride = {2, 1},
                            .padding = {1, 0},
                            .output_padding = {1, 0},
                            .groups = 2,
                            .dilation = {1, 2}});
    EXPECT_TRUE(allclose(
        up(x), conv_transpose2d(x, up.weight, up.bias, {2, 1}, {1, 0}, {1, 0}, 2, {1, 2})));
    EXPECT_EQ(up(x).shape(), (Shape{2, 6, 10, 6}));
    nn::ConvTranspose1d c1({.in_channels = 4, .out_channels = 3, .kernel_size = 4, .stride = 2});
    EXPECT_EQ(c1(randn({4, 7}, &g)).shape(), (Shape{3, 16}));  // unbatched
}

TEST(ConvTransposeModule, OutputSize) {
    // Stride 2 maps both 7 and 8 onto 4 (conv's floor); output_size picks one, like PyTorch.
    Generator g(7);
    nn::ConvTranspose2d up(
        {.in_channels = 2, .out_channels = 3, .kernel_size = 3, .stride = 2, .padding = 1});
    Tensor x = randn({1, 2, 4, 4}, &g);
    EXPECT_EQ(up(x).shape(), (Shape{1, 3, 7, 7}));
    EXPECT_EQ(up(x, {8, 7}).shape(), (Shape{1, 3, 8, 7}));
    EXPECT_EQ(up(x, {1, 3, 8, 8}).shape(), (Shape{1, 3, 8, 8}));
    EXPECT_TRUE(allclose(up(x, {8, 7}), conv_transpose2d(x, up.weight, up.bias, 2, 1, {1, 0})));
    EXPECT_EQ(up(randn({2, 4, 4}, &g), {3, 8, 8}).shape(), (Shape{3, 8, 8}));  // unbatched
    expect_error(
        [&] {
            up(x, {9, 7});
        },
        "ConvTranspose2d: requested an output size of (9, 7), but valid sizes range "
        "from (7, 7) to (8, 8) for an input of shape (1, 2, 4, 4)");
    expect_error([&] { up(x, {8}); },
                 "ConvTranspose2d: output_size for input of shape (1, 2, 4, 4) needs 2 or 4 "
                 "values, got (8)");
}

TEST(ConvTransposeModule, ReprLikePyTorch) {
    EXPECT_EQ(nn::ConvTranspose2d({.in_channels = 4,
                                   .out_channels = 6,
                                   .kernel_size = 3,
                                   .stride = 2,
                                   .padding = 1,
                                   .output_padding = 1,
                                   .groups = 2,
                                   .bias = false,
                                   .dilation = 2})
                  .extra_repr(),
              "4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
              "output_padding=(1, 1), groups=2, bias=False");
    EXPECT_EQ(
        nn::ConvTranspose1d({.in_channels = 4, .out_channels = 6, .kernel_size = 3}).extra_repr(),
        "4, 6, kernel_size=(3,), stride=(1,)");
    EXPECT_EQ(nn::Upsample({.scale_factor = {2}}).extra_repr(), "scale_factor=2.0, mode=nearest");
    EXPECT_EQ(nn::Upsample({.size = {3, 4}, .mode = "bilinear"}).extra_repr(),
              "size=(3, 4), mode=bilinear");
    EXPECT_EQ(nn::Upsample({.scale_factor = {2, 1.5}, .mode = "bilinear", .align_corners = true})
                  .extra_repr(),
              "scale_factor=(2.0, 1.5), mode=bilinear");
}

TEST(UpsampleModule, ForwardIsTheFunctionalOp) {
    Generator g(8);
    Tensor x = randn({2, 3, 4, 5}, &g);
    nn::Upsample nearest({.scale_factor = {2}});
    EXPECT_TRUE(allclose(nearest(x), interpolate(x, {.scale_factor = {2}}), 0, 0));
    EXPECT_EQ(nearest(x).shape(), (Shape{2, 3, 8, 10}));
    nn::Upsample smooth({.size = {7, 6}, .mode = "bilinear", .align_corners = true});
    EXPECT_TRUE(allclose(
        smooth(x), interpolate(x, {.size = {7, 6}, .mode = "bilinear", .align_corners = true})));
    EXPECT_TRUE(smooth.named_parameters().empty());
}

TEST(ConvTransposeModule, DecoderTrainsAStep) {
    // A small generator's upsampling path: shapes through the stack, and one SGD step lowers
    // the loss on a fixed batch.
    manual_seed(9);
    nn::Sequential net{
        std::make_shared<nn::ConvTranspose2d>(nn::ConvTransposeOptions{
            .in_channels = 8, .out_channels = 4, .kernel_size = 4, .stride = 2, .padding = 1}),
        std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Upsample>(
            nn::UpsampleOptions{.scale_factor = {2}, .mode = "bilinear"}),
        std::make_shared<nn::ConvTranspose2d>(nn::ConvTransposeOptions{
            .in_channels = 4, .out_channels = 1, .kernel_size = 3, .padding = 1}),
        std::make_shared<nn::Tanh>()};
    Tensor z = randn({4, 8, 7, 7});
    Tensor target = uniform({4, 1, 28, 28}, -0.5, 0.5);
    auto loss_of = [&] { return mean(pow(net(z) - target, 2.0)); };
    Tensor loss = loss_of();
    EXPECT_EQ(net(z).shape(), (Shape{4, 1, 28, 28}));
    loss.backward();
    for (auto& [name, p] : net.named_parameters()) {
        ASSERT_TRUE(p.grad().defined()) << name;
        EXPECT_EQ(p.grad().shape(), p.shape()) << name;
    }
    {
        NoGrad ng;
        for (Tensor p : net.parameters()) p.add_(p.grad(), -0.01);
    }
    EXPECT_LT(loss_of().item(), loss.item());
}

TEST(ConvTransposeModule, Errors) {
    expect_error(
        [] {
            nn::ConvTranspose2d(
                {.in_channels = 3, .out_channels = 4, .kernel_size = 3, .groups = 2});
        },
        "ConvTranspose2d: groups=2 must divide in_channels=3 and out_channels=4");
    expect_error(
        [] { nn::ConvTranspose2d({.in_channels = 3, .out_channels = 4, .kernel_size = {}}); },
        "ConvTranspose2d: kernel_size is required");
    expect_error(
        [] { nn::ConvTranspose1d({.in_channels = 0, .out_channels = 4, .kernel_size = 3}); },
        "ConvTranspose1d: in_channels and out_channels must be positive");
    expect_error(
        [] {
            nn::ConvTranspose2d({.in_channels = 1,
                                 .out_channels = 1,
                                 .kernel_size = 3,
                                 .stride = 2,
                                 .output_padding = 2});
        },
        "ConvTranspose2d: output_padding 2 must be smaller than the stride 2 or the dilation 1 "
        "in every dimension");
    expect_error(
        [] {
            nn::ConvTranspose3d({.in_channels = 1, .out_channels = 1, .kernel_size = {3, 3}});
        },
        "ConvTranspose3d: kernel_size needs 1 or 3 values, got (3, 3)");
    nn::ConvTranspose2d up({.in_channels = 3, .out_channels = 4, .kernel_size = 3});
    expect_error(
        [&] {
            up(zeros({2, 1, 8, 8}));
        },
        "conv_transpose2d: input of shape (2, 1, 8, 8) has 1 channels, but weight of "
        "shape (3, 4, 3, 3) expects 3");

    expect_error([] { nn::Upsample({}); }, "Upsample: give size or scale_factor");
    expect_error([] { nn::Upsample({.size = 4, .scale_factor = {2}}); },
                 "Upsample: give either size or scale_factor, not both");
    expect_error([] { nn::Upsample({.size = 4, .mode = "bicubic"}); },
                 "Upsample: unknown mode 'bicubic'");
    expect_error([] { nn::Upsample({.scale_factor = {2}, .align_corners = true}); },
                 "Upsample: align_corners applies only to the linear modes");
    expect_error([] { nn::Upsample({.scale_factor = {0}}); },
                 "Upsample: scale_factor must be positive, got 0");
    expect_error(
        [] {
            nn::Upsample({.size = {4, -1}});
        },
        "Upsample: size must be positive, got (4, -1)");
    expect_error(
        [] {
            nn::Upsample({.size = 4, .mode = "bilinear"})(zeros({1, 2, 3}));
        },
        "interpolate: mode 'bilinear' needs a 4-D (N, C, H, W) input");
}

}  // namespace
}  // namespace soma
