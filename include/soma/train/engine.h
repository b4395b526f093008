#pragma once
// train::fit: the one training engine every recipe runs on (Keras' fit, Lightning's Trainer).
// A recipe supplies the model, its optimisers and schedules, the loaders, and a step; every
// run gets the rest without asking:
//
//   optim::Adam opt(model.parameters(), {.lr = 1e-3});
//   train::Trainee t{.model = &model, .optimizers = {&opt},
//                    .train_step = train::loss_step(model, {&opt}, loss_fn),
//                    .eval_step = train::eval_loss(model, loss_fn)};
//   train::FitResult r = train::fit(t, train_loader, &val_loader,
//                                   {.epochs = 10, .out_dir = "out/run", .log = &std::cout});
//
// - a progress bar per epoch on a terminal, plain lines in a pipe (FitOptions::log/terminal);
// - with an out_dir, after every epoch: checkpoint.safetensors (the model, every optimiser, the
//   default generator, the history, the engine's own state and the recipe's settings; written
//   atomically), metrics.jsonl (one JSON line per epoch), curves.svg, and best.safetensors
//   (the model's weights at the best value of the monitored validation metric so far);
// - --resume: fit() continues a checkpoint exactly where it stopped, also mid-epoch, so the
//   curve equals an uninterrupted run's (the loaders must be functions of (seed, epoch), as
//   data::DataLoader is);
// - early stopping on a validation metric (`monitor`, `patience`);
// - request_stop() (Ctrl-C through install_stop_handlers()) stops after the batch in progress
//   and saves a checkpoint that resumes mid-epoch;
// - a non-finite number in a step's metrics stops the run with train::Diverged naming the epoch
//   and step; the last checkpoint written (of a finite epoch) is kept and stays resumable.
// - monitoring: each epoch's record also holds, for every weight (parameters of 2 or more
//   dimensions) after the epoch's last batch, its gradient norm ("grad_norm/<name>") and the
//   size of that batch's update relative to the weight ("update_ratio/<name>"); a warning when
//   the loss stays at its initial value (FitOptions::warn_plateau); autograd::set_detect_anomaly
//   names the op behind a NaN.
//
// Model selection is honest: fit() looks at the validation loader only. A recipe evaluates its
// test set once, after fit() (see train/fmnist.h), and says which weights it used.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "soma/data/dataloader.h"
#include "soma/error.h"
#include "soma/io/safetensors.h"
#include "soma/nn/module.h"
#include "soma/optim/optimizer.h"
#include "soma/optim/scheduler.h"
#include "soma/train/metrics.h"

namespace soma::train {

// What a step reports about one batch: its size and named means over it ("loss" first).
struct StepResult {
    std::int64_t samples = 0;
    Metrics metrics;
};

// One optimisation step on a batch: the step does zero_grad, forward, backward and the
// optimisers' step() itself (a GAN steps two optimisers, adversarial training attacks first).
// It must not step an optimiser when its loss is not finite (loss_step does not).
using TrainStep = std::function<StepResult(const data::Example& batch)>;
// Metrics of one evaluation batch; fit() runs it in eval mode under NoGrad.
using EvalStep = std::function<StepResult(const data::Example& batch)>;

// backward() of a scalar loss and step() on every optimiser, unless the loss is not finite (the
// engine then stops the run with the parameters of the last good step). Returns the loss's value.
// For custom steps; the caller zeroes the gradients first.
double backward_and_step(const Tensor& loss, const std::vector<optim::Optimizer*>& optimizers);

// The (prediction, batch) -> scalar loss of the plain case, e.g.
//   [](const Tensor& out, const data::Example& b) { return nn::mse_loss(out, b.target); }
using LossFn = std::function<Tensor(const Tensor& output, const data::Example& batch)>;

// The plain step: zero_grad on every optimiser, loss = loss_fn(model(batch.input), batch),
// backward, then step() on every optimiser (skipped when the loss is not finite). Reports
// {"loss"}.
TrainStep loss_step(nn::Module& model, std::vector<optim::Optimizer*> optimizers, LossFn loss_fn);
// {"loss"} of loss_fn(model(batch.input), batch).
EvalStep eval_loss(nn::Module& model, LossFn loss_fn);
// Classification: softmax cross-entropy of (N, C) logits against (N) class indices (with label
// smoothing in training); reports {"loss", "accuracy"}.
TrainStep classification_step(nn::Module& model, std::vector<optim::Optimizer*> optimizers,
                              double label_smoothing = 0);
EvalStep classification_eval(nn::Module& model);

// What fit() trains.
struct Trainee {
    nn::Module* model = nullptr;  // everything trained (one container for several modules):
                                  // checkpointed, switched between train() and eval()
    std::vector<optim::Optimizer*> optimizers;    // checkpointed, in this order
    std::vector<optim::LRScheduler*> schedulers;  // stepped once per epoch, after validation
    TrainStep train_step;
    EvalStep eval_step = nullptr;  // for the validation loader
};

// Progress within an epoch (resumable mid-epoch): batches done and the metrics' sums.
struct EpochState {
    std::int64_t batch = 0;    // the next batch to train on
    std::int64_t samples = 0;  // samples seen so far this epoch
    Metrics sums;              // per metric: sum over batches of mean * samples
    double seconds = 0;        // training time so far this epoch

    // The running mean of a metric (0 before the first batch).
    double mean(const std::string& name) const;
    // Adds a step's result.
    void add(const StepResult& r);
};

struct FitOptions {
    std::int64_t epochs = 1;           // the total, counting epochs done before a resume
    std::string out_dir{};             // checkpoint, metrics and curves go here; empty: no files
    std::string resume{};              // a checkpoint of fit() to continue
    std::string monitor = "val_loss";  // early stopping and best.safetensors
    bool monitor_max = false;          // true: larger is better (accuracy)
    std::int64_t patience = 0;         // epochs without improvement before stopping (0: off)
    io::Metadata settings{};           // the recipe's settings, stored in every checkpoint
    std::string title = "training";    // of curves.svg and the log's first line
    std::ostream* log = nullptr;       // progress and per-epoch lines; null: silent
    bool terminal = false;             // draw the progress bar in place (else plain lines)
    // After every training batch (tests stop runs with it).
    std::function<void(const EpochState&)> on_batch = nullptr;
    // After an epoch (past the first) whose mean training loss is not 3% below the mean of the
    // run's first 10 batches, print a warning once: the model is not learning. Off for runs whose
    // loss is not meant to fall (a GAN's).
    bool warn_plateau = true;
    // After every finished epoch, once its record and files are written, with the history so
    // far (the epoch just finished last): for a recipe's own figures (sample grids, loss
    // curves). It may switch the model's mode but must not draw from the default generator:
    // the checkpoint is already written, so a resumed run would differ.
    std::function<void(const std::vector<EpochRecord>& history)> on_epoch = nullptr;
};

struct FitResult {
    std::vector<EpochRecord> history;  // every epoch so far, those before a resume too
    bool interrupted = false;          // stopped by request_stop(); the checkpoint says where
    bool early_stopped = false;
    std::int64_t best_epoch = 0;  // 1-based epoch of the best monitored value (0: none)
    std::string checkpoint;       // the last one written ("" without out_dir)
    std::string best_weights;     // best.safetensors ("" without out_dir or validation)
};

// Raised when a step reports a non-finite metric: "training diverged at epoch 3, step 1204:
// loss is nan".
class Diverged : public Error {
public:
    using Error::Error;
};

FitResult fit(Trainee& trainee, const data::DataLoader& train_loader,
              const data::DataLoader* val_loader, const FitOptions& options);

// The settings stored in a checkpoint of fit() (FitOptions::settings), to rebuild the model
// before resuming. Throws if `path` is not a checkpoint of fit().
io::Metadata checkpoint_settings(const std::string& path);

// Averages an EvalStep over every batch of epoch 0 of `loader` (model in eval mode, NoGrad).
Metrics evaluate(nn::Module& model, const EvalStep& step, const data::DataLoader& loader);

// Asks a running fit() to stop after its current batch; safe in a signal handler.
void request_stop();
bool stop_requested();
void clear_stop();
// SIGINT and SIGTERM call request_stop() (a second signal kills as usual); for programs (the
// CLI), never installed by the library on its own. restore_stop_handlers() puts the previous
// handlers back.
void install_stop_handlers();
void restore_stop_handlers();
// The signal that asked for the stop (SIGINT, SIGTERM), 0 for request_stop() or none.
int stop_signal();

}  // namespace soma::train
