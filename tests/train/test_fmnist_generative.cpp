// Samples files and the Fashion-MNIST report of eval-generative: files written with soma's
// safetensors writer, checked on read; the report on real images equals its own floor, noise
// lies far above it, and classifiers other than the cnn are refused.

#include <gtest/gtest.h>

#include <cmath>

#include "io/io_test_util.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/io/safetensors.h"
#include "soma/models/classifier.h"
#include "soma/ops.h"
#include "soma/random.h"
#include "soma/train/fmnist_generative.h"
#include "support/op_harness.h"

namespace soma::train {
namespace {

using data::datasets::FashionMNIST;
using data::datasets::Split;
using test::expect_error;

class SamplesFile : public ::testing::Test {
protected:
    std::string write(const Tensor& samples, const std::string& name = "samples") {
        nn::StateDict d;
        d.insert(name, samples);
        const std::string path = dir.file(name + std::to_string(files++) + ".safetensors");
        io::save_safetensors(path, d);
        return path;
    }
    test::TempDir dir;
    int files = 0;
};

TEST_F(SamplesFile, ReadsWhatSomaSampleWrites) {
    Generator gen(1);
    const Tensor x = rand({4, 1, 28, 28}, &gen);
    test::expect_close(load_samples(write(x)), x, 0, 0, "float32 samples");
    // float64 is accepted and converted.
    const Tensor back = load_samples(write(x.to(kFloat64)));
    EXPECT_EQ(back.dtype(), kFloat32);
    test::expect_close(back, x, 0, 0, "float64 samples");
    // The ends of [0, 1] are fine.
    EXPECT_NO_THROW(load_samples(write(full({2, 1, 28, 28}, 1.0))));
    EXPECT_NO_THROW(load_samples(write(zeros({2, 1, 28, 28}))));
}

TEST_F(SamplesFile, RefusesWhatIsNotImages) {
    expect_error(
        [&] {
            load_samples(write(zeros({3, 1, 28, 28}), "images"));
        },
        "no tensor named 'samples' (it has: images)");
    expect_error([&] { load_samples(write(zeros({3, 784}))); }, "expected (n, 1, 28, 28)");
    expect_error([&] { load_samples(write(zeros({3, 3, 28, 28}))); }, "expected (n, 1, 28, 28)");
    expect_error([&] { load_samples(write(zeros({1, 1, 28, 28}))); }, "at least 2");
    expect_error([&] { load_samples(write(zeros({3, 1, 28, 28}, kInt64))); }, "is int64");
    Tensor logits = full({3, 1, 28, 28}, 0.5);
    logits.at<float>({2, 0, 5, 5}) = -3;
    expect_error([&] { load_samples(write(logits)); }, "image 2 holds -3");
    Tensor nan = full({3, 1, 28, 28}, 0.5);
    nan.at<float>({0, 0, 0, 0}) = NAN;
    expect_error([&] { load_samples(write(nan)); }, "values must be in [0, 1]");
}

class GenerativeReportTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!FashionMNIST::available() ||
            !FashionMNIST::available(data::datasets::kFashionMnistRoot, Split::Test))
            GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
    }
    // An untrained classifier of the given kind, saved as `soma train fmnist` names it.
    std::string classifier(const std::string& model, bool named = true) {
        manual_seed(21);
        auto net = models::fmnist_model(model);
        const std::string path = dir.file(model + ".safetensors");
        io::save_module(*net, path, named ? io::Metadata{{"model", model}} : io::Metadata{});
        return path;
    }
    test::TempDir dir;
};

TEST_F(GenerativeReportTest, RealImagesSitOnTheFloorNoiseFarAbove) {
    // Features of an untrained cnn: the numbers mean little, the relations hold all the same.
    const std::string cnn = classifier("cnn");
    const Tensor real = fmnist_images(Split::Train, 300);
    ASSERT_EQ(real.shape(), (Shape{300, 1, 28, 28}));
    const GenerativeReport r = evaluate_generative(real, {.classifier = cnn});
    EXPECT_EQ(r.samples, 300);
    EXPECT_EQ(r.reference_size, 10000);
    // The floor is the first 300 training images, the very samples given here.
    EXPECT_EQ(r.floor_size, 300);
    EXPECT_DOUBLE_EQ(r.frechet, r.floor_frechet);
    EXPECT_GT(r.frechet, 0);
    EXPECT_GE(r.score.score, 1.0);
    EXPECT_LE(r.score.score, 10.0);
    EXPECT_GE(r.test_score.score, 1.0);
    EXPECT_NEAR(r.test_pixel_entropy, 189.86, 0.005);

    Generator gen(2);
    const GenerativeReport noise =
        evaluate_generative(rand({300, 1, 28, 28}, &gen), {.classifier = cnn, .floor = false});
    EXPECT_GT(noise.frechet, 10 * r.floor_frechet);
    EXPECT_EQ(noise.floor_size, 0);
    // The floor's own numbers do not depend on the samples.
    EXPECT_DOUBLE_EQ(noise.test_score.score, r.test_score.score);
}

TEST_F(GenerativeReportTest, RefusesOtherClassifiers) {
    const Tensor images = full({2, 1, 28, 28}, 0.5);
    expect_error([&] { evaluate_generative(images, {.classifier = classifier("mlp")}); },
                 "holds a 'mlp' model");
    expect_error([&] { evaluate_generative(images, {.classifier = classifier("cnn", false)}); },
                 "names no model");
    expect_error(
        [&] {
            evaluate_generative(zeros({2, 784}), {.classifier = classifier("cnn")});
        },
        "(n, 1, 28, 28)");
}

}  // namespace
}  // namespace soma::train
