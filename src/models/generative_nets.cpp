// The generative recipes' networks: a convolutional VAE, MLP and DCGAN generators and
// discriminators.

#include "soma/models/generative_nets.h"

#include <initializer_list>

#include "soma/nn/activation.h"
#include "soma/nn/conv.h"
#include "soma/nn/init.h"
#include "soma/nn/linear.h"
#include "soma/nn/norm.h"

namespace soma::models {

namespace {

std::shared_ptr<nn::Sequential> sequential(std::initializer_list<std::shared_ptr<nn::Module>> m) {
    return std::make_shared<nn::Sequential>(m);
}

// 28x28 halved twice by stride-2 convolutions.
constexpr std::int64_t kSide = 7;

std::shared_ptr<nn::Linear> linear(std::int64_t in, std::int64_t out, Generator* gen) {
    return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out, .gen = gen});
}

// kernel 4, stride 2, padding 1: halves (Conv2d) or doubles (ConvTranspose2d) the side.
std::shared_ptr<nn::Conv2d> down(std::int64_t in, std::int64_t out, Generator* gen) {
    return std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = in,
                                                          .out_channels = out,
                                                          .kernel_size = 4,
                                                          .stride = 2,
                                                          .padding = 1,
                                                          .gen = gen});
}
std::shared_ptr<nn::ConvTranspose2d> up(std::int64_t in, std::int64_t out, Generator* gen) {
    return std::make_shared<nn::ConvTranspose2d>(nn::ConvTranspose2dOptions{.in_channels = in,
                                                                            .out_channels = out,
                                                                            .kernel_size = 4,
                                                                            .stride = 2,
                                                                            .padding = 1,
                                                                            .gen = gen});
}

// DCGAN's initialisation of a convolution (weight ~ N(0, 0.02²), bias 0) or a batch norm
// (scale ~ N(1, 0.02²), shift 0).
template <class M>
std::shared_ptr<M> dcgan_init(std::shared_ptr<M> m, double mean, Generator* gen) {
    nn::init::normal_(m->weight, mean, 0.02, gen);
    nn::init::zeros_(m->bias);
    return m;
}

void check_widths(const char* name, const std::vector<std::int64_t>& widths) {
    check(!widths.empty(), name, ": needs at least one hidden width");
    for (std::int64_t w : widths) check(w > 0, name, ": hidden widths must be positive, got ", w);
}

}  // namespace

std::shared_ptr<VAE> conv_vae(const ConvVAEOptions& o) {
    check(o.hidden > 0, "conv_vae: hidden must be positive, got ", o.hidden);
    check(o.vae.latent_dim > 0, "conv_vae: latent_dim must be positive, got ", o.vae.latent_dim);
    Generator* gen = o.gen;
    // (N, 1, 28, 28) -> (N, 32, 14, 14) -> (N, 64, 7, 7) -> (N, hidden)
    auto encoder =
        sequential({down(1, 32, gen), std::make_shared<nn::ReLU>(), down(32, 64, gen),
                    std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(),
                    linear(64 * kSide * kSide, o.hidden, gen), std::make_shared<nn::ReLU>()});
    // (N, latent) -> (N, hidden) -> (N, 64, 7, 7) -> (N, 32, 14, 14) -> (N, 1, 28, 28)
    auto decoder =
        sequential({linear(o.vae.latent_dim, o.hidden, gen), std::make_shared<nn::ReLU>(),
                    linear(o.hidden, 64 * kSide * kSide, gen), std::make_shared<nn::ReLU>(),
                    std::make_shared<nn::Unflatten>(std::vector<std::int64_t>{64, kSide, kSide}),
                    up(64, 32, gen), std::make_shared<nn::ReLU>(), up(32, 1, gen)});
    return std::make_shared<VAE>(encoder, o.hidden, decoder, o.vae, gen);
}

std::shared_ptr<nn::Sequential> mlp_generator(const MlpGeneratorOptions& o) {
    check(o.latent_dim > 0, "mlp_generator: latent_dim must be positive, got ", o.latent_dim);
    check_widths("mlp_generator", o.hidden);
    check(!o.out_shape.empty(), "mlp_generator: out_shape must not be empty");
    std::int64_t out = 1;
    for (std::int64_t s : o.out_shape) {
        check(s > 0, "mlp_generator: out_shape sizes must be positive, got ", s);
        out *= s;
    }
    auto net = std::make_shared<nn::Sequential>();
    std::int64_t width = o.latent_dim;
    for (std::int64_t h : o.hidden) {
        net->push_back(linear(width, h, o.gen));
        net->push_back(std::make_shared<nn::LeakyReLU>(0.2));
        width = h;
    }
    net->push_back(linear(width, out, o.gen));
    if (o.tanh) net->push_back(std::make_shared<nn::Tanh>());
    if (o.out_shape.size() > 1) net->push_back(std::make_shared<nn::Unflatten>(o.out_shape));
    return net;
}

std::shared_ptr<nn::Sequential> mlp_discriminator(const MlpDiscriminatorOptions& o) {
    check(o.in_features > 0, "mlp_discriminator: in_features must be positive, got ",
          o.in_features);
    check(o.pack >= 1, "mlp_discriminator: pack must be >= 1, got ", o.pack);
    check_widths("mlp_discriminator", o.hidden);
    // (N / pack, pack * C, ...) -> (N / pack, pack * in_features)
    auto net = std::make_shared<nn::Sequential>();
    net->push_back(std::make_shared<nn::Flatten>());
    std::int64_t width = o.pack * o.in_features;
    for (std::int64_t h : o.hidden) {
        net->push_back(linear(width, h, o.gen));
        net->push_back(std::make_shared<nn::LeakyReLU>(0.2));
        width = h;
    }
    net->push_back(linear(width, 1, o.gen));
    return net;
}

std::shared_ptr<nn::Module> packed_mlp_discriminator(const MlpDiscriminatorOptions& o) {
    check(o.in_features > 0, "packed_mlp_discriminator: in_features must be positive, got ",
          o.in_features);
    check(o.pack >= 1, "packed_mlp_discriminator: pack must be >= 1, got ", o.pack);
    check_widths("packed_mlp_discriminator", o.hidden);
    // One sample (n, C, ...) -> (n, hidden[k-2]) (or (n, in_features) with one hidden layer).
    auto per_sample = std::make_shared<nn::Sequential>();
    per_sample->push_back(std::make_shared<nn::Flatten>());
    std::int64_t width = o.in_features;
    for (std::size_t i = 0; i + 1 < o.hidden.size(); ++i) {
        per_sample->push_back(linear(width, o.hidden[i], o.gen));
        per_sample->push_back(std::make_shared<nn::LeakyReLU>(0.2));
        width = o.hidden[i];
    }
    // A pack's features (b, pack * width) -> (b, 1).
    auto joint =
        sequential({linear(o.pack * width, o.hidden.back(), o.gen),
                    std::make_shared<nn::LeakyReLU>(0.2), linear(o.hidden.back(), 1, o.gen)});
    return std::make_shared<PackedDiscriminator>(per_sample, joint, o.pack);
}

std::shared_ptr<nn::Sequential> dcgan_generator(std::int64_t latent_dim, Generator* gen) {
    check(latent_dim > 0, "dcgan_generator: latent_dim must be positive, got ", latent_dim);
    constexpr std::int64_t features = 128 * kSide * kSide;
    // (N, latent) -> (N, 128*7*7) -> (N, 128, 7, 7) -> (N, 64, 14, 14) -> (N, 1, 28, 28)
    return sequential(
        {linear(latent_dim, features, gen),
         dcgan_init(
             std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions{.num_features = features}), 1.0,
             gen),
         std::make_shared<nn::ReLU>(),
         std::make_shared<nn::Unflatten>(std::vector<std::int64_t>{128, kSide, kSide}),
         dcgan_init(up(128, 64, gen), 0.0, gen),
         dcgan_init(std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.num_features = 64}),
                    1.0, gen),
         std::make_shared<nn::ReLU>(), dcgan_init(up(64, 1, gen), 0.0, gen),
         std::make_shared<nn::Tanh>()});
}

std::shared_ptr<nn::Sequential> dcgan_discriminator(std::int64_t pack, Generator* gen) {
    check(pack >= 1, "dcgan_discriminator: pack must be >= 1, got ", pack);
    // (N / pack, pack, 28, 28) -> (N / pack, 64, 14, 14) -> (N / pack, 128, 7, 7) -> (N / pack, 1)
    return sequential(
        {dcgan_init(down(pack, 64, gen), 0.0, gen), std::make_shared<nn::LeakyReLU>(0.2),
         dcgan_init(down(64, 128, gen), 0.0, gen),
         dcgan_init(std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.num_features = 128}),
                    1.0, gen),
         std::make_shared<nn::LeakyReLU>(0.2), std::make_shared<nn::Flatten>(),
         linear(128 * kSide * kSide, 1, gen)});
}

}  // namespace soma::models
