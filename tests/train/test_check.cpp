// train::check against a suite of deliberately broken training set-ups: each bug must be
// flagged by the check that names its cause, and the correct set-up must pass every check
// without a warning. The data: ten Gaussian classes in 20 dimensions, which a small MLP learns
// in a few dozen steps.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/dropout.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/random.h"
#include "soma/train/check.h"

namespace soma::train {
namespace {

constexpr std::int64_t kClasses = 10, kDim = 20;

// n examples of the ten classes: inputs (n, 20) around fixed class means, labels (n).
data::Example blobs(std::int64_t n, std::uint64_t seed) {
    Generator means_gen(7), gen(seed);
    std::vector<float> means(kClasses * kDim), x(static_cast<std::size_t>(n * kDim));
    for (float& m : means) m = static_cast<float>(0.8 * means_gen.normal());
    std::vector<std::int64_t> y(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        y[i] = gen.randint(0, kClasses);
        for (std::int64_t j = 0; j < kDim; ++j)
            x[i * kDim + j] = means[y[i] * kDim + j] + static_cast<float>(0.6 * gen.normal());
    }
    return {from_vector(x, {n, kDim}), from_vector(y, {n})};
}

// Passes the input on without its history: the layers before it never get a gradient.
class Detach : public nn::Module {
public:
    Tensor forward(const Tensor& x) override { return x.detach(); }
    std::string type_name() const override { return "Detach"; }
};

// The bugs of the suite; Setup{} is the correct set-up.
struct Setup {
    bool shift_labels = false;     // each label belongs to the next example
    bool no_zero_grad = false;     // the step never zeroes the gradients
    bool detach = false;           // a layer's output is detached
    bool lr_100x = false;          // learning rate 0.1 instead of 1e-3
    bool raw_255 = false;          // inputs in [0, 255]
    bool softmax_twice = false;    // the model ends in softmax before cross-entropy
    bool test_leak = false;        // the test split is part of the training split
    bool dropout_at_eval = false;  // evaluation leaves dropout on
    bool negative_bias = false;    // ReLU layers start with all biases at -3
    bool sigmoid_mse = false;      // a sigmoid output regressed with MSE on class indices
    bool nan_inputs = false;       // a few inputs are NaN
};

CheckSubject subject(const Setup& bug) {
    data::Example train = blobs(2048, 1), test = blobs(512, 2);
    NoGrad no_grad;
    if (bug.shift_labels) {
        std::vector<std::int64_t> y = train.target.to_vector<std::int64_t>();
        std::rotate(y.begin(), y.begin() + 1, y.end());
        train.target = from_vector(y, {std::int64_t(y.size())});
    }
    if (bug.raw_255) {  // whole numbers in [0, 255], as unnormalised pixels are
        std::vector<float> x = train.input.to_vector<float>();
        for (float& v : x) v = std::clamp(std::round((v + 4) * 255 / 8), 0.0f, 255.0f);
        train.input = from_vector(x, train.input.shape());
    }
    if (bug.nan_inputs) {
        train.input = train.input.clone();
        for (std::int64_t i = 0; i < 20; ++i) train.input.data<float>()[i * 37] = NAN;
    }
    if (bug.test_leak) {
        train.input = cat({train.input, test.input}, 0);
        train.target = cat({train.target, test.target}, 0);
    }
    if (bug.sigmoid_mse) train.target = train.target.to(kFloat32).unsqueeze(1);
    CheckSubject s{
        .make =
            [bug](std::uint64_t seed) {
                manual_seed(seed);
                auto net = std::make_shared<nn::Sequential>();
                net->push_back(
                    std::make_shared<nn::Linear>(nn::LinearOptions{.in = kDim, .out = 64}));
                net->push_back(std::make_shared<nn::ReLU>());
                net->push_back(std::make_shared<nn::Dropout>(0.2));
                if (bug.detach) net->push_back(std::make_shared<Detach>());
                net->push_back(
                    std::make_shared<nn::Linear>(nn::LinearOptions{.in = 64, .out = 64}));
                net->push_back(std::make_shared<nn::ReLU>());
                const std::int64_t outputs = bug.sigmoid_mse ? 1 : kClasses;
                net->push_back(
                    std::make_shared<nn::Linear>(nn::LinearOptions{.in = 64, .out = outputs}));
                if (bug.softmax_twice) net->push_back(std::make_shared<nn::Softmax>(1));
                if (bug.sigmoid_mse) net->push_back(std::make_shared<nn::Sigmoid>());
                if (bug.negative_bias) {
                    NoGrad no_grad;
                    net->at<nn::Linear>(0).bias.fill_(-3);
                    net->at<nn::Linear>(bug.detach ? 4 : 3).bias.fill_(-3);
                }
                auto opt = std::make_shared<optim::Adam>(
                    net->parameters(), optim::AdamOptions{.lr = bug.lr_100x ? 0.1 : 1e-3});
                LossFn loss = bug.sigmoid_mse ? mse_loss_fn() : cross_entropy_loss_fn();
                CheckSetup setup{.model = net, .optimizers = {opt}, .loss = loss};
                nn::Module* m = net.get();
                setup.train_step = [m, opt, loss, bug](const data::Example& b) {
                    if (!bug.no_zero_grad) opt->zero_grad();
                    Tensor l = loss((*m)(b.input), b);
                    l.backward();
                    opt->step();
                    return StepResult{.samples = b.input.size(0),
                                      .metrics = {{"loss", l.item<double>()}}};
                };
                if (bug.dropout_at_eval)
                    setup.predict = [m](const Tensor& x) {
                        NoGrad no_grad;
                        return m->forward(x);  // the mode training left it in
                    };
                return setup;
            },
        .train = std::make_shared<data::TensorDataset>(train.input, train.target),
        .test = std::make_shared<data::TensorDataset>(test.input, test.target),
        .task = bug.sigmoid_mse ? TaskKind::Regression : TaskKind::Classification,
        .classes = bug.sigmoid_mse ? 0 : kClasses};
    return s;
}

CheckReport run(const Setup& bug) { return check(subject(bug), {.seed = 3}); }

// The named check failed, and its advice mentions `cause`.
void expect_flagged(const CheckReport& r, const std::string& name, const std::string& cause) {
    const CheckLine& line = r.at(name);
    EXPECT_EQ(line.status, CheckStatus::Failed) << r.to_text();
    EXPECT_NE((line.detail + " " + line.advice).find(cause), std::string::npos)
        << "the message of '" << name << "' does not say '" << cause << "':\n"
        << r.to_text();
}

TEST(Check, CorrectSetupPassesEveryCheckWithoutWarnings) {
    std::ostringstream log;
    CheckReport r = check(subject({}), {.seed = 3, .log = &log});
    EXPECT_TRUE(r.clean()) << r.to_text();
    EXPECT_EQ(r.lines.size(), 14u);
    // Printed as it went, one line per check.
    EXPECT_NE(log.str().find("[passed] training/learns beyond chance"), std::string::npos)
        << log.str();
    EXPECT_NE(r.to_json().find("\"passed\": true"), std::string::npos);
}

TEST(Check, SameSeedGivesTheSameReport) { EXPECT_EQ(run({}).to_text(), run({}).to_text()); }

TEST(CheckBroken, LabelsShiftedByOne) {
    expect_flagged(run({.shift_labels = true}), "learns beyond chance",
                   "labels do not go with the inputs");
}

TEST(CheckBroken, GradientsNeverZeroed) {
    expect_flagged(run({.no_zero_grad = true}), "gradients reset", "zero_grad");
}

TEST(CheckBroken, DetachedLayerOutput) {
    CheckReport r = run({.detach = true});
    expect_flagged(r, "gradient flow", "detached");
    EXPECT_NE(r.at("gradient flow").detail.find("0.weight"), std::string::npos) << r.to_text();
}

TEST(CheckBroken, LearningRate100xTooLarge) {
    expect_flagged(run({.lr_100x = true}), "update size", "learning rate is far too large");
}

TEST(CheckBroken, InputsIn0To255) {
    expect_flagged(run({.raw_255 = true}), "input scale", "0-255");
}

TEST(CheckBroken, SoftmaxBeforeCrossEntropy) {
    CheckReport r = run({.softmax_twice = true});
    expect_flagged(r, "output form", "softmax twice");
    // and the consequence: a handful of examples cannot be fit
    EXPECT_EQ(r.at("overfit one batch").status, CheckStatus::Failed) << r.to_text();
}

TEST(CheckBroken, TestSplitLeaksIntoTraining) {
    CheckReport r = run({.test_leak = true});
    expect_flagged(r, "train/test overlap", "test split leaks into training");
    EXPECT_NE(r.at("train/test overlap").detail.find("512 exact"), std::string::npos)
        << r.to_text();
}

TEST(CheckBroken, DropoutLeftOnAtEvaluation) {
    expect_flagged(run({.dropout_at_eval = true}), "deterministic evaluation", "model.eval()");
}

TEST(CheckBroken, ReluNetworkWithNegativeBiases) {
    expect_flagged(run({.negative_bias = true}), "activations", "biases");
}

TEST(CheckBroken, SigmoidOutputWithMseOnClassIndices) {
    CheckReport r = run({.sigmoid_mse = true});
    expect_flagged(r, "output form", "can never be fit");
    EXPECT_EQ(r.at("labels").status, CheckStatus::Warned) << r.to_text();
    EXPECT_NE(r.at("labels").advice.find("class indices"), std::string::npos) << r.to_text();
}

TEST(CheckBroken, NanInInputs) { expect_flagged(run({.nan_inputs = true}), "finite data", "NaN"); }

TEST(Check, RefusesAnIncompleteSubject) {
    CheckSubject s = subject({});
    s.classes = 1;
    EXPECT_THROW(check(s), Error);
    s = subject({});
    s.train = nullptr;
    EXPECT_THROW(check(s), Error);
    EXPECT_THROW(check(subject({}), {.batch_size = 0}), Error);
}

}  // namespace
}  // namespace soma::train
