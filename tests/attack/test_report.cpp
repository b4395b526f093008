// attack::robustness_report on a small MLP trained here (3 classes in [0, 1]^8): its numbers are
// consistent, a model with masked gradients (a rounding layer) trips the sanity checks while the
// plain model passes them, and the JSON and SVG carry everything; bad input is refused.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "io/io_test_util.h"
#include "soma/attack/report.h"
#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/random.h"

namespace soma::attack {
namespace {

constexpr std::int64_t kDim = 8, kClasses = 3;

// n points of kClasses Gaussian blobs (std 0.12) around fixed centres in [0.2, 0.8]^8, clipped
// to [0, 1]: x (n, 8) float32, y (n) int64.
std::shared_ptr<data::TensorDataset> blobs(std::int64_t n, std::uint64_t seed) {
    Generator centres_gen(7);
    const Tensor centres = uniform({kClasses, kDim}, 0.2, 0.8, &centres_gen);
    Generator gen(seed);
    const Tensor y = randint(0, kClasses, {n}, &gen);
    std::vector<float> x(static_cast<std::size_t>(n * kDim));
    const std::vector<float> c = centres.to_vector<float>();
    const std::vector<std::int64_t> labels = y.to_vector<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t k = 0; k < kDim; ++k) {
            const double v = c[labels[i] * kDim + k] + 0.12 * gen.normal();
            x[i * kDim + k] = static_cast<float>(std::clamp(v, 0.0, 1.0));
        }
    return std::make_shared<data::TensorDataset>(from_vector(x, {n, kDim}), y);
}

// An 8-32-3 MLP, 300 full-batch Adam steps on 600 points.
std::shared_ptr<nn::Sequential> trained_mlp() {
    manual_seed(3);
    auto net = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = kDim, .out = 32}),
        std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = 32, .out = kClasses})});
    const auto train = blobs(600, 11);
    optim::Adam opt(net->parameters(), {.lr = 0.01});
    for (int step = 0; step < 300; ++step) {
        opt.zero_grad();
        nn::cross_entropy((*net)(train->inputs()), train->targets()).backward();
        opt.step();
    }
    return net;
}

// The classic masked-gradient "defence": the input is rounded to a grid of step 0.1 outside the
// graph, so the classifier's output does not depend on x for autograd and every input gradient
// is zero, although the classifier is exactly as attackable as before.
class Rounded : public nn::Module {
public:
    explicit Rounded(std::shared_ptr<nn::Module> inner) : inner_(std::move(inner)) {}
    Tensor forward(const Tensor& x) override {
        std::vector<float> v = x.detach().contiguous().to_vector<float>();
        for (float& e : v) e = std::round(e * 10.0f) / 10.0f;
        return (*inner_)(from_vector(v, x.shape()));
    }
    std::string type_name() const override { return "Rounded"; }
    void visit(nn::Visitor& v) override { v.module("inner", *inner_); }

private:
    std::shared_ptr<nn::Module> inner_;
};

class RobustnessReportTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        net_ = trained_mlp();
        test_ = blobs(300, 12);
    }
    static void TearDownTestSuite() {
        net_.reset();
        test_.reset();
    }
    data::DataLoader loader() const { return data::DataLoader(test_, {.batch_size = 128}); }
    static RobustnessOptions options() {
        return {.eps = {0.02, 0.05, 0.1},
                .attacks = {fgsm_spec(), pgd_spec(10), pgd_spec(10, 3)},
                .seed = 5};
    }

    static std::shared_ptr<nn::Sequential> net_;
    static std::shared_ptr<data::TensorDataset> test_;
};
std::shared_ptr<nn::Sequential> RobustnessReportTest::net_;
std::shared_ptr<data::TensorDataset> RobustnessReportTest::test_;

const AttackResult& result(const RobustnessReport& r, const std::string& attack, double eps) {
    for (const AttackResult& a : r.results)
        if (a.attack == attack && a.eps == eps) return a;
    throw Error("no result for " + attack);
}

TEST_F(RobustnessReportTest, NumbersAreConsistent) {
    const RobustnessReport r = robustness_report(*net_, loader(), options());
    EXPECT_EQ(r.samples, 300);
    EXPECT_EQ(r.seed, 5u);
    ASSERT_EQ(r.results.size(), 9u);  // 3 attacks x 3 eps, attack-major
    EXPECT_EQ(r.results[0].attack, "FGSM");
    EXPECT_EQ(r.results[3].attack, "PGD-10");
    EXPECT_EQ(r.results[6].attack, "PGD-10 (3 restarts)");
    EXPECT_EQ(r.results[1].eps, 0.05);

    // The clean accuracy is a plain evaluation's.
    {
        NoGrad no_grad;
        const auto pred = argmax((*net_)(test_->inputs()), 1).to_vector<std::int64_t>();
        const auto labels = test_->targets().to_vector<std::int64_t>();
        std::int64_t correct = 0;
        for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == labels[i];
        EXPECT_DOUBLE_EQ(r.clean_accuracy, correct / 300.0);
    }
    EXPECT_GT(r.clean_accuracy, 0.9);  // the blobs are well separated

    for (const AttackResult& a : r.results) {
        SCOPED_TRACE(a.attack + " at eps " + std::to_string(a.eps));
        EXPECT_GE(a.accuracy, 0);
        EXPECT_LE(a.accuracy, r.clean_accuracy);
        EXPECT_GE(a.success_rate, 0);
        EXPECT_LE(a.success_rate, 1);
        EXPECT_GE(a.accuracy_first_restart, a.accuracy);
        EXPECT_LE(a.mean_linf, a.eps + 1e-6);
        EXPECT_LE(a.mean_l2, a.eps * std::sqrt(double(kDim)) + 1e-6);
        EXPECT_LE(a.mean_l0, double(kDim));
        if (a.success_rate > 0) {
            EXPECT_GT(a.mean_linf, 0);
        }
        // Success rate and accuracy count the same examples: an example correct under attack
        // was correct clean, as the attack cannot help (checked above with accuracy <= clean).
        EXPECT_NEAR(a.accuracy, r.clean_accuracy * (1 - a.success_rate), 1.0 / 300 + 1e-12);
    }
    for (const char* name : {"FGSM", "PGD-10", "PGD-10 (3 restarts)"}) {
        EXPECT_GE(result(r, name, 0.02).accuracy, result(r, name, 0.05).accuracy);
        EXPECT_GE(result(r, name, 0.05).accuracy, result(r, name, 0.1).accuracy);
    }
    for (double eps : r.eps) {
        EXPECT_LE(result(r, "PGD-10", eps).accuracy, result(r, "FGSM", eps).accuracy);
        EXPECT_LE(result(r, "PGD-10 (3 restarts)", eps).accuracy,
                  result(r, "PGD-10", eps).accuracy + 0.01);
    }
    // The attack bites: at eps 0.1 PGD flips a good share of this small-margin problem.
    EXPECT_LT(result(r, "PGD-10", 0.1).accuracy, r.clean_accuracy - 0.1);

    // Every check passes on the plain model, and each kind is there.
    EXPECT_TRUE(r.all_checks_passed()) << r.format();
    ASSERT_EQ(r.checks.size(), 2u + 1u + 3u + 1u) << r.format();
    ASSERT_TRUE(r.large_eps_result.has_value());
    EXPECT_EQ(r.large_eps_result->attack, "PGD-10 (3 restarts)");
    EXPECT_EQ(r.large_eps_result->eps, 1.0);  // the whole range [0, 1]
    EXPECT_LE(r.large_eps_result->accuracy, 0.05);

    // Reproducible: the same seed gives the same numbers.
    const RobustnessReport again = robustness_report(*net_, loader(), options());
    for (std::size_t i = 0; i < r.results.size(); ++i)
        EXPECT_EQ(again.results[i].accuracy, r.results[i].accuracy);

    const std::string text = r.format();
    std::cout << text;
    EXPECT_NE(text.find("PGD-10 (3 restarts)"), std::string::npos);
    EXPECT_NE(text.find("pass"), std::string::npos);
    EXPECT_EQ(text.find("FAIL"), std::string::npos);
}

TEST_F(RobustnessReportTest, MaskedGradientsAreFlagged) {
    Rounded masked(net_);
    // One restart: with zero gradients PGD is random search, and at the whole range enough
    // random restarts could break even this model (the check's margin would then be luck).
    RobustnessOptions o = options();
    o.attacks = {fgsm_spec(), pgd_spec(10)};
    const RobustnessReport r = robustness_report(masked, loader(), o);
    EXPECT_GT(r.clean_accuracy, 0.85);  // rounding costs the classifier little
    EXPECT_FALSE(r.all_checks_passed()) << r.format();
    ASSERT_TRUE(r.large_eps_result.has_value());
    EXPECT_GT(r.large_eps_result->accuracy, 0.05) << r.format();
    const SanityCheck& large = r.checks.back();
    EXPECT_FALSE(large.passed);
    EXPECT_NE(large.detail.find("the attack is broken or the model's gradients are masked"),
              std::string::npos)
        << large.detail;
    // FGSM sees zero gradients and leaves every input where it was.
    for (double eps : r.eps) EXPECT_EQ(result(r, "FGSM", eps).accuracy, r.clean_accuracy);
    const std::string text = r.format();
    std::cout << text;
    EXPECT_NE(text.find("FAIL"), std::string::npos);
    EXPECT_NE(text.find("masked"), std::string::npos);
}

TEST_F(RobustnessReportTest, JsonAndSvg) {
    RobustnessOptions o = options();
    o.attacks = {fgsm_spec(), pgd_spec(5, 2)};
    o.eps = {0.05, 0.1};
    const RobustnessReport r = robustness_report(*net_, loader(), o);
    test::TempDir dir;
    r.save_json(dir.file("robustness.json"));
    r.save_svg(dir.file("robustness.svg"), "blobs");

    const auto j = nlohmann::json::parse(test::read_bytes(dir.file("robustness.json")));
    EXPECT_EQ(j["samples"], 300);
    EXPECT_EQ(j["seed"], 5);
    EXPECT_DOUBLE_EQ(j["clean_accuracy"].get<double>(), r.clean_accuracy);
    ASSERT_EQ(j["eps"].size(), 2u);
    ASSERT_EQ(j["attacks"].size(), 2u);
    EXPECT_EQ(j["attacks"][0]["method"], "fgsm");
    EXPECT_EQ(j["attacks"][1]["method"], "pgd");
    EXPECT_EQ(j["attacks"][1]["steps"], 5);
    EXPECT_EQ(j["attacks"][1]["restarts"], 2);
    EXPECT_EQ(j["attacks"][1]["norm"], "linf");
    EXPECT_EQ(j["attacks"][1]["loss"], "ce");
    ASSERT_EQ(j["results"].size(), 4u);
    for (const char* key : {"attack", "norm", "eps", "accuracy", "success_rate",
                            "accuracy_first_restart", "mean_l0", "mean_l2", "mean_linf"})
        EXPECT_TRUE(j["results"][3].contains(key)) << key;
    EXPECT_DOUBLE_EQ(j["results"][3]["accuracy"].get<double>(), r.results[3].accuracy);
    EXPECT_TRUE(j["large_eps"].is_object());
    ASSERT_EQ(j["checks"].size(), r.checks.size());
    EXPECT_TRUE(j["checks"][0].contains("detail"));
    EXPECT_EQ(j["all_checks_passed"], r.all_checks_passed());
    EXPECT_EQ(dir.entries(), (std::vector<std::string>{"robustness.json", "robustness.svg"}));

    const std::string svg = test::read_bytes(dir.file("robustness.svg"));
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("PGD-5 (2 restarts)"), std::string::npos);
    EXPECT_NE(svg.find("clean"), std::string::npos);
    EXPECT_NE(svg.find("accuracy (%)"), std::string::npos);
}

TEST_F(RobustnessReportTest, DefaultsAndNames) {
    EXPECT_EQ(fgsm_spec().name, "FGSM");
    EXPECT_EQ(fgsm_spec(Norm::L2).name, "FGM (L2)");
    EXPECT_EQ(pgd_spec().name, "PGD-20");
    EXPECT_EQ(pgd_spec(20, 10).name, "PGD-20 (10 restarts)");
    EXPECT_EQ(pgd_spec(40, 1, Norm::L2, Loss::Margin).name, "PGD-40 (L2, margin loss)");
    // No attacks given: FGSM and PGD-20; the large-eps check may be skipped.
    const RobustnessReport r = robustness_report(*net_, loader(), {.eps = {0.05}, .large_eps = -1});
    ASSERT_EQ(r.attacks.size(), 2u);
    EXPECT_EQ(r.attacks[1].name, "PGD-20");
    EXPECT_FALSE(r.large_eps_result.has_value());
    // Without a PGD spec the large-eps check runs PGD-20.
    const RobustnessReport f =
        robustness_report(*net_, loader(), {.eps = {0.05}, .attacks = {fgsm_spec()}});
    ASSERT_TRUE(f.large_eps_result.has_value());
    EXPECT_EQ(f.large_eps_result->attack, "PGD-20");
}

// A model whose output is a vector, not (N, C) logits.
class Flat : public nn::Module {
public:
    Tensor forward(const Tensor& x) override { return sum(x, {1}); }
    std::string type_name() const override { return "Flat"; }
};

TEST_F(RobustnessReportTest, BadInputIsRefused) {
    auto message = [&](nn::Module& m, const data::DataLoader& l, const RobustnessOptions& o) {
        try {
            robustness_report(m, l, o);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    auto has = [](const std::string& text, const std::string& part) {
        return text.find(part) != std::string::npos;
    };
    EXPECT_PRED2(has, message(*net_, loader(), {.eps = {}}), "no eps");
    EXPECT_PRED2(has, message(*net_, loader(), {.eps = {0.1, -0.1}}), "eps -0.1");
    EXPECT_PRED2(has, message(*net_, loader(), {.eps = {NAN}}), "not a radius");

    auto float_targets =
        std::make_shared<data::TensorDataset>(test_->inputs(), test_->targets().to(kFloat32));
    EXPECT_PRED2(has, message(*net_, data::DataLoader(float_targets, {.batch_size = 64}), {}),
                 "int64 class indices");

    // Normalised inputs outside [0, 1]: the clipping alone would change them.
    auto normalised =
        std::make_shared<data::TensorDataset>(test_->inputs() * 4.0 - 2.0, test_->targets());
    EXPECT_PRED2(has, message(*net_, data::DataLoader(normalised, {.batch_size = 64}), {}),
                 "attack::Normalized");

    Flat flat;
    EXPECT_PRED2(has, message(flat, loader(), {}), "(N, C) logits");

    RobustnessOptions targeted;
    targeted.attacks = {pgd_spec()};
    targeted.attacks[0].pgd.targeted = true;
    EXPECT_PRED2(has, message(*net_, loader(), targeted), "targeted");

    auto empty = std::make_shared<data::TensorDataset>(zeros({0, kDim}), zeros({0}, kInt64));
    EXPECT_PRED2(has, message(*net_, data::DataLoader(empty, {.batch_size = 8}), {}),
                 "no examples");
}

}  // namespace
}  // namespace soma::attack
