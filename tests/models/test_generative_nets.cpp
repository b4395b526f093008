// models/generative_nets.h: output shapes and parameter counts of the convolutional VAE and the
// GAN nets, DCGAN's initialisation, a few training steps that lower each loss, errors.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "soma/models/gan.h"
#include "soma/models/generative_nets.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "support/op_harness.h"

namespace soma::models {
namespace {

using test::expect_error;

// Weights and biases of a layer with `weights` weights and `out` outputs.
constexpr std::int64_t layer(std::int64_t weights, std::int64_t out) { return weights + out; }

TEST(GenerativeNets, ConvVaeShapesAndParameters) {
    manual_seed(1);
    auto vae = conv_vae({.hidden = 32, .vae = {.latent_dim = 4}});
    Tensor x = rand({3, 1, 28, 28});
    VAEOutput out = vae->forward(x);
    EXPECT_EQ(out.output.shape(), x.shape());
    EXPECT_EQ(out.mu.shape(), (Shape{3, 4}));
    EXPECT_EQ(vae->sample(5).shape(), (Shape{5, 1, 28, 28}));
    const std::int64_t encoder =
        layer(1 * 32 * 16, 32) + layer(32 * 64 * 16, 64) + layer(64 * 7 * 7 * 32, 32);
    const std::int64_t heads = 2 * layer(32 * 4, 4);
    const std::int64_t decoder = layer(4 * 32, 32) + layer(32 * 64 * 7 * 7, 64 * 7 * 7) +
                                 layer(64 * 32 * 16, 32) + layer(32 * 1 * 16, 1);
    EXPECT_EQ(vae->num_parameters(), encoder + heads + decoder);
}

TEST(GenerativeNets, ConvVaeTrainingLowersTheLoss) {
    manual_seed(2);
    auto vae = conv_vae({.hidden = 32, .vae = {.latent_dim = 2}});
    // Two fixed patterns: a bright left half and a bright top half.
    Tensor x = zeros({8, 1, 28, 28});
    x.narrow(0, 0, 4).narrow(3, 0, 14).fill_(1.0);
    x.narrow(0, 4, 4).narrow(2, 0, 14).fill_(1.0);
    optim::Adam opt(vae->parameters(), {.lr = 3e-3});
    Generator gen(7);
    auto loss = [&] { return vae->loss(x, vae->forward(x, &gen)).loss; };
    const double before = loss().item();
    for (int i = 0; i < 15; ++i) {
        opt.zero_grad();
        loss().backward();
        opt.step();
    }
    EXPECT_LT(loss().item(), 0.8 * before);
}

TEST(GenerativeNets, MlpGanNetsShapesAndParameters) {
    manual_seed(3);
    auto points = mlp_generator({.latent_dim = 8, .hidden = {16, 16}});
    EXPECT_EQ(points->forward(randn({5, 8})).shape(), (Shape{5, 2}));
    EXPECT_EQ(points->num_parameters(), layer(8 * 16, 16) + layer(16 * 16, 16) + layer(16 * 2, 2));

    auto images =
        mlp_generator({.latent_dim = 8, .hidden = {16}, .out_shape = {1, 28, 28}, .tanh = true});
    Tensor y = images->forward(randn({5, 8}) * 100.0);
    EXPECT_EQ(y.shape(), (Shape{5, 1, 28, 28}));
    EXPECT_LE(max(abs(y)).item(), 1.0);  // Tanh

    // Packs of 2 images: (N / 2, 2, 28, 28) -> (N / 2, 1).
    auto d = mlp_discriminator({.in_features = 784, .hidden = {16}, .pack = 2});
    EXPECT_EQ(d->forward(rand({3, 2, 28, 28})).shape(), (Shape{3, 1}));
    EXPECT_EQ(d->num_parameters(), layer(2 * 784 * 16, 16) + layer(16, 1));
}

TEST(GenerativeNets, PackedMlpDiscriminatorSharesAllButItsLastHiddenLayer) {
    manual_seed(5);
    // Packs of 4 points: per sample 2 -> 16, then the pack's 4 x 16 features -> 8 -> 1.
    auto d = packed_mlp_discriminator({.in_features = 2, .hidden = {16, 8}, .pack = 4});
    EXPECT_EQ(d->forward(randn({3, 8})).shape(), (Shape{3, 1}));
    EXPECT_EQ(d->num_parameters(), layer(2 * 16, 16) + layer(4 * 16 * 8, 8) + layer(8, 1));
    // Swapping two samples inside a pack changes the input the joint layer sees, not what the
    // shared layers compute: the pack is judged as an ordered whole, each sample alike.
    auto& packed = dynamic_cast<PackedDiscriminator&>(*d);
    Tensor x = randn({1, 8});
    Tensor a = packed.per_sample->forward(x.reshape({4, 2}));
    Tensor swapped = cat({x.narrow(1, 2, 2), x.narrow(1, 0, 2), x.narrow(1, 4, 4)}, 1);
    Tensor b = packed.per_sample->forward(swapped.reshape({4, 2}));
    EXPECT_EQ(max(abs(a.narrow(0, 0, 1) - b.narrow(0, 1, 1))).item(), 0);
    // Images: (N / 2, 2, 28, 28) -> (N / 2, 1), with one hidden layer nothing is per sample.
    auto images = packed_mlp_discriminator({.in_features = 784, .hidden = {16}, .pack = 2});
    EXPECT_EQ(images->forward(rand({3, 2, 28, 28})).shape(), (Shape{3, 1}));
    expect_error([] { packed_mlp_discriminator({.pack = 0}); },
                 "packed_mlp_discriminator: pack must be >= 1");
}

TEST(GenerativeNets, DcganShapesParametersAndInit) {
    manual_seed(4);
    auto g = dcgan_generator(16);
    Tensor y = g->forward(randn({4, 16}));
    EXPECT_EQ(y.shape(), (Shape{4, 1, 28, 28}));
    EXPECT_LE(max(abs(y)).item(), 1.0);
    const std::int64_t f = 128 * 7 * 7;
    EXPECT_EQ(g->num_parameters(),
              layer(16 * f, f) + 2 * f + layer(128 * 64 * 16, 64) + 2 * 64 + layer(64 * 1 * 16, 1));
    auto d = dcgan_discriminator(2);
    EXPECT_EQ(d->forward(rand({3, 2, 28, 28})).shape(), (Shape{3, 1}));
    EXPECT_EQ(d->num_parameters(),
              layer(2 * 64 * 16, 64) + layer(64 * 128 * 16, 128) + 2 * 128 + layer(f, 1));
    // Convolution weights ~ N(0, 0.02²): 131,072 draws in the second layer.
    const Tensor w = d->named_parameters()[2].second.to(kFloat64);
    EXPECT_NEAR(mean(w).item(), 0.0, 1e-3);
    EXPECT_NEAR(std::sqrt(mean(w * w).item()), 0.02, 1e-3);
}

TEST(GenerativeNets, DcganStepsLowerEachLoss) {
    manual_seed(5);
    GAN gan(dcgan_generator(8), dcgan_discriminator(1), {.latent_dim = 8, .lr_d = 1e-3});
    Tensor real = rand({8, 1, 28, 28}) * 2.0 - 1.0;
    const double d0 = gan.train_discriminator(real).d_loss;
    double d = d0;
    for (int i = 0; i < 4; ++i) d = gan.train_discriminator(real).d_loss;
    EXPECT_LT(d, d0);
    // The generator against a fixed discriminator.
    GAN g_only(mlp_generator({.latent_dim = 4, .hidden = {16}}),
               mlp_discriminator({.hidden = {16}}), {.latent_dim = 4, .lr_g = 1e-2});
    const double g0 = g_only.train_generator(64);
    double g = g0;
    for (int i = 0; i < 10; ++i) g = g_only.train_generator(64);
    EXPECT_LT(g, g0);
}

TEST(GenerativeNets, Errors) {
    expect_error([] { conv_vae({.hidden = 0}); }, "conv_vae: hidden must be positive");
    expect_error([] { conv_vae({.vae = {.latent_dim = 0}}); }, "conv_vae: latent_dim");
    expect_error([] { mlp_generator({.hidden = {}}); }, "mlp_generator: needs at least one hidden");
    expect_error([] { mlp_generator({.hidden = {4, -1}}); }, "hidden widths must be positive");
    expect_error([] { mlp_generator({.out_shape = {1, 0}}); }, "out_shape sizes must be positive");
    expect_error([] { mlp_discriminator({.pack = 0}); }, "mlp_discriminator: pack must be >= 1");
    expect_error([] { dcgan_generator(0); }, "dcgan_generator: latent_dim must be positive");
    expect_error([] { dcgan_discriminator(0); }, "dcgan_discriminator: pack must be >= 1");
    // A 32x32 image does not fit the 28x28 nets.
    auto d = dcgan_discriminator(1);
    expect_error([&] { d->forward(rand({2, 1, 32, 32})); }, "");
}

}  // namespace
}  // namespace soma::models
