// Fréchet distance, classifier score, penultimate features and the pixel-entropy floor:
// against numpy/mpmath (tests/fixtures/generative_metrics.json from
// tools/fixtures/generative_metrics.py), identities that hold exactly, and errors.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "soma/autograd.h"
#include "soma/data/fashion_mnist.h"
#include "soma/error.h"
#include "soma/models/classifier.h"
#include "soma/nn/activation.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"
#include "soma/random.h"
#include "soma/train/generative_metrics.h"
#include "support/op_harness.h"

namespace soma::train {
namespace {

using nlohmann::json;
using test::expect_error;

json fixture() {
    std::ifstream file(std::string(SOMA_FIXTURE_DIR) + "/generative_metrics.json");
    EXPECT_TRUE(file) << "missing tests/fixtures/generative_metrics.json (run "
                         "tools/fixtures/generative_metrics.py)";
    return file ? json::parse(file) : json::object();
}

// A JSON array of rows (or nested rows) as a float64 tensor of the given shape.
Tensor from_json(const json& rows, const Shape& shape) {
    std::vector<double> values;
    std::function<void(const json&)> flatten = [&](const json& j) {
        if (j.is_array())
            for (const json& e : j) flatten(e);
        else
            values.push_back(j.get<double>());
    };
    flatten(rows);
    return from_vector(values, shape, kFloat64);
}

Tensor matrix(const json& rows) {
    return from_json(rows, {static_cast<std::int64_t>(rows.size()),
                            static_cast<std::int64_t>(rows.at(0).size())});
}

TEST(FrechetDistance, MatchesHighPrecisionReference) {
    const json cases = fixture().at("frechet");
    ASSERT_EQ(cases.size(), 3u);
    for (const json& c : cases) {
        const double expected = c.at("distance").get<double>();
        const double tol = c.at("tolerance").get<double>() * std::max(1.0, expected);
        EXPECT_NEAR(frechet_distance(matrix(c.at("a")), matrix(c.at("b"))), expected, tol)
            << c.at("name");
        // The distance is symmetric in its arguments.
        EXPECT_NEAR(frechet_distance(matrix(c.at("b")), matrix(c.at("a"))), expected, tol)
            << c.at("name") << ", swapped";
    }
}

TEST(FrechetDistance, SetAgainstItselfIsZero) {
    Generator gen(3);
    const Tensor a = randn({500, 16}, &gen, kFloat64) * 3 + 1;
    EXPECT_NEAR(frechet_distance(a, a), 0.0, 1e-9);
    // A reordering of the rows has the same mean and covariance.
    const Tensor reversed = arange(499, -1, -1, kInt64);
    EXPECT_NEAR(frechet_distance(a, index_select(a, 0, reversed)), 0.0, 1e-9);
}

TEST(FrechetDistance, ShiftedMeansGiveSquaredShift) {
    Generator gen(4);
    const Tensor a = matmul(randn({300, 8}, &gen, kFloat64), randn({8, 8}, &gen, kFloat64));
    const Tensor shift = tensor({1.0, -2.0, 0.5, 0.0, 3.0, 0.25, -1.0, 2.0}, kFloat64);
    // ||Δμ||² = 1 + 4 + 0.25 + 0 + 9 + 0.0625 + 1 + 4
    EXPECT_NEAR(frechet_distance(a, a + shift), 19.3125, 1e-8);
}

TEST(FrechetDistance, ScaledCovarianceOfOneDimension) {
    // One dimension: (μa − μb)² + (σa − σb)², with σ the unbiased standard deviations.
    const Tensor a = tensor({{1.0}, {2.0}, {3.0}, {4.0}}, kFloat64);  // mean 2.5, var 5/3
    const Tensor b = a * 3 + 1;                                       // mean 8.5, var 15
    const double expected = 36.0 + std::pow(std::sqrt(15.0) - std::sqrt(5.0 / 3.0), 2);
    EXPECT_NEAR(frechet_distance(a, b), expected, 1e-12);
}

TEST(FrechetDistance, Float32FeaturesComputeInFloat64) {
    const json c = fixture().at("frechet").at(0);
    const Tensor a = matrix(c.at("a")), b = matrix(c.at("b"));
    EXPECT_NEAR(frechet_distance(a.to(kFloat32), b.to(kFloat32)), c.at("distance").get<double>(),
                1e-5);
}

TEST(FrechetDistance, StatisticsReused) {
    Generator gen(5);
    const Tensor a = randn({50, 4}, &gen, kFloat64), b = randn({60, 4}, &gen, kFloat64) * 2;
    const GaussianStats sa = gaussian_stats(a);
    EXPECT_EQ(sa.mean.shape(), (Shape{4}));
    EXPECT_EQ(sa.cov.shape(), (Shape{4, 4}));
    EXPECT_EQ(frechet_distance(sa, gaussian_stats(b)), frechet_distance(a, b));
}

TEST(FrechetDistance, RefusesBadInput) {
    const Tensor a = zeros({10, 4}, kFloat64);
    expect_error([&] { frechet_distance(a, zeros({10, 5}, kFloat64)); }, "4 and 5 dimensions");
    expect_error([&] { frechet_distance(a, zeros({1, 4}, kFloat64)); }, "at least 2 samples");
    expect_error([&] { frechet_distance(zeros({10}), a); }, "(N, D)");
    Tensor nan = zeros({10, 4}, kFloat64);
    nan.at<double>({3, 2}) = NAN;
    expect_error([&] { frechet_distance(a, nan); }, "inf or NaN");
}

TEST(ClassifierScore, MatchesNumpy) {
    const json c = fixture().at("classifier_score").at(0);
    const ClassifierScore s =
        classifier_score(matrix(c.at("logits")), c.at("threshold").get<double>());
    EXPECT_NEAR(s.score, c.at("score").get<double>(), 1e-12);
    EXPECT_DOUBLE_EQ(s.confident, c.at("confident").get<double>());
}

TEST(ClassifierScore, Extremes) {
    // The same distribution for every image: p(y|x) = p(y), score 1, no confident image.
    const ClassifierScore same = classifier_score(zeros({7, 10}));
    EXPECT_NEAR(same.score, 1.0, 1e-12);
    EXPECT_EQ(same.confident, 0.0);
    // Each image sure of its class, every class equally often: score = number of classes.
    Tensor logits = zeros({20, 10});
    for (std::int64_t i = 0; i < 20; ++i) logits.at<float>({i, i % 10}) = 60;
    const ClassifierScore sure = classifier_score(logits);
    EXPECT_NEAR(sure.score, 10.0, 1e-9);
    EXPECT_EQ(sure.confident, 1.0);
    // Sure, but all of one class: p(y|x) = p(y) again.
    EXPECT_NEAR(classifier_score(logits.narrow(0, 0, 1).expand({5, 10})).score, 1.0, 1e-12);
    expect_error([] { classifier_score(zeros({0, 10})); }, "N >= 1");
}

TEST(PixelEntropy, MatchesNumpyAndEnds) {
    const json c = fixture().at("pixel_entropy").at(0);
    EXPECT_NEAR(summed_pixel_entropy(from_json(c.at("images"), {3, 1, 4, 4})),
                c.at("entropy").get<double>(), 1e-9);
    // Black and white pixels are certain; grey ones cost log 2 each.
    EXPECT_EQ(summed_pixel_entropy(tensor({{0.0, 1.0, 1.0}, {0.0, 0.0, 1.0}})), 0.0);
    EXPECT_NEAR(summed_pixel_entropy(full({2, 1, 28, 28}, 0.5)), 784 * std::log(2.0), 1e-9);
    expect_error([] { summed_pixel_entropy(tensor({{0.5, 1.5}})); }, "[0, 1]");
    expect_error([] { summed_pixel_entropy(tensor({{-0.1, 0.5}})); }, "[0, 1]");
}

TEST(PixelEntropy, FashionMnistTestSetIs189_86) {
    using data::datasets::FashionMNIST;
    using data::datasets::Split;
    if (!FashionMNIST::available(data::datasets::kFashionMnistRoot, Split::Test))
        GTEST_SKIP() << "Fashion-MNIST not installed (dataset-fashion-mnist)";
    const FashionMNIST test(data::datasets::kFashionMnistRoot, Split::Test);
    // numpy on the same files (pixels / 255 in float64): 189.8601.
    EXPECT_NEAR(summed_pixel_entropy(test.images()), 189.86, 0.005);
}

TEST(PenultimateFeatures, AreTheLastLinearsInput) {
    manual_seed(11);
    auto cnn = models::fmnist_model("cnn");
    Generator gen(12);
    const Tensor x = randn({5, 1, 28, 28}, &gen);
    cnn->train();  // the pass runs in evaluation mode and leaves the mode as it was
    const FeaturesAndLogits out = features_and_logits(*cnn, x, /*batch_size=*/2);
    EXPECT_TRUE(cnn->is_training());
    ASSERT_EQ(out.features.shape(), (Shape{5, 128}));
    ASSERT_EQ(out.logits.shape(), (Shape{5, 10}));
    // After a ReLU (and dropout off): non-negative, and not all zero.
    EXPECT_GE(min(out.features).item(), 0.0);
    EXPECT_GT(max(out.features).item(), 0.0);
    // The last Linear of the features gives the whole model's output in evaluation mode.
    cnn->eval();
    Tensor logits;
    {
        NoGrad no_grad;
        logits = (*cnn)(x);
        test::expect_close(cnn->at<nn::Linear>(-1).forward(out.features), logits, 1e-5, 1e-5,
                           "last Linear of the features");
    }
    test::expect_close(out.logits, logits, 1e-5, 1e-5, "logits");
    // Other batch sizes change the convolutions' blocking, hence the last bits only.
    test::expect_close(penultimate_features(*cnn, x), out.features, 1e-5, 1e-6, "features");
    EXPECT_FALSE(out.features.requires_grad());

    nn::Sequential ends_in_relu{std::make_shared<nn::Linear>(nn::LinearOptions{.in = 4, .out = 3}),
                                std::make_shared<nn::ReLU>()};
    expect_error([&] { penultimate_features(ends_in_relu, zeros({2, 4})); }, "must be a Linear");
}

}  // namespace
}  // namespace soma::train
