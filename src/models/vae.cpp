#include "soma/models/vae.h"

#include <cmath>
#include <tuple>

#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

constexpr const char* kName = "VAE";

nn::LinearOptions head(std::int64_t features, std::int64_t latent, Generator* gen) {
    check(features > 0, kName, ": features must be positive, got ", features);
    check(latent > 0, kName, ": latent_dim must be positive, got ", latent);
    return {.in = features, .out = latent, .gen = gen};
}

}  // namespace

VAE::VAE(std::shared_ptr<nn::Module> enc, std::int64_t features, std::shared_ptr<nn::Module> dec,
         VAEOptions options, Generator* gen)
    : encoder(std::move(enc)),
      decoder(std::move(dec)),
      fc_mu(head(features, options.latent_dim, gen)),
      fc_logvar(head(features, options.latent_dim, gen)),
      o_(options),
      gen_(gen) {
    check(encoder && decoder, kName, ": needs an encoder and a decoder");
    check(std::isfinite(o_.beta) && o_.beta >= 0, kName, ": beta must be >= 0, got ", o_.beta);
}

void VAE::visit(nn::Visitor& v) {
    v.module("encoder", *encoder);
    v.module("fc_mu", fc_mu);
    v.module("fc_logvar", fc_logvar);
    v.module("decoder", *decoder);
}

std::string VAE::extra_repr() const {
    return "latent_dim=" + std::to_string(o_.latent_dim) + ", beta=" + std::to_string(o_.beta) +
           ", likelihood=" + (o_.likelihood == VAELikelihood::Bernoulli ? "bernoulli" : "gaussian");
}

Generator* VAE::noise(Generator* gen) const { return gen ? gen : gen_; }

std::pair<Tensor, Tensor> VAE::encode(const Tensor& x) {
    check(x.defined() && x.dim() >= 2, kName, ": x must be (N, ...) with a batch dimension, got ",
          x.defined() ? x.shape() : Shape{});
    Tensor h = encoder->forward(x);  // (N, features)
    check(h.dim() == 2 && h.size(0) == x.size(0) && h.size(1) == fc_mu.in_features(), kName,
          ": the encoder must give (N, ", fc_mu.in_features(), ") features for ", x.shape(),
          ", got ", h.shape());
    return {fc_mu(h), fc_logvar(h)};
}

Tensor VAE::reparameterize(const Tensor& mu, const Tensor& logvar, Generator* gen) {
    check(mu.shape() == logvar.shape(), kName, ": mu ", mu.shape(), " and logvar ", logvar.shape(),
          " differ in shape");
    // ε carries no gradient; μ and σ = exp(log σ² / 2) do.
    return mu + exp(logvar * 0.5) * randn(mu.shape(), noise(gen), mu.dtype());
}

Tensor VAE::decode_output(const Tensor& z) {
    check(z.dim() == 2 && z.size(1) == o_.latent_dim, kName, ": z must be (N, ", o_.latent_dim,
          "), got ", z.shape());
    return decoder->forward(z);
}

Tensor VAE::decode(const Tensor& z) {
    Tensor out = decode_output(z);
    return o_.likelihood == VAELikelihood::Bernoulli ? sigmoid(out) : out;
}

VAEOutput VAE::forward(const Tensor& x, Generator* gen) {
    VAEOutput out;
    std::tie(out.mu, out.logvar) = encode(x);
    out.z = reparameterize(out.mu, out.logvar, gen);
    Tensor y = decode_output(out.z);
    check(y.numel() == x.numel(), kName, ": the decoder gives ", y.shape(), " for an input ",
          x.shape(), ": not the same number of elements");
    out.output = y.reshape(x.shape());
    return out;
}

VAELoss VAE::loss(const Tensor& x, const VAEOutput& out) const {
    check(out.output.shape() == x.shape(), kName, "::loss: output ", out.output.shape(), " and x ",
          x.shape(), " differ in shape");
    const double n = static_cast<double>(x.size(0));
    VAELoss l;
    l.reconstruction =
        (o_.likelihood == VAELikelihood::Bernoulli
             ? nn::binary_cross_entropy_with_logits(out.output, x, nn::Reduction::Sum)
             : nn::mse_loss(out.output, x, nn::Reduction::Sum)) /
        n;
    l.kl = nn::kl_normal(out.mu, out.logvar) / n;
    l.loss = l.reconstruction + l.kl * o_.beta;
    return l;
}

Tensor VAE::sample(std::int64_t n, Generator* gen) {
    check(n > 0, kName, "::sample: n must be positive, got ", n);
    return decode(randn({n, o_.latent_dim}, noise(gen), fc_mu.weight.dtype()));
}

std::shared_ptr<VAE> mlp_vae(const MlpVAEOptions& o) {
    check(o.input_dim > 0 && !o.hidden.empty(), "mlp_vae: needs input_dim > 0 and at least one ",
          "hidden size");
    check(o.vae.latent_dim > 0, "mlp_vae: latent_dim must be positive, got ", o.vae.latent_dim);
    auto linear = [&](std::int64_t in, std::int64_t out) {
        check(out > 0, "mlp_vae: sizes must be positive, got ", out);
        return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out, .gen = o.gen});
    };
    auto encoder = std::make_shared<nn::Sequential>();
    encoder->push_back(std::make_shared<nn::Flatten>());
    std::int64_t width = o.input_dim;
    for (std::int64_t h : o.hidden) {
        encoder->push_back(linear(width, h));
        encoder->push_back(std::make_shared<nn::ReLU>());
        width = h;
    }
    auto decoder = std::make_shared<nn::Sequential>();
    width = o.vae.latent_dim;
    for (auto it = o.hidden.rbegin(); it != o.hidden.rend(); ++it) {
        decoder->push_back(linear(width, *it));
        decoder->push_back(std::make_shared<nn::ReLU>());
        width = *it;
    }
    decoder->push_back(linear(width, o.input_dim));
    return std::make_shared<VAE>(encoder, o.hidden.back(), decoder, o.vae, o.gen);
}

}  // namespace soma::models
