// models::PackedDiscriminator: the pack is unpacked in the order GAN::discriminate packs it,
// for feature vectors and images; it trains inside a GAN; bad shapes are errors.

#include <gtest/gtest.h>

#include <memory>

#include "soma/models/gan.h"
#include "soma/models/packed_discriminator.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::models {
namespace {

using test::expect_error;

// Records what reaches it and passes it on.
struct Spy : nn::Module {
    Tensor seen;
    Tensor forward(const Tensor& x) override { return seen = x; }
    std::string type_name() const override { return "Spy"; }
};

TEST(PackedDiscriminator, UnpacksVectorsInPackOrder) {
    auto spy = std::make_shared<Spy>();
    auto join = std::make_shared<Spy>();
    PackedDiscriminator d(spy, join, 3);
    // Six 2-D samples, sample i = (2 i, 2 i + 1), packed as GAN::discriminate does.
    Tensor x = arange(12).reshape({6, 2});
    Tensor packed = x.reshape({2, 6});
    Tensor y = d.forward(packed);
    ASSERT_EQ(spy->seen.shape(), (Shape{6, 2}));
    EXPECT_EQ(max(abs(spy->seen - x)).item(), 0);  // sample by sample, in order
    EXPECT_EQ(y.shape(), (Shape{2, 6}));           // each pack's features side by side
}

TEST(PackedDiscriminator, UnpacksImagesAlongChannels) {
    auto spy = std::make_shared<Spy>();
    auto d = std::make_shared<PackedDiscriminator>(spy, std::make_shared<nn::Flatten>(), 2);
    GAN gan(std::make_shared<nn::Identity>(), d, {.latent_dim = 1, .pack = 2});
    Tensor x = randn({4, 3, 1, 1});  // four 3-channel images of one pixel
    EXPECT_EQ(d->forward(x.reshape({2, 6, 1, 1})).shape(), (Shape{2, 6}));
    ASSERT_EQ(spy->seen.shape(), (Shape{4, 3, 1, 1}));
    EXPECT_EQ(max(abs(spy->seen - x)).item(), 0);
    // Through the GAN: its packing (4, 3, 1, 1) -> (2, 6, 1, 1) is undone exactly.
    expect_error([&] { gan.discriminate(x); }, "one logit per pack");  // joint gives 6, not 1
    EXPECT_EQ(max(abs(spy->seen - x)).item(), 0);
}

TEST(PackedDiscriminator, TrainsInsideAGan) {
    manual_seed(3);
    auto lin = [](std::int64_t in, std::int64_t out) {
        return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out});
    };
    auto per_sample =
        std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
            lin(2, 8), std::make_shared<nn::LeakyReLU>(0.2)});
    auto d = std::make_shared<PackedDiscriminator>(per_sample, lin(4 * 8, 1), 4);
    GAN gan(lin(2, 2), d, {.latent_dim = 2, .lr_d = 1e-2, .pack = 4});
    // Real samples far from anything G makes at the start: D learns to tell them apart.
    const Tensor real = full({64, 2}, 3.0, kFloat32);
    GANStepStats first = gan.train_discriminator(real), last;
    for (int i = 0; i < 50; ++i) last = gan.train_discriminator(real);
    EXPECT_LT(last.d_loss, 0.5 * first.d_loss);
    EXPECT_GT(last.d_real, 0.9);
    EXPECT_EQ(d->parameters().size(), 4u);  // per_sample's and joint's, shared across the pack
}

TEST(PackedDiscriminator, Errors) {
    auto id = std::make_shared<nn::Identity>();
    expect_error([&] { PackedDiscriminator(id, id, 0); }, "pack must be >= 1");
    expect_error([&] { PackedDiscriminator(nullptr, id, 2); }, "needs a per-sample");
    PackedDiscriminator d(id, id, 4);
    expect_error([&] { d.forward(zeros({2, 6})); }, "(b, pack * C, ...) with pack = 4");
    expect_error([&] { d.forward(zeros({6})); }, "PackedDiscriminator");
}

}  // namespace
}  // namespace soma::models
