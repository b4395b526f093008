#pragma once
// Ready-made networks for the generative recipes (train/generative.h): a convolutional VAE for
// 28x28 grey images, and generators and discriminators for models::GAN, fully connected (2-D
// points or images) and DCGAN-style (Radford et al. 2016) for 28x28 images.
//
//   auto vae = models::conv_vae({.vae = {.latent_dim = 16}});    // x: (N, 1, 28, 28) in [0, 1]
//   auto g = models::dcgan_generator(64);                         // z (N, 64) -> (N, 1, 28, 28)
//   auto d = models::dcgan_discriminator(2);                      // (N/2, 2, 28, 28) -> (N/2, 1)
//   models::GAN gan(g, d, {.latent_dim = 64, .pack = 2});
//
// GAN images live in [-1, 1] (the generators end in Tanh); scale data x in [0, 1] as 2x - 1.
// Discriminators take `pack` samples at once, concatenated along dimension 1 as models::GAN
// packs them (PacGAN), and give one logit per pack.

#include <cstdint>
#include <memory>
#include <vector>

#include "soma/models/packed_discriminator.h"
#include "soma/models/vae.h"
#include "soma/nn/container.h"
#include "soma/random.h"

namespace soma::models {

// Encoder: Conv2d(1, 32, 4, 2, 1) - ReLU - Conv2d(32, 64, 4, 2, 1) - ReLU - Flatten -
// Linear(64*7*7, hidden) - ReLU, then the VAE's heads to (μ, log σ²). Decoder: Linear(latent,
// hidden) - ReLU - Linear(hidden, 64*7*7) - ReLU - Unflatten(64, 7, 7) - ConvTranspose2d(64, 32,
// 4, 2, 1) - ReLU - ConvTranspose2d(32, 1, 4, 2, 1): logits (Bernoulli) or means (Gaussian) of
// shape (N, 1, 28, 28).
struct ConvVAEOptions {
    std::int64_t hidden = 256;
    VAEOptions vae{.latent_dim = 16};
    Generator* gen = nullptr;  // initialisation and noise; null: the default generator
};
std::shared_ptr<VAE> conv_vae(const ConvVAEOptions& o);

// latent_dim -> hidden[0] -> ... -> prod(out_shape), LeakyReLU(0.2) after every hidden layer,
// then Tanh (images in [-1, 1]) or nothing (points anywhere), reshaped to (N, *out_shape) when
// out_shape has more than one dimension.
struct MlpGeneratorOptions {
    std::int64_t latent_dim = 64;
    std::vector<std::int64_t> hidden = {256, 256};
    std::vector<std::int64_t> out_shape = {2};  // one sample: {2} a point, {1, 28, 28} an image
    bool tanh = false;
    Generator* gen = nullptr;  // initialisation; null: the default generator
};
std::shared_ptr<nn::Sequential> mlp_generator(const MlpGeneratorOptions& o);

// Flatten - (pack * in_features) -> hidden[0] -> ... -> 1 logit, LeakyReLU(0.2) after every
// hidden layer. in_features: the elements of one sample (2 for points, 784 for 28x28 images).
struct MlpDiscriminatorOptions {
    std::int64_t in_features = 2;
    std::vector<std::int64_t> hidden = {256, 256};
    std::int64_t pack = 1;
    Generator* gen = nullptr;
};
std::shared_ptr<nn::Sequential> mlp_discriminator(const MlpDiscriminatorOptions& o);
// The same widths as a models::PackedDiscriminator (pack > 1): every hidden layer but the last
// sees one sample at a time (shared across the pack), the last sees the pack's features side by
// side: per_sample = Flatten - in_features -> hidden[0] -> ... -> hidden[k-2], joint =
// (pack * hidden[k-2]) -> hidden[k-1] -> 1 logit. What `soma train gan --pack` uses for mlp: on
// the 2-D mixtures the concatenating discriminator above learned the modes' fine structure far
// more slowly (models/packed_discriminator.h says why).
std::shared_ptr<nn::Module> packed_mlp_discriminator(const MlpDiscriminatorOptions& o);

// z (N, latent_dim) -> Linear(latent_dim, 128*7*7) - BatchNorm1d - ReLU - Unflatten(128, 7, 7) -
// ConvTranspose2d(128, 64, 4, 2, 1) - BatchNorm2d - ReLU - ConvTranspose2d(64, 1, 4, 2, 1) -
// Tanh: (N, 1, 28, 28) in [-1, 1].
std::shared_ptr<nn::Sequential> dcgan_generator(std::int64_t latent_dim, Generator* gen = nullptr);
// (N / pack, pack, 28, 28) -> Conv2d(pack, 64, 4, 2, 1) - LeakyReLU(0.2) - Conv2d(64, 128, 4, 2,
// 1) - BatchNorm2d - LeakyReLU(0.2) - Flatten - Linear(128*7*7, 1): (N / pack, 1) logits.
std::shared_ptr<nn::Sequential> dcgan_discriminator(std::int64_t pack = 1,
                                                    Generator* gen = nullptr);
// Both DCGAN nets are initialised as the paper says: convolution weights from N(0, 0.02²) (their
// biases 0), batch-norm scales from N(1, 0.02²) and their shifts 0 (Linear layers keep PyTorch's
// default).

}  // namespace soma::models
