#pragma once
// The variational auto-encoder of the lecture's slide (Kingma & Welling 2014): an encoder maps
// x to the mean μ and log-variance log σ² of a Gaussian over a latent code, a sample
// y = μ + ε ⊙ σ (ε ~ N(0, I), the reparameterisation that lets gradients reach μ and σ) goes
// through a decoder back to x, and the loss is the reconstruction error plus β times
// KL(N(μ, σ²) || N(0, I)).
//
//   auto vae = models::mlp_vae({.input_dim = 784, .hidden = {64, 32},
//                               .vae = {.latent_dim = 2}});      // the slide's example
//   models::VAEOutput out = vae->forward(x);                   // x: (N, 1, 28, 28) in [0, 1]
//   models::VAELoss l = vae->loss(x, out);                     // l.loss: scalar, per example
//   l.loss.backward();
//   auto [mu, logvar] = vae->encode(x);                        // (N, 2) each
//   Tensor images = vae->sample(64);                           // (64, 784): decoded N(0, I)
//
// Reconstruction, summed over an example's elements as in the paper (so that it weighs
// against the KL term the way the ELBO says), then averaged over the batch:
//   Bernoulli: binary cross-entropy of sigmoid(decoder output) against x in [0, 1] (computed
//              from the logits, stably); the decoder's output are logits.
//   Gaussian:  squared error against x (a unit-variance Gaussian up to a factor 1/2 and a
//              constant, what PyTorch code writes as mse_loss(..., reduction='sum')); the
//              decoder's output is the mean.
// β = 1 is the ELBO; β > 1 trades reconstruction for a more factorised code (β-VAE).
//
// The sample in forward is drawn in training and in evaluation mode alike (an evaluation of
// the loss is then the same estimate of the ELBO that training sees); for a deterministic
// reconstruction decode μ. Noise comes from `gen` (or the generator given at construction, or
// the default generator).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "soma/nn/linear.h"
#include "soma/nn/module.h"
#include "soma/random.h"

namespace soma::models {

enum class VAELikelihood { Bernoulli, Gaussian };

struct VAEOptions {
    std::int64_t latent_dim = 2;
    double beta = 1.0;
    VAELikelihood likelihood = VAELikelihood::Bernoulli;
};

struct VAEOutput {
    Tensor output;      // the decoder's output for z, x's shape: logits (Bernoulli) or means
    Tensor mu, logvar;  // (N, latent_dim)
    Tensor z;           // (N, latent_dim): the sample μ + ε ⊙ σ
};

struct VAELoss {
    Tensor loss;            // (): reconstruction + β · kl
    Tensor reconstruction;  // (): summed per example, mean over the batch
    Tensor kl;              // (): summed per example, mean over the batch
};

class VAE : public nn::Module {
public:
    // encoder: x (N, ...) -> features (N, features); decoder: z (N, latent_dim) -> anything with
    // x's number of elements per example (it is reshaped to x's shape). The heads mapping the
    // features to μ and log σ² are the VAE's own (Linear features -> latent_dim each).
    VAE(std::shared_ptr<nn::Module> encoder, std::int64_t features,
        std::shared_ptr<nn::Module> decoder, VAEOptions options, Generator* gen = nullptr);

    // x (N, ...) -> μ, log σ², (N, latent_dim) each.
    std::pair<Tensor, Tensor> encode(const Tensor& x);
    // μ + ε ⊙ exp(log σ² / 2), ε ~ N(0, I) drawn from gen.
    Tensor reparameterize(const Tensor& mu, const Tensor& logvar, Generator* gen = nullptr);
    // z (N, latent_dim) -> the decoder's raw output (logits or means).
    Tensor decode_output(const Tensor& z);
    // z (N, latent_dim) -> the mean of p(x | z): sigmoid of the logits (Bernoulli) or the
    // decoder's output (Gaussian). What a picture of a decoded code shows.
    Tensor decode(const Tensor& z);
    VAEOutput forward(const Tensor& x, Generator* gen = nullptr);
    VAELoss loss(const Tensor& x, const VAEOutput& out) const;
    // n codes from the prior N(0, I), decoded: (n, decoder's output shape...).
    Tensor sample(std::int64_t n, Generator* gen = nullptr);

    std::string type_name() const override { return "VAE"; }
    std::string extra_repr() const override;
    void visit(nn::Visitor& v) override;

    const VAEOptions& options() const { return o_; }

    std::shared_ptr<nn::Module> encoder, decoder;
    nn::Linear fc_mu, fc_logvar;

private:
    Generator* noise(Generator* gen) const;
    VAEOptions o_;
    Generator* gen_;
};

// The slide's fully connected VAE: encoder input_dim -> hidden[0] -> ... -> hidden.back() ->
// (μ, log σ²), decoder latent_dim -> hidden reversed -> input_dim, ReLU after every hidden
// layer. An input of any shape with input_dim elements per example is flattened
// ((N, 1, 28, 28) works); the output is given x's shape by forward, and (N, input_dim) by
// decode and sample.
struct MlpVAEOptions {
    std::int64_t input_dim = 784;
    std::vector<std::int64_t> hidden = {64, 32};
    VAEOptions vae{};
    Generator* gen = nullptr;  // initialisation and noise; null: the default generator
};
std::shared_ptr<VAE> mlp_vae(const MlpVAEOptions& o);

}  // namespace soma::models
