// train::fit on small synthetic problems: a custom step with two optimisers, exact resume with
// both (after an epoch and mid-epoch), early stopping, the divergence stop, and the run
// settings' --resume rule.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

#include "io/io_test_util.h"
#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/optim/scheduler.h"
#include "soma/optim/sgd.h"
#include "soma/random.h"
#include "soma/train/engine.h"
#include "soma/train/settings.h"

namespace soma::train {
namespace {

// y = x W^T + noise: 96 samples of 3 features, 2 targets.
std::shared_ptr<const data::TensorDataset> regression_data(std::uint64_t seed, std::int64_t n) {
    Generator gen(seed);
    Tensor x = randn({n, 3}, &gen);
    Tensor w = tensor({{1.0, -2.0, 0.5}, {0.3, 0.0, -1.0}});
    Tensor y = matmul(x, w.transpose(0, 1)) + 0.05 * randn({n, 2}, &gen);
    return std::make_shared<data::TensorDataset>(x, y);
}

// Two modules trained by two optimisers in one custom step, as a GAN's step does: `first`
// fits the targets, `second` fits first's (detached) output.
struct TwoNets : nn::Module {
    std::shared_ptr<nn::Linear> first =
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = 3, .out = 2});
    std::shared_ptr<nn::Linear> second =
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = 2, .out = 2});
    std::string type_name() const override { return "TwoNets"; }
    void visit(nn::Visitor& v) override {
        v.module("first", *first);
        v.module("second", *second);
    }
};

struct Rig {
    TwoNets nets;
    optim::Adam opt_a{nets.first->parameters(), {.lr = 0.1}};
    optim::SGD opt_b{nets.second->parameters(), {.lr = 0.1, .momentum = 0.9}};
    optim::StepLR sched{opt_a, {.step_size = 1, .gamma = 0.8}};
    Trainee trainee;
    int steps_a = 0, steps_b = 0;

    Rig() {
        trainee.model = &nets;
        trainee.optimizers = {&opt_a, &opt_b};
        trainee.schedulers = {&sched};
        trainee.train_step = [this](const data::Example& b) {
            opt_a.zero_grad();
            Tensor out = (*nets.first)(b.input);
            Tensor la = nn::mse_loss(out, b.target);
            la.backward();
            opt_a.step();
            ++steps_a;
            opt_b.zero_grad();
            Tensor lb = nn::mse_loss((*nets.second)(out.detach()), b.target);
            lb.backward();
            opt_b.step();
            ++steps_b;
            return StepResult{
                .samples = b.input.size(0),
                .metrics = {{"loss", la.item<double>()}, {"second_loss", lb.item<double>()}}};
        };
        trainee.eval_step = [this](const data::Example& b) {
            return StepResult{
                .samples = b.input.size(0),
                .metrics = {
                    {"loss", nn::mse_loss((*nets.first)(b.input), b.target).item<double>()}}};
        };
    }
};

class Engine : public ::testing::Test {
protected:
    data::DataLoader train_loader{regression_data(1, 96),
                                  {.batch_size = 16, .shuffle = true, .seed = 3}};
    data::DataLoader val_loader{regression_data(2, 40), {.batch_size = 20}};
    test::TempDir dir;

    FitOptions options(const std::string& sub, std::int64_t epochs) {
        return {.epochs = epochs, .out_dir = dir.file(sub), .settings = {{"recipe", "two-nets"}}};
    }
};

void expect_same_history(const std::vector<EpochRecord>& a, const std::vector<EpochRecord>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        for (const char* k : {"train_loss", "train_second_loss", "val_loss", "lr",
                              "grad_norm/first.weight", "update_ratio/second.weight"})
            EXPECT_EQ(a[i].get(k), b[i].get(k)) << k << " at epoch " << i + 1;
}

void expect_same_params(nn::Module& a, nn::Module& b) {
    auto pa = a.named_parameters(), pb = b.named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i)
        EXPECT_EQ(pa[i].second.to_vector<float>(), pb[i].second.to_vector<float>()) << pa[i].first;
}

TEST_F(Engine, CustomStepTrainsTwoOptimisersAndRecordsEveryMetric) {
    manual_seed(5);
    Rig s;
    const FitResult r = fit(s.trainee, train_loader, &val_loader, options("run", 8));
    ASSERT_EQ(r.history.size(), 8u);
    EXPECT_EQ(s.steps_a, 8 * 6);
    EXPECT_EQ(s.opt_b.steps(), 8 * 6);
    // Measured: train loss 2.69 -> 0.024, the second net's 3.0 -> 0.145, validation 0.025.
    EXPECT_LT(r.history.back().get("train_loss"), 0.05 * r.history.front().get("train_loss"));
    EXPECT_LT(r.history.back().get("train_second_loss"),
              0.1 * r.history.front().get("train_second_loss"));
    EXPECT_LT(r.history.back().get("val_loss"), 0.05);
    // StepLR multiplies the first optimizer's lr by 0.8 every epoch; the record has the epoch's.
    EXPECT_DOUBLE_EQ(r.history[0].get("lr"), 0.1);
    EXPECT_DOUBLE_EQ(r.history[2].get("lr"), 0.064);
    for (const char* f :
         {"checkpoint.safetensors", "best.safetensors", "metrics.jsonl", "curves.svg"})
        EXPECT_TRUE(std::filesystem::exists(dir.file("run/") + f)) << f;
    EXPECT_EQ(checkpoint_settings(r.checkpoint).at("recipe"), "two-nets");
}

TEST_F(Engine, RecordsEachWeightsGradientNormAndUpdateRatio) {
    manual_seed(5);
    Rig s;
    std::ostringstream log;
    FitOptions o = options("monitor", 2);
    o.log = &log;
    const FitResult r = fit(s.trainee, train_loader, &val_loader, o);
    for (const EpochRecord& e : r.history)
        for (const char* w : {"first.weight", "second.weight"}) {
            EXPECT_GT(e.get(std::string("grad_norm/") + w), 0) << w;
            const double ratio = e.get(std::string("update_ratio/") + w);
            EXPECT_GT(ratio, 0) << w;
            EXPECT_LT(ratio, 1) << w;
        }
    // Weights only (2+ dimensions): no entries for biases.
    EXPECT_FALSE(r.history[0].values.has("grad_norm/first.bias"));
    std::ifstream f(dir.file("monitor/metrics.jsonl"));
    const std::string first_line((std::istreambuf_iterator<char>(f)), {});
    EXPECT_NE(first_line.find("\"update_ratio/first.weight\":"), std::string::npos) << first_line;
    // It learns: no plateau warning.
    EXPECT_EQ(log.str().find("warning"), std::string::npos) << log.str();
}

TEST_F(Engine, WarnsOnceWhenTheLossStaysAtItsFirstValue) {
    nn::Linear net({.in = 3, .out = 2});
    optim::SGD opt(net.parameters(), {.lr = 0.0});  // nothing moves
    Trainee t{.model = &net,
              .optimizers = {&opt},
              .schedulers = {},
              .train_step = loss_step(net, {&opt}, [](const Tensor& out, const data::Example& b) {
                  return nn::mse_loss(out, b.target);
              })};
    std::ostringstream log;
    FitOptions o{.epochs = 3, .log = &log};
    fit(t, train_loader, nullptr, o);
    const std::string text = log.str();
    const auto at = text.find("warning: the training loss");
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_NE(text.find("has not fallen below its initial value", at), std::string::npos) << text;
    EXPECT_EQ(text.find("warning", at + 1), std::string::npos) << "warned twice:\n" << text;
    // Off when asked.
    std::ostringstream quiet;
    o.log = &quiet;
    o.warn_plateau = false;
    fit(t, train_loader, nullptr, o);
    EXPECT_EQ(quiet.str().find("warning"), std::string::npos) << quiet.str();
}

TEST_F(Engine, ResumeWithTwoOptimisersGivesTheSameCurveAndWeights) {
    manual_seed(5);
    Rig straight;
    const FitResult a = fit(straight.trainee, train_loader, &val_loader, options("straight", 3));

    // Stopped in the middle of epoch 2 (after 8 batches in all), then resumed in fresh objects.
    manual_seed(5);
    Rig first;
    FitOptions o = options("stopped", 3);
    int batches = 0;
    o.on_batch = [&](const EpochState&) {
        if (++batches == 8) request_stop();
    };
    clear_stop();
    const FitResult stopped = fit(first.trainee, train_loader, &val_loader, o);
    clear_stop();
    ASSERT_TRUE(stopped.interrupted);
    ASSERT_EQ(stopped.history.size(), 1u);

    manual_seed(123);  // the checkpoint restores the generator, whatever it was
    Rig second;
    o = options("stopped", 3);
    o.resume = stopped.checkpoint;
    const FitResult b = fit(second.trainee, train_loader, &val_loader, o);
    EXPECT_FALSE(b.interrupted);
    expect_same_history(a.history, b.history);
    expect_same_params(straight.nets, second.nets);
    EXPECT_EQ(straight.opt_b.steps(), second.opt_b.steps());
    EXPECT_EQ(second.steps_a, 18 - 8);  // only the batches after the stop ran again
}

TEST_F(Engine, EarlyStoppingStopsAfterPatienceEpochsWithoutImprovement) {
    manual_seed(5);
    Rig s;
    s.opt_a.set_lr(0);  // nothing changes: the validation loss never improves on epoch 1's
    s.trainee.schedulers.clear();
    FitOptions o = options("early", 20);
    o.patience = 3;
    const FitResult r = fit(s.trainee, train_loader, &val_loader, o);
    EXPECT_TRUE(r.early_stopped);
    EXPECT_EQ(r.history.size(), 4u);
    EXPECT_EQ(r.best_epoch, 1);

    // A metric the records lack cannot be monitored.
    o.monitor = "val_accuracy";
    o.out_dir = dir.file("early2");
    EXPECT_THROW(fit(s.trainee, train_loader, &val_loader, o), Error);
}

TEST_F(Engine, NonFiniteLossStopsTheRunNamingTheStepAndKeepsTheLastCheckpoint) {
    manual_seed(5);
    Rig s;
    TrainStep good = s.trainee.train_step;
    int calls = 0;
    s.trainee.train_step = [&](const data::Example& b) {
        StepResult r = good(b);
        if (++calls == 6 + 3) r.metrics.set("loss", std::nan(""));  // batch 3 of epoch 2
        return r;
    };
    const FitOptions o = options("nan", 3);
    try {
        fit(s.trainee, train_loader, &val_loader, o);
        FAIL() << "no error for a NaN loss";
    } catch (const Diverged& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("epoch 2, batch 3"), std::string::npos) << msg;
        EXPECT_NE(msg.find("loss is nan"), std::string::npos) << msg;
        EXPECT_NE(msg.find("checkpoint.safetensors"), std::string::npos) << msg;
    }
    // The checkpoint of epoch 1 is intact and resumes.
    Rig t;
    FitOptions r = options("nan", 2);
    r.resume = dir.file("nan/checkpoint.safetensors");
    const FitResult resumed = fit(t.trainee, train_loader, &val_loader, r);
    EXPECT_EQ(resumed.history.size(), 2u);
}

TEST(TrainSettings, RoundTripAndResumeRule) {
    struct Opts {
        std::string model = "mlp";
        double lr = 1e-3;
        std::int64_t epochs = 5;
        std::uint64_t seed = 1;
        bool augment = false;
        void fields(FieldVisitor& v) {
            v.field("model", model);
            v.field("lr", lr);
            v.field("epochs", epochs, Field::MayChange);
            v.field("seed", seed);
            v.field("augment", augment);
        }
    };
    Opts saved{.model = "cnn", .lr = 0.1 / 3, .epochs = 2, .seed = 9, .augment = true};
    const io::Metadata m = to_metadata([&](FieldVisitor& v) { saved.fields(v); });
    Opts back;
    from_metadata([&](FieldVisitor& v) { back.fields(v); }, m, "ckpt");
    EXPECT_EQ(back.model, "cnn");
    EXPECT_EQ(back.lr, 0.1 / 3);  // exact
    EXPECT_EQ(back.seed, 9u);
    EXPECT_TRUE(back.augment);

    // Resume: the checkpoint's values win, epochs (MayChange) stays the caller's.
    Opts mine{.epochs = 10};
    resolve_resumed([&](FieldVisitor& v) { mine.fields(v); }, m, {"epochs"}, "ckpt");
    EXPECT_EQ(mine.model, "cnn");
    EXPECT_EQ(mine.epochs, 10);
    // A contradicting setting given on purpose: an error naming both values.
    Opts bad{.lr = 0.5};
    try {
        resolve_resumed([&](FieldVisitor& v) { bad.fields(v); }, m, {"lr"}, "ckpt");
        FAIL() << "no error";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("lr"), std::string::npos) << msg;
        EXPECT_NE(msg.find("0.033333"), std::string::npos) << msg;
        EXPECT_NE(msg.find("0.5"), std::string::npos) << msg;
    }
    // Malformed or missing values name the field.
    io::Metadata broken = m;
    broken["seed"] = "12x";
    EXPECT_THROW(from_metadata([&](FieldVisitor& v) { back.fields(v); }, broken, "ckpt"), Error);
    broken.erase("seed");
    EXPECT_THROW(from_metadata([&](FieldVisitor& v) { back.fields(v); }, broken, "ckpt"), Error);
}

}  // namespace
}  // namespace soma::train
