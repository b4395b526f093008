// The Fashion-MNIST gallery entries in quick mode: the window loops equal the conv ops, the
// learned filters are drawn, and the CNN beats the MLP after an epoch on 20,000 images.
// Full runs (make demo) are slower; timings are never asserted.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "gallery/gallery.h"
#include "io/io_test_util.h"
#include "soma/data/fashion_mnist.h"

namespace soma::gallery {
namespace {

using data::datasets::FashionMNIST;

class GalleryFmnist : public ::testing::Test {
protected:
    void SetUp() override {
        if (!FashionMNIST::available() ||
            !FashionMNIST::available(data::datasets::kFashionMnistRoot,
                                     data::datasets::Split::Test))
            GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
    }
    Result run_quick(const std::string& name) {
        const Entry* e = find(name);
        EXPECT_NE(e, nullptr) << name;
        if (!e) return {};
        Context ctx{.out_dir = dir.path.string(), .seed = 0, .quick = true, .log = &log};
        Result r = run(*e, ctx);
        for (const std::string& f : r.figures)
            EXPECT_TRUE(std::filesystem::exists(f)) << name << ": figure " << f << " missing";
        return r;
    }
    test::TempDir dir;
    std::ostringstream log;
};

TEST_F(GalleryFmnist, ConvFiltersEqualTheWindowLoopsAndDrawTheLearnedFilters) {
    const Result r = run_quick("10_conv_filters");
    ASSERT_TRUE(r.ok) << r.summary;
    EXPECT_LT(r.metrics.at("diff_1d"), 1e-12);
    EXPECT_LT(r.metrics.at("diff_2d"), 1e-12);
    EXPECT_EQ(r.metrics.at("filters"), 32);
    EXPECT_EQ(r.figures.size(), 3u);
    EXPECT_NE(log.str().find("window  2: [0 1 1] -> 1"), std::string::npos) << log.str();
}

TEST_F(GalleryFmnist, ClassifierLearnsFromASubsetAndTheCnnBeatsTheMlp) {
    const Result r = run_quick("11_fmnist_classifier");
    ASSERT_TRUE(r.ok) << r.summary;
    // quick mode (20,000 training images), seed 0: measured MLP 82.9%, CNN 85.3% on 1000 test
    // images; seeds 1 and 2 gave 84.0% / 86.1% and 81.8% / 83.5%.
    EXPECT_GE(r.metrics.at("mlp_accuracy"), 0.75);
    EXPECT_GT(r.metrics.at("cnn_accuracy"), r.metrics.at("mlp_accuracy"));  // the caption's claim
}

TEST_F(GalleryFmnist, VaeLearnsACodeThatSeparatesTheClasses) {
    const Result r = run_quick("13_vae");
    ASSERT_TRUE(r.ok) << r.summary;
    // quick mode (12,000 images, 3 epochs), seed 0: test loss 546.2 -> 289.8 nats per image;
    // nearest class centroid in the 2-D code 53.8% (chance 10%).
    EXPECT_LT(r.metrics.at("test_loss"), 320);
    EXPECT_GT(r.metrics.at("latent_centroid_accuracy"), 0.4);
    EXPECT_EQ(r.figures.size(), 3u);
}

TEST_F(GalleryFmnist, GanSamplesComeCloserToTheTestImagesThanTheMeanImage) {
    const Result r = run_quick("17_gan_fmnist");
    ASSERT_TRUE(r.ok) << r.summary;
    // quick mode (the fully connected GAN, 300 steps), seed 0: Fréchet distance in 7x7 pixel
    // space 2.12 (after its first 100 steps 5.18); the mean test image 2.79; the floor 0.010.
    EXPECT_LT(r.metrics.at("fd_mlp"), r.metrics.at("fd_mean_image"));
    EXPECT_LT(r.metrics.at("fd_floor"), 0.05);
    EXPECT_EQ(r.figures.size(), 4u);  // three epochs' samples and the curves
}

TEST_F(GalleryFmnist, FgsmFlipsTheCnnWhereRandomNoiseOfTheSameSizeDoesNot) {
    const Result r = run_quick("18_fgsm");
    ASSERT_TRUE(r.ok) << r.summary;
    // quick mode, seed 0 (one epoch on 10,000 images, 500 test images): measured 83.0% clean,
    // 40.8% under FGSM at eps 0.1, 81.2% with random signs of the same size.
    EXPECT_GT(r.metrics.at("clean_accuracy"), 0.75);
    EXPECT_LT(r.metrics.at("fgsm_accuracy_0.1"), r.metrics.at("clean_accuracy") / 2);
    EXPECT_GT(r.metrics.at("noise_accuracy_0.1"), r.metrics.at("clean_accuracy") - 0.1);
    EXPECT_LT(r.metrics.at("fgsm_accuracy_0.2"), r.metrics.at("fgsm_accuracy_0.1"));
    EXPECT_NE(log.str().find(" -> "), std::string::npos) << "no flipped labels listed";
}

TEST_F(GalleryFmnist, PgdTrainingKeepsAccuracyUnderAttack) {
    const Result r = run_quick("19_robust_training");
    ASSERT_TRUE(r.ok) << r.summary;
    EXPECT_GT(r.metrics.at("robust_pgd_0.1"), r.metrics.at("standard_pgd_0.1") + 0.1);
    EXPECT_GT(r.metrics.at("robust_clean"), 0.6);
}

}  // namespace
}  // namespace soma::gallery
