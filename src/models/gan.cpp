#include "soma/models/gan.h"

#include <cmath>

#include "soma/autograd.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

constexpr const char* kName = "GAN";

GANOptions checked(GANOptions o) {
    check(o.latent_dim > 0, kName, ": latent_dim must be positive, got ", o.latent_dim);
    check(std::isfinite(o.lr_g) && o.lr_g > 0 && std::isfinite(o.lr_d) && o.lr_d > 0, kName,
          ": lr_g and lr_d must be > 0, got ", o.lr_g, " and ", o.lr_d);
    check(o.label_smoothing >= 0 && o.label_smoothing < 1, kName,
          ": label_smoothing must be in [0, 1), got ", o.label_smoothing);
    check(o.d_steps >= 1, kName, ": d_steps must be >= 1, got ", o.d_steps);
    check(o.pack >= 1, kName, ": pack must be >= 1, got ", o.pack);
    return o;
}

// The logits' mean sigmoid: D's average belief that its inputs are real.
double mean_probability(const Tensor& logits) {
    return mean(sigmoid(logits.detach())).to(kFloat64).item<double>();
}

}  // namespace

GAN::GAN(std::shared_ptr<nn::Module> g, std::shared_ptr<nn::Module> d, GANOptions options)
    : generator(std::move(g)), discriminator(std::move(d)), o_(checked(options)) {
    check(generator && discriminator, kName, ": needs a generator and a discriminator");
    opt_g_ = std::make_unique<optim::Adam>(generator->parameters(),
                                           optim::AdamOptions{.lr = o_.lr_g, .betas = o_.betas});
    opt_d_ = std::make_unique<optim::Adam>(discriminator->parameters(),
                                           optim::AdamOptions{.lr = o_.lr_d, .betas = o_.betas});
}

void GAN::visit(nn::Visitor& v) {
    v.module("generator", *generator);
    v.module("discriminator", *discriminator);
}

std::string GAN::extra_repr() const {
    return "latent_dim=" + std::to_string(o_.latent_dim) +
           ", loss=" + (o_.loss == GANLoss::NonSaturating ? "non-saturating" : "minimax") +
           ", d_steps=" + std::to_string(o_.d_steps) + ", pack=" + std::to_string(o_.pack);
}

Tensor GAN::noise(std::int64_t n) {
    check(n > 0, kName, ": the number of samples must be positive, got ", n);
    return randn({n, o_.latent_dim}, o_.gen);
}

Tensor GAN::sample(std::int64_t n) {
    NoGrad no_grad;
    return generator->forward(noise(n));
}

Tensor GAN::discriminate(const Tensor& x) {
    check(x.defined() && x.dim() >= 2, kName, ": samples must be (N, ...) with N >= 1, got ",
          x.defined() ? x.shape() : Shape{});
    const std::int64_t n = x.size(0);
    check(n % o_.pack == 0, kName, ": a batch of ", n, " samples cannot be packed in groups of ",
          o_.pack);
    Tensor packed = x;
    if (o_.pack > 1) {
        // (N, C, ...) -> (N / pack, pack * C, ...): consecutive samples side by side.
        Shape s = x.shape();
        s[0] = n / o_.pack;
        s[1] *= o_.pack;
        packed = x.contiguous().reshape(s);
    }
    Tensor logits = discriminator->forward(packed);
    check(logits.numel() == n / o_.pack, kName, ": the discriminator must give one logit per ",
          o_.pack == 1 ? "sample" : "pack of samples", ", got ", logits.shape(), " for ",
          packed.shape());
    return logits.reshape({n / o_.pack, 1});
}

GANStepStats GAN::train_discriminator(const Tensor& real) {
    const std::int64_t n = real.size(0);
    Tensor fake;
    {
        NoGrad no_grad;  // no graph through G: D's update must not reach it
        fake = generator->forward(noise(n));
    }
    opt_d_->zero_grad();
    Tensor on_real = discriminate(real), on_fake = discriminate(fake);
    Tensor target_real = full(on_real.shape(), 1.0 - o_.label_smoothing, on_real.dtype());
    Tensor loss = nn::binary_cross_entropy_with_logits(on_real, target_real) +
                  nn::binary_cross_entropy_with_logits(on_fake, zeros_like(on_fake));
    loss.backward();
    opt_d_->step();
    GANStepStats s;
    s.d_loss = loss.to(kFloat64).item<double>();
    s.d_real = mean_probability(on_real);
    s.d_fake = mean_probability(on_fake);
    return s;
}

double GAN::train_generator(std::int64_t n) {
    opt_g_->zero_grad();
    Tensor logits = discriminate(generator->forward(noise(n)));
    Tensor loss = o_.loss == GANLoss::NonSaturating
                      ? nn::binary_cross_entropy_with_logits(logits, ones_like(logits))
                      // log(1 - D) = -BCE(logits, 0), whose minimum G seeks.
                      : -nn::binary_cross_entropy_with_logits(logits, zeros_like(logits));
    loss.backward();
    opt_g_->step();
    // D's gradients from this pass are stale before D's next update, which zeroes them.
    return loss.to(kFloat64).item<double>();
}

GANStepStats GAN::step(const Tensor& real) {
    check(real.defined() && real.dim() >= 2 && real.size(0) > 0, kName,
          ": real samples must be (N, ...) with N >= 1, got ",
          real.defined() ? real.shape() : Shape{});
    GANStepStats s;
    for (std::int64_t k = 0; k < o_.d_steps; ++k) s = train_discriminator(real);
    s.g_loss = train_generator(real.size(0));
    return s;
}

}  // namespace soma::models
