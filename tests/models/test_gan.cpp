// models::GAN: each update touches only its own network, the losses against their formulas
// (non-saturating, minimax, label smoothing), PacGAN's packing, a seeded run that learns a 1-D
// Gaussian, errors.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "soma/autograd.h"
#include "soma/models/gan.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::models {
namespace {

using test::expect_close;
using test::expect_error;

std::shared_ptr<nn::Linear> linear(std::int64_t in, std::int64_t out) {
    return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out});
}

std::shared_ptr<nn::Sequential> mlp(std::int64_t in, std::int64_t hidden, std::int64_t out) {
    return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        linear(in, hidden), std::make_shared<nn::LeakyReLU>(0.2), linear(hidden, out)});
}

std::vector<Tensor> snapshot(nn::Module& m) {
    std::vector<Tensor> v;
    for (const Tensor& p : m.parameters()) v.push_back(p.detach().clone());
    return v;
}

bool same(const std::vector<Tensor>& a, nn::Module& m) {
    const std::vector<Tensor> b = m.parameters();
    for (std::size_t i = 0; i < a.size(); ++i)
        if (max(abs(a[i] - b[i].detach())).item() != 0) return false;
    return true;
}

TEST(GAN, EachUpdateTouchesOnlyItsNetwork) {
    manual_seed(1);
    GAN gan(mlp(2, 8, 3), mlp(3, 8, 1), {.latent_dim = 2});
    Tensor real = randn({6, 3});
    auto g0 = snapshot(*gan.generator), d0 = snapshot(*gan.discriminator);
    gan.train_discriminator(real);
    EXPECT_TRUE(same(g0, *gan.generator));
    EXPECT_FALSE(same(d0, *gan.discriminator));
    auto d1 = snapshot(*gan.discriminator);
    gan.train_generator(6);
    EXPECT_FALSE(same(g0, *gan.generator));
    EXPECT_TRUE(same(d1, *gan.discriminator));
    // Adam's betas default to DCGAN's.
    EXPECT_EQ(gan.options().betas, (std::pair<double, double>{0.5, 0.999}));
}

// The losses from D's logits, computed by hand with the same noise.
TEST(GAN, LossesFollowTheirFormulas) {
    for (GANLoss kind : {GANLoss::NonSaturating, GANLoss::Minimax}) {
        manual_seed(2);
        Generator noise(3), again(3);
        GAN gan(mlp(2, 4, 3), mlp(3, 4, 1),
                {.latent_dim = 2, .loss = kind, .label_smoothing = 0.1, .gen = &noise});
        Tensor real = randn({5, 3});
        // What the discriminator update will see: G(z) for the next draw of `noise`.
        Tensor fake, on_real, on_fake;
        {
            NoGrad no_grad;
            fake = gan.generator->forward(randn({5, 2}, &again));
            on_real = gan.discriminator->forward(real);
            on_fake = gan.discriminator->forward(fake);
        }
        auto softplus = [](const Tensor& x) { return log(exp(x) + 1.0); };  // -log(1 - σ(x))
        // -log σ(r) smoothed: -(1 - s) log σ(r) - s log(1 - σ(r)) = softplus(r) - (1 - s) r.
        const double d_expected =
            mean(softplus(on_real) - on_real * 0.9).item() + mean(softplus(on_fake)).item();
        GANStepStats s = gan.train_discriminator(real);
        EXPECT_NEAR(s.d_loss, d_expected, 1e-5);
        EXPECT_NEAR(s.d_real, mean(sigmoid(on_real)).item(), 1e-6);
        EXPECT_NEAR(s.d_fake, mean(sigmoid(on_fake)).item(), 1e-6);

        // The generator's loss on its next draw, through the updated D.
        Tensor logits;
        {
            NoGrad no_grad;
            logits = gan.discriminator->forward(gan.generator->forward(randn({5, 2}, &again)));
        }
        const double g_expected = kind == GANLoss::NonSaturating
                                      ? mean(softplus(-logits)).item()   // -log σ(x)
                                      : -mean(softplus(logits)).item();  // log(1 - σ(x))
        EXPECT_NEAR(gan.train_generator(5), g_expected, 1e-5);
    }
}

TEST(GAN, PackingJudgesSamplesTogether) {
    manual_seed(4);
    // D sees pairs: (N, 3) -> (N / 2, 6).
    GAN gan(mlp(2, 4, 3), mlp(6, 4, 1), {.latent_dim = 2, .pack = 2});
    Tensor x = randn({4, 3});
    Tensor logits = gan.discriminate(x);
    EXPECT_EQ(logits.shape(), (Shape{2, 1}));
    Tensor pairs = x.reshape({2, 6});  // rows 0,1 side by side, then rows 2,3
    expect_close(logits, gan.discriminator->forward(pairs), 1e-6, 1e-6, "packed");
    GANStepStats s = gan.step(x);
    EXPECT_TRUE(std::isfinite(s.d_loss) && std::isfinite(s.g_loss));
    expect_error(
        [&] {
            gan.discriminate(randn({3, 3}));
        },
        "a batch of 3 samples cannot be packed in groups of 2");
}

// Real data N(3, 0.5²) in 1-D; G(z) = a z + b must move its mean to 3 and its spread near 0.5.
TEST(GAN, LearnsAOneDimensionalGaussian) {
    manual_seed(6);
    Generator noise(6), data(7);
    auto g = std::make_shared<nn::Sequential>(
        std::initializer_list<std::shared_ptr<nn::Module>>{linear(1, 1)});
    GAN gan(g, mlp(1, 16, 1), {.latent_dim = 1, .lr_g = 5e-3, .lr_d = 5e-3, .gen = &noise});
    for (int step = 0; step < 1500; ++step) gan.step(randn({64, 1}, &data) * 0.5 + 3.0);
    Tensor s = gan.sample(2000);
    const double m = mean(s).item(), sd = std::sqrt(mean(pow(s - m, 2.0)).item());
    EXPECT_NEAR(m, 3.0, 0.3);
    EXPECT_NEAR(sd, 0.5, 0.25);
}

TEST(GAN, Errors) {
    expect_error([] { GAN(mlp(2, 4, 3), mlp(3, 4, 1), {.latent_dim = 0}); },
                 "latent_dim must be positive");
    expect_error([] { GAN(mlp(2, 4, 3), mlp(3, 4, 1), {.label_smoothing = 1}); },
                 "label_smoothing must be in [0, 1)");
    expect_error([] { GAN(mlp(2, 4, 3), mlp(3, 4, 1), {.d_steps = 0}); }, "d_steps must be >= 1");
    expect_error([] { GAN(nullptr, mlp(3, 4, 1), {}); }, "needs a generator and a discriminator");
    GAN gan(mlp(2, 4, 3), mlp(3, 4, 2), {.latent_dim = 2});
    expect_error([&] { gan.step(randn({4, 3})); }, "one logit per sample");
    expect_error([&] { gan.step(randn({4})); }, "real samples must be (N, ...)");
}

}  // namespace
}  // namespace soma::models
