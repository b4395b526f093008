#pragma once
// Generative adversarial networks (Goodfellow et al. 2014), as the lecture's slide states
// them: a generator G maps noise z to samples, a discriminator D gives the probability that
// its input is real, D is trained to tell real from generated and G to fool D.
//
//   auto g = ...;  // z (N, latent_dim) -> samples (N, ...)
//   auto d = ...;  // samples (N / pack, pack * C, ...) -> logits (N / pack, 1)
//   models::GAN gan(g, d, {.latent_dim = 2});
//   for (Tensor real : batches) models::GANStepStats s = gan.step(real);
//   Tensor fake = gan.sample(2500);
//
// One step: d_steps discriminator updates, each on the real batch and a fresh generated batch
// of the same size (detached: no gradient into G), then one generator update on a fresh batch.
// The discriminator outputs logits; the losses are computed from them stably:
//   D:  -log D(x) - log(1 - D(G(z)))     (the real target is 1 - label_smoothing: one-sided
//                                          label smoothing, Salimans et al. 2016)
//   G, NonSaturating (the default, as in most implementations): -log D(G(z)). The slide's
//       minimax loss log(1 - D(G(z))) has a vanishing gradient exactly when D wins, early in
//       training; the non-saturating one has the same fixed point and a strong gradient there.
//   G, Minimax: log(1 - D(G(z))), the slide's objective, for comparison.
// Separate Adam optimisers for G and D, betas (0.5, 0.999) by default (Radford et al. 2016).
//
// pack > 1 is PacGAN (Lin et al. 2018): D judges `pack` samples at once, concatenated along
// dimension 1 (features of a (N, F) batch, channels of a (N, C, H, W) one), which lets it see
// a lack of diversity and so penalises mode collapse. Batch sizes must be multiples of pack.
//
// Both networks stay in whatever mode they are in (a batch-norm layer in G is usually left in
// training mode throughout, as DCGAN does). Noise comes from `gen` (or the default generator).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "soma/nn/module.h"
#include "soma/optim/adam.h"
#include "soma/random.h"

namespace soma::models {

enum class GANLoss { NonSaturating, Minimax };

struct GANOptions {
    std::int64_t latent_dim = 64;
    GANLoss loss = GANLoss::NonSaturating;
    double lr_g = 2e-4, lr_d = 2e-4;
    std::pair<double, double> betas = {0.5, 0.999};
    double label_smoothing = 0;  // the discriminator's real target is 1 - label_smoothing
    std::int64_t d_steps = 1;    // discriminator updates per generator update
    std::int64_t pack = 1;       // samples the discriminator judges together (PacGAN)
    Generator* gen = nullptr;    // noise; null: the default generator
};

struct GANStepStats {
    double d_loss = 0, g_loss = 0;  // the last discriminator update's loss; the generator's
    double d_real = 0, d_fake = 0;  // D's mean probability "real" on real and generated samples
};

class GAN : public nn::Module {
public:
    GAN(std::shared_ptr<nn::Module> generator, std::shared_ptr<nn::Module> discriminator,
        GANOptions options);

    // d_steps discriminator updates on `real` (N, ...), then one generator update.
    GANStepStats step(const Tensor& real);
    // The two halves, for callers who feed each discriminator update its own batch.
    GANStepStats train_discriminator(const Tensor& real);
    double train_generator(std::int64_t n);

    // z ~ N(0, I): (n, latent_dim).
    Tensor noise(std::int64_t n);
    // n samples of G under NoGrad: (n, ...).
    Tensor sample(std::int64_t n);
    // x (N, ...) -> D's logits (N / pack, 1), packing `pack` consecutive samples into one.
    Tensor discriminate(const Tensor& x);

    std::string type_name() const override { return "GAN"; }
    std::string extra_repr() const override;
    void visit(nn::Visitor& v) override;

    const GANOptions& options() const { return o_; }
    optim::Adam& optimizer_g() { return *opt_g_; }
    optim::Adam& optimizer_d() { return *opt_d_; }

    std::shared_ptr<nn::Module> generator, discriminator;

private:
    GANOptions o_;
    std::unique_ptr<optim::Adam> opt_g_, opt_d_;
};

}  // namespace soma::models
