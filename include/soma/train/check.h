#pragma once
// train::check: the lecture's "perform lots of soundness checks early on", run in seconds before
// a long training run. It looks at the data, the freshly initialised model, its gradients and
// a few hundred training steps, and prints one line per check: passed, warned or failed, with
// the number it measured and what to do.
//
//   train::CheckSubject s{
//       .make = [&](std::uint64_t seed) {          // one fresh copy of the set-up
//           manual_seed(seed);
//           auto model = models::fmnist_model("cnn");
//           auto opt = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{});
//           return train::CheckSetup{.model = model, .optimizers = {opt},
//                                    .train_step = train::classification_step(*model, {opt.get()}),
//                                    .loss = train::cross_entropy_loss_fn()};
//       },
//       .train = train_set, .test = test_set, .classes = 10};
//   train::CheckReport r = train::check(s, {.log = &std::cout});
//   if (!r.passed()) return 1;
//
// The checks, in the order they run (each line's name is given in quotes):
//   data      "labels" (classes present and in range, balance), "finite data" (no NaN/Inf),
//             "input scale" (range, mean and std, per channel for images), "train/test
//             overlap" (exact and near duplicates of test examples in the training split);
//   model     "initial loss" (against log C for C balanced classes, or what a zero output
//             scores under MSE), "output form" (logits, not probabilities, before
//             cross-entropy; outputs that can reach the targets), "activations" (each layer's
//             output std, dead ReLUs on a batch), "deterministic evaluation" (two evaluation
//             passes over one batch agree: no dropout left on);
//   gradients "finite differences" (float64 central differences of sampled parameters against
//             autograd), "gradient flow" (every parameter gets a gradient; per-layer norms),
//             "gradients reset" (a training step starts from zeroed gradients), "update size"
//             (|step| / |weight| of one optimiser step);
//   training  "overfit one batch" (the set-up drives a small batch's loss near zero),
//             "learns beyond chance" (a short run beats a twin trained on shuffled labels on
//             held-out examples, and the twin stays at chance).
//
// Everything is seeded: the same subject, options and thread count give the same report.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "soma/data/dataset.h"
#include "soma/nn/module.h"
#include "soma/optim/optimizer.h"
#include "soma/train/engine.h"

namespace soma::train {

enum class CheckStatus { Passed, Warned, Failed, Skipped };
// "passed", "warned", "FAILED", "skipped".
const char* to_string(CheckStatus s);

// One line of the report.
struct CheckLine {
    std::string group;  // data, model, gradients, training
    std::string name;   // "initial loss"
    CheckStatus status = CheckStatus::Passed;
    std::string detail;  // what was measured: "2.31, expected 2.30 (log 10)"
    std::string advice;  // what to do about it (empty when passed)
};

struct CheckReport {
    std::vector<CheckLine> lines;

    bool passed() const;  // no line failed (warnings allowed)
    bool clean() const;   // no line failed or warned
    std::int64_t count(CheckStatus s) const;
    // The line named `name`; throws soma::Error listing the names when there is none.
    const CheckLine& at(const std::string& name) const;
    // One line per check ("[FAILED] gradients/update size: ... -> advice") and a summary.
    std::string to_text() const;
    // {"passed": bool, "checks": [{"group", "name", "status", "detail", "advice"}, ...]}
    std::string to_json() const;
};

enum class TaskKind { Classification, Regression };

// One fresh copy of a training set-up, as training would run it.
struct CheckSetup {
    std::shared_ptr<nn::Module> model;
    std::vector<std::shared_ptr<optim::Optimizer>> optimizers;
    // One optimisation step on a batch, exactly as the run does it (zero_grad, forward, loss,
    // backward, step): the checks run the caller's step, bugs included.
    TrainStep train_step;
    // The loss the step minimises, of (model output, batch); for the initial loss and the
    // gradient checks.
    LossFn loss;
    // The forward pass of evaluation; null: model->eval(), then model->forward under NoGrad.
    std::function<Tensor(const Tensor& input)> predict = nullptr;
};

// What to check: how to build the set-up and the data it trains on.
struct CheckSubject {
    // A fresh set-up whose initialisation is drawn from `seed` (call manual_seed(seed) before
    // building the model). Called several times: the checks that train get a copy each.
    std::function<CheckSetup(std::uint64_t seed)> make;
    std::shared_ptr<const data::Dataset> train;
    std::shared_ptr<const data::Dataset> test = nullptr;  // optional: the overlap check
    TaskKind task = TaskKind::Classification;
    std::int64_t classes = 0;  // classification: targets are int64 class indices in [0, classes)
};

struct CheckOptions {
    std::uint64_t seed = 0;
    std::int64_t batch_size = 64;        // of the batches the model checks look at
    std::int64_t sample = 4096;          // training examples the data checks read (0: all)
    std::int64_t overfit_examples = 16;  // the batch "overfit one batch" must fit
    std::int64_t overfit_steps = 300;    // within this many training steps
    std::int64_t chance_steps = 150;     // training steps of "learns beyond chance", per model
    std::int64_t chance_eval = 1024;     // held-out training examples it evaluates on
    std::int64_t fd_samples = 24;        // parameter elements "finite differences" perturbs
    // Near duplicates: root-mean-square difference per element below this fraction of the
    // inputs' standard deviation.
    double near_duplicate = 0.05;
    std::ostream* log = nullptr;  // each line as soon as its check has run; null: silent
};

// Runs every check; a check that throws is reported as failed with the error's message (the
// set-up cannot even run it), so one broken part never hides the other lines.
CheckReport check(const CheckSubject& subject, const CheckOptions& options = {});

// The plain losses, as LossFn: softmax cross-entropy of (N, C) logits against (N) int64 class
// indices; mean squared error of an output against a target of its shape.
LossFn cross_entropy_loss_fn();
LossFn mse_loss_fn();

}  // namespace soma::train
