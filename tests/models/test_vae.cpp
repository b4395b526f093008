// models::VAE: the slide's MLP shapes and names, the loss against its formula, the
// reparameterisation's gradients, a float64 gradient check of the whole loss, a seeded run
// that learns two clusters apart, errors.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "soma/autograd.h"
#include "soma/models/vae.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "support/op_harness.h"
#include "support/set_params.h"

namespace soma::models {
namespace {

using test::expect_close;
using test::expect_error;

TEST(VAE, TheSlidesShapesAndNames) {
    manual_seed(1);
    auto vae = mlp_vae({.input_dim = 784, .hidden = {64, 32}, .vae = {.latent_dim = 2}});
    std::vector<std::string> names;
    for (const auto& [n, t] : vae->named_parameters()) names.push_back(n + " " + t.shape().str());
    EXPECT_EQ(names,
              (std::vector<std::string>{
                  "encoder.1.weight (64, 784)", "encoder.1.bias (64,)", "encoder.3.weight (32, 64)",
                  "encoder.3.bias (32,)", "fc_mu.weight (2, 32)", "fc_mu.bias (2,)",
                  "fc_logvar.weight (2, 32)", "fc_logvar.bias (2,)", "decoder.0.weight (32, 2)",
                  "decoder.0.bias (32,)", "decoder.2.weight (64, 32)", "decoder.2.bias (64,)",
                  "decoder.4.weight (784, 64)", "decoder.4.bias (784,)"}));
    Tensor x = rand({5, 1, 28, 28});
    VAEOutput out = vae->forward(x);
    EXPECT_EQ(out.output.shape(), x.shape());
    EXPECT_EQ(out.mu.shape(), (Shape{5, 2}));
    EXPECT_EQ(out.z.shape(), (Shape{5, 2}));
    EXPECT_EQ(vae->sample(3).shape(), (Shape{3, 784}));
    const Tensor s = vae->sample(3);
    EXPECT_GE(min(s).item(), 0.0f);  // Bernoulli means
    EXPECT_LE(max(s).item(), 1.0f);
}

TEST(VAE, LossIsReconstructionPlusBetaKl) {
    manual_seed(2);
    for (VAELikelihood lik : {VAELikelihood::Bernoulli, VAELikelihood::Gaussian}) {
        auto vae = mlp_vae({.input_dim = 6,
                            .hidden = {5},
                            .vae = {.latent_dim = 3, .beta = 0.5, .likelihood = lik}});
        Tensor x = rand({4, 6});
        VAEOutput out = vae->forward(x);
        VAELoss l = vae->loss(x, out);
        // Per example: summed over the 6 elements, then the mean over the 4 examples.
        const std::vector<float> y = out.output.to_vector<float>(), t = x.to_vector<float>();
        double rec = 0;
        for (std::size_t i = 0; i < y.size(); ++i)
            rec += lik == VAELikelihood::Bernoulli
                       ? std::log1p(std::exp(-std::fabs(y[i]))) + std::max(y[i], 0.0f) - y[i] * t[i]
                       : (y[i] - t[i]) * (y[i] - t[i]);
        const std::vector<float> mu = out.mu.to_vector<float>(), lv = out.logvar.to_vector<float>();
        double kl = 0;
        for (std::size_t i = 0; i < mu.size(); ++i)
            kl += -0.5 * (1 + lv[i] - mu[i] * mu[i] - std::exp(lv[i]));
        EXPECT_NEAR(l.reconstruction.item(), rec / 4, 1e-4);
        EXPECT_NEAR(l.kl.item(), kl / 4, 1e-5);
        EXPECT_NEAR(l.loss.item(), rec / 4 + 0.5 * kl / 4, 1e-4);
    }
}

TEST(VAE, ReparameterisationCarriesGradientsToMuAndSigma) {
    auto vae = mlp_vae({.input_dim = 4, .hidden = {3}, .vae = {.latent_dim = 2}});
    Tensor mu = from_vector(std::vector<double>{0.5, -1.0}, {1, 2}).requires_grad_();
    Tensor logvar = from_vector(std::vector<double>{0.2, -0.4}, {1, 2}).requires_grad_();
    Generator g1(9), g2(9);
    Tensor z = vae->reparameterize(mu, logvar, &g1);
    Tensor eps = randn({1, 2}, &g2, kFloat64);  // the same draw
    sum(z).backward();
    expect_close(z.detach(), mu.detach() + exp(logvar.detach() * 0.5) * eps, 1e-12, 1e-12, "z");
    expect_close(mu.grad(), ones({1, 2}, kFloat64), 1e-12, 1e-12, "dz/dmu");
    expect_close(logvar.grad(), exp(logvar.detach() * 0.5) * eps * 0.5, 1e-12, 1e-12, "dz/dlogvar");
}

TEST(VAE, GradCheckOfTheLoss) {
    manual_seed(3);
    auto vae = mlp_vae({.input_dim = 4, .hidden = {3}, .vae = {.latent_dim = 2, .beta = 2}});
    vae->to_double();
    Tensor x = rand({3, 4}, nullptr, kFloat64);
    std::vector<Tensor> inputs;
    for (Tensor& p : vae->parameters()) inputs.push_back(p.detach());
    auto f = [&](const std::vector<Tensor>& in) {
        test::SetParams set(in, 0);
        vae->visit(set);
        Generator same(4);  // the same ε in every evaluation
        return vae->loss(x, vae->forward(x, &same)).loss;
    };
    auto r = autograd::grad_check(f, inputs);
    EXPECT_TRUE(r.ok) << r.message;
}

// Two clusters of 12-pixel binary-ish images: the code's means must separate them, and the loss
// must fall well below its start.
TEST(VAE, LearnsTwoClustersApart) {
    manual_seed(5);
    Generator gen(5);
    const std::int64_t n = 64, d = 12;
    std::vector<float> pixels(n * d);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < d; ++j)
            pixels[i * d + j] = ((i % 2 == 0) == (j < d / 2)) ? 0.95f : 0.05f;
    Tensor x = from_vector(pixels, {n, d});
    auto vae = mlp_vae({.input_dim = d, .hidden = {16}, .vae = {.latent_dim = 1}, .gen = &gen});
    optim::Adam adam(vae->parameters(), {.lr = 1e-2});
    double first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
        VAELoss l = vae->loss(x, vae->forward(x));
        adam.zero_grad();
        l.loss.backward();
        adam.step();
        (step == 0 ? first : last) = l.loss.item();
    }
    EXPECT_LT(last, 0.6 * first) << first << " -> " << last;
    NoGrad no_grad;
    const std::vector<float> mu = vae->encode(x).first.to_vector<float>();
    double even = 0, odd = 0;
    for (std::int64_t i = 0; i < n; ++i) (i % 2 ? odd : even) += mu[i] / (n / 2);
    EXPECT_GT(std::fabs(even - odd), 1.0) << even << " vs " << odd;
    // Decoding a cluster's mean code gives that cluster's picture.
    Tensor back = vae->decode(from_vector(std::vector<float>{static_cast<float>(even)}, {1, 1}));
    EXPECT_GT(back.select(1, 0).item(), 0.8f);
    EXPECT_LT(back.select(1, d - 1).item(), 0.2f);
}

TEST(VAE, Errors) {
    auto vae = mlp_vae({.input_dim = 4, .hidden = {3}, .vae = {.latent_dim = 2}});
    expect_error([&] { vae->decode(zeros({2, 3})); }, "VAE: z must be (N, 2), got (2, 3)");
    expect_error([&] { vae->forward(zeros({2, 5})); }, "Linear");
    expect_error([&] { vae->forward(zeros({4})); }, "x must be (N, ...) with a batch dimension");
    expect_error([&] { vae->sample(0); }, "n must be positive");
    expect_error([] { mlp_vae({.input_dim = 4, .hidden = {}}); }, "at least one hidden size");
    expect_error([] { mlp_vae({.input_dim = 4, .hidden = {3}, .vae = {.beta = -1}}); },
                 "beta must be >= 0");
    expect_error([] { mlp_vae({.input_dim = 4, .hidden = {3}, .vae = {.latent_dim = 0}}); },
                 "latent_dim must be positive");
}

}  // namespace
}  // namespace soma::models
