// Robust optimisation works: on a task with one robust feature and many weak, easily flipped
// ones (Tsipras et al., 2019), standard training leans on the weak features and falls apart
// under a small L-inf attack; PGD training (and TRADES) keeps robust accuracy far above it.

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <memory>

#include "soma/attack/adversarial_training.h"
#include "soma/attack/pgd.h"
#include "soma/autograd.h"
#include "soma/data/dataloader.h"
#include "soma/data/dataset.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/train/classification.h"
#include "support/op_harness.h"

namespace soma::attack {
namespace {

constexpr std::int64_t kWeak = 40;
constexpr double kEta = 0.25, kEps = 0.5;
const InputRange kUnbounded{-1e6, 1e6};

// Labels y in {0, 1} (s = +-1). Feature 0 is s with probability 0.9 and -s otherwise (robust: an
// eps of 0.5 cannot flip its sign); features 1..kWeak are N(eta s, 1), together about 92%
// predictive but each moved past zero by an eps of 2 eta.
data::Example robust_feature_task(std::int64_t n, Generator& gen) {
    Tensor x = randn({n, kWeak + 1}, &gen);
    Tensor y = zeros({n}, kInt64);
    for (std::int64_t i = 0; i < n; ++i) {
        const bool positive = gen.uniform() < 0.5;
        const double s = positive ? 1 : -1;
        y.data<std::int64_t>()[i] = positive;
        float* row = x.data<float>() + i * (kWeak + 1);
        row[0] = float(gen.uniform() < 0.9 ? s : -s);
        for (std::int64_t j = 1; j <= kWeak; ++j) row[j] = float(row[j] + kEta * s);
    }
    return {x, y};
}

std::shared_ptr<nn::Sequential> small_mlp() {
    auto net = std::make_shared<nn::Sequential>();
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in = kWeak + 1, .out = 32}));
    net->push_back(std::make_shared<nn::ReLU>());
    net->push_back(std::make_shared<nn::Linear>(nn::LinearOptions{.in = 32, .out = 2}));
    return net;
}

struct Accuracies {
    double clean = 0, robust = 0;
};

Accuracies train_and_attack(const std::string& method) {
    Generator data_gen(1);
    const data::Example train_set = robust_feature_task(2000, data_gen);
    const data::Example test_set = robust_feature_task(1000, data_gen);
    manual_seed(2);
    auto net = small_mlp();
    optim::Adam adam(net->parameters(), {.lr = 3e-3});
    const data::DataLoader loader(
        std::make_shared<data::TensorDataset>(train_set.input, train_set.target),
        {.batch_size = 100, .shuffle = true, .seed = 3});
    const PgdOptions attack{.eps = kEps, .steps = 7, .range = kUnbounded};
    train::TrainStep step =
        method == "standard"
            ? train::classification_step(*net, {&adam})
            : adversarial_step(*net, {&adam}, {.method = method, .attack = attack});
    for (std::int64_t epoch = 0; epoch < 15; ++epoch)
        for (const data::Example& b : loader.epoch(epoch)) step(b);

    PgdOptions strong = attack;
    strong.steps = 20, strong.restarts = 2;
    const Tensor adv = pgd(*net, test_set.input, test_set.target, strong);
    autograd::NoGrad no_grad;
    net->eval();
    const double n = double(test_set.target.numel());
    return {double(train::count_correct((*net)(test_set.input), test_set.target)) / n,
            double(train::count_correct((*net)(adv), test_set.target)) / n};
}

TEST(AdversarialTraining, PgdTrainingRaisesRobustAccuracyAboveTheUndefendedModel) {
    const Accuracies standard = train_and_attack("standard");
    const Accuracies pgd_trained = train_and_attack("pgd");
    const Accuracies trades = train_and_attack("trades");
    // The undefended model learned the task, then loses it under attack.
    EXPECT_GT(standard.clean, 0.9);
    EXPECT_LT(standard.robust, 0.3);
    // The robust feature alone gives 90%: the defended models keep most of it.
    EXPECT_GT(pgd_trained.robust, 0.8);
    EXPECT_GT(trades.robust, 0.8);
    EXPECT_GT(pgd_trained.robust, standard.robust + 0.5);
    std::cout << "clean / robust accuracy: standard " << standard.clean << " / " << standard.robust
              << ", pgd " << pgd_trained.clean << " / " << pgd_trained.robust << ", trades "
              << trades.clean << " / " << trades.robust << "\n";
}

TEST(AdversarialTraining, EvalReportsRobustAccuracyAndSettingsAreChecked) {
    Generator gen(5);
    const data::Example b = robust_feature_task(50, gen);
    auto net = small_mlp();
    const AdversarialTraining o{.attack = {.eps = kEps, .steps = 3, .range = kUnbounded}};
    train::EvalStep eval = adversarial_eval(*net, o);
    autograd::NoGrad no_grad;  // as fit() runs it: the attack must still get its gradients
    const train::StepResult r = eval(b);
    EXPECT_EQ(r.samples, 50);
    EXPECT_TRUE(r.metrics.has("robust_accuracy"));
    EXPECT_LE(r.metrics.get("robust_accuracy"), r.metrics.get("accuracy"));
    optim::Adam adam(net->parameters(), {});
    test::expect_error([&] { adversarial_step(*net, {&adam}, {.method = "free"}); },
                       "unknown method 'free'");
    test::expect_error([&] { adversarial_step(*net, {&adam}, {.attack = {.eps = 0}}); },
                       "eps must be");
    test::expect_error([&] { adversarial_step(*net, {&adam}, {.clean_weight = 2}); },
                       "clean_weight must be in [0, 1]");
}

}  // namespace
}  // namespace soma::attack
