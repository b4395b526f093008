// train_vae, train_gan and load_generative on tiny data: the files and metadata a run leaves,
// samples rebuilt from a checkpoint, resume reproducing the curve, errors. Fashion-MNIST tests
// are skipped without the data set; the mixtures need nothing.

#include <gtest/gtest.h>

#include <filesystem>

#include "io/io_test_util.h"
#include "soma/io/safetensors.h"
#include "soma/ops.h"
#include "soma/train/generative.h"
#include "support/op_harness.h"

namespace soma::train {
namespace {

using data::datasets::FashionMNIST;
using data::datasets::Split;
using test::expect_error;

bool have_fmnist() {
    return FashionMNIST::available() &&
           FashionMNIST::available(data::datasets::kFashionMnistRoot, Split::Test);
}

VaeRunOptions tiny_vae(const std::string& model, const std::string& out_dir) {
    return {.model = model,
            .latent = 4,
            .hidden = model == "conv" ? "32" : "64,32",
            .epochs = 1,
            .batch_size = 32,
            .seed = 3,
            .train_size = 256,
            .val_size = 100,
            .test_size = 100,
            .out_dir = out_dir};
}

GanRunOptions tiny_ring(const std::string& out_dir) {
    return {.dataset = "ring",
            .latent = 4,
            .hidden = "32,32",
            .epochs = 2,
            .batch_size = 64,
            .lr = 1e-3,
            .seed = 3,
            .train_size = 1024,
            .eval_samples = 500,
            .out_dir = out_dir};
}

void expect_files(const test::TempDir& dir, std::initializer_list<const char*> names) {
    for (const char* f : names) EXPECT_TRUE(std::filesystem::exists(dir.file(f))) << f;
}

TEST(TrainGenerative, ParseWidths) {
    EXPECT_EQ(parse_widths("512,256", "w"), (std::vector<std::int64_t>{512, 256}));
    EXPECT_EQ(parse_widths("7", "w"), (std::vector<std::int64_t>{7}));
    for (const char* bad : {"", "0", "-3", "12,", ",12", "1,,2", "a", "3 4", "64x"})
        expect_error([&] { parse_widths(bad, "train_gan: hidden"); }, "train_gan: hidden");
}

TEST(TrainGenerative, VaeWritesItsFilesAndSamplesFromTheCheckpoint) {
    if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
    test::TempDir dir;
    const VaeRun run = train_vae(tiny_vae("conv", dir.path.string()));
    ASSERT_EQ(run.history.size(), 1u);
    EXPECT_EQ(run.test_images, 100);
    EXPECT_EQ(run.tested, "best validation loss (epoch 1)");
    // Per image, 784 Bernoulli pixels: far below the 543 nats of p = 1/2, above 0.
    EXPECT_GT(run.test.get("loss"), 0);
    EXPECT_LT(run.test.get("loss"), 543);
    EXPECT_NEAR(run.test.get("loss"), run.test.get("reconstruction") + run.test.get("kl"), 1e-3);
    expect_files(dir, {"checkpoint.safetensors", "best.safetensors", "metrics.jsonl", "curves.svg",
                       "loss.svg", "samples_epoch_001.png"});

    const io::Metadata meta = io::load_safetensors(dir.file("checkpoint.safetensors")).metadata;
    EXPECT_EQ(meta.at("kind"), "vae");
    EXPECT_EQ(meta.at("model"), "conv");
    EXPECT_EQ(meta.at("latent"), "4");
    EXPECT_EQ(meta.at("hidden"), "32");
    EXPECT_EQ(meta.at("dataset"), "fmnist");

    for (const char* file : {"checkpoint.safetensors", "best.safetensors"}) {
        GenerativeModel m = load_generative(dir.file(file));
        EXPECT_EQ(m.kind, "vae");
        EXPECT_TRUE(m.images());
        Generator gen(1);
        const Tensor x = m.sample(5, gen);
        EXPECT_EQ(x.shape(), (Shape{5, 1, 28, 28}));
        EXPECT_GE(min(x).item(), 0.0);
        EXPECT_LE(max(x).item(), 1.0);
        // The weights are the run's: its decoder gives the same images for the same codes.
        Generator again(1);
        EXPECT_EQ(max(abs(run.model->sample(5, &again).reshape({5, 1, 28, 28}) - x)).item(), 0.0);
    }
}

TEST(TrainGenerative, VaeResumeGivesTheUninterruptedCurve) {
    if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
    test::TempDir a, b;
    VaeRunOptions o = tiny_vae("mlp", a.path.string());
    o.epochs = 2;
    o.train_size = 128;
    const VaeRun whole = train_vae(o);
    o.out_dir = b.path.string();
    o.epochs = 1;
    train_vae(o);
    o.resume = b.file("checkpoint.safetensors");
    o.epochs = 2;
    const VaeRun resumed = train_vae(o);
    ASSERT_EQ(resumed.history.size(), 2u);
    for (std::size_t e = 0; e < 2; ++e)
        for (const char* k : {"train_loss", "train_kl", "val_loss"})
            EXPECT_EQ(whole.history[e].get(k), resumed.history[e].get(k)) << k << " " << e;
    EXPECT_EQ(whole.test.get("loss"), resumed.test.get("loss"));
    expect_files(b, {"samples_epoch_001.png", "samples_epoch_002.png", "loss.svg"});
}

TEST(TrainGenerative, VaeErrors) {
    expect_error([] { train_vae({.dataset = "ring"}); }, "dataset must be fmnist, got 'ring'");
    expect_error([] { train_vae({.model = "rnn"}); }, "model must be conv or mlp");
    expect_error([] { train_vae({.hidden = "64,32"}); }, "conv model takes one hidden width");
    expect_error([] { train_vae({.model = "mlp", .hidden = "64,x"}); }, "train_vae: hidden");
    expect_error([] { train_vae({.latent = 0}); }, "latent must be >= 1");
    expect_error([] { train_vae({.beta = -1}); }, "beta must be >= 0");
}

TEST(TrainGenerative, GanOnTheRingReportsCoverageAndSamplesFromTheCheckpoint) {
    test::TempDir dir;
    const GanRun run = train_gan(tiny_ring(dir.path.string()));
    ASSERT_EQ(run.history.size(), 2u);
    for (const char* k : {"train_d_loss", "train_g_loss", "train_d_real", "train_d_fake"})
        EXPECT_TRUE(std::isfinite(run.history[1].get(k))) << k;
    ASSERT_TRUE(run.coverage.has_value());
    EXPECT_EQ(run.total_modes, 8);
    EXPECT_GE(run.coverage->modes, 0);
    EXPECT_LE(run.coverage->modes, 8);
    expect_files(dir, {"checkpoint.safetensors", "metrics.jsonl", "curves.svg", "samples.svg"});

    const io::Metadata meta = io::load_safetensors(dir.file("checkpoint.safetensors")).metadata;
    EXPECT_EQ(meta.at("kind"), "gan");
    EXPECT_EQ(meta.at("dataset"), "ring");
    EXPECT_EQ(meta.at("hidden"), "32,32");
    GenerativeModel m = load_generative(dir.file("checkpoint.safetensors"));
    EXPECT_FALSE(m.images());
    Generator gen(1);
    EXPECT_EQ(m.sample(7, gen).shape(), (Shape{7, 2}));

    // Resuming it as a VAE is refused.
    expect_error([&] { train_vae({.resume = dir.file("checkpoint.safetensors")}); },
                 "holds a gan model, not a vae");
}

TEST(TrainGenerative, DcganOnImagesWritesGridsAndSamplesOneImage) {
    if (!have_fmnist()) GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
    test::TempDir dir;
    const GanRun run = train_gan({.dataset = "fmnist",
                                  .model = "conv",
                                  .latent = 8,
                                  .pack = 2,
                                  .epochs = 1,
                                  .batch_size = 32,
                                  .seed = 3,
                                  .train_size = 96,
                                  .out_dir = dir.path.string()});
    EXPECT_FALSE(run.coverage.has_value());
    expect_files(dir, {"checkpoint.safetensors", "metrics.jsonl", "samples_epoch_001.png"});
    GenerativeModel m = load_generative(dir.file("checkpoint.safetensors"));
    EXPECT_TRUE(m.images());
    Generator gen(1);
    const Tensor x = m.sample(1, gen);  // eval-mode batch norm: one sample is fine
    EXPECT_EQ(x.shape(), (Shape{1, 1, 28, 28}));
    EXPECT_GE(min(x).item(), 0.0);
    EXPECT_LE(max(x).item(), 1.0);
}

TEST(TrainGenerative, GanErrors) {
    expect_error([] { train_gan({.dataset = "moons"}); }, "dataset must be ring, grid or fmnist");
    expect_error([] { train_gan({.model = "conv"}); }, "conv (DCGAN) model is for images");
    expect_error([] { train_gan({.dataset = "fmnist", .model = "conv", .hidden = "64"}); },
                 "--hidden '64' is for mlp");
    expect_error([] { train_gan({.pack = 3, .batch_size = 64}); },
                 "batch_size (64) must be a multiple of pack (3)");
    expect_error([] { train_gan({.batch_size = 64, .train_size = 10}); }, "smaller than one batch");
    // A safetensors file of someone else's.
    expect_error([] { load_generative(SOMA_FIXTURE_DIR "/safetensors/torch.safetensors"); },
                 "is not a checkpoint of soma train vae or gan");
}

}  // namespace
}  // namespace soma::train
