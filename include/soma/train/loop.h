#pragma once
// The training loop of a classifier, in pieces the recipes and tests compose:
//
//   train::EpochState st;                       // running sums; resumable mid-epoch
//   train::train_epoch(model, opt, loader, epoch, st, on_batch);
//   train::EvalResult v = train::evaluate(model, val_loader, 10);
//
// Interruption: request_stop() (e.g. from a SIGINT handler installed by
// install_sigint_handler()) makes train_epoch return after the batch in progress, with
// st.batch telling where the epoch stopped, so a checkpoint can hold it.

#include <cstdint>
#include <functional>

#include "soma/data/dataloader.h"
#include "soma/nn/module.h"
#include "soma/optim/optimizer.h"

namespace soma::train {

// Progress through one epoch: batches done and the sums behind the running loss and accuracy.
struct EpochState {
    std::int64_t batch = 0;  // the next batch to train on
    std::int64_t samples = 0, correct = 0;
    double loss_sum = 0;  // sum over samples of the per-sample loss

    double loss() const { return samples ? loss_sum / samples : 0; }
    double accuracy() const { return samples ? double(correct) / samples : 0; }
};

// Called after every batch with the state so far; the loop does not look at the return.
using BatchCallback = std::function<void(const EpochState&)>;

// Trains `model` (put in training mode) on batches st.batch, st.batch + 1, ... of `epoch`
// with softmax cross-entropy (label_smoothing as in nn::cross_entropy): zero_grad, forward,
// backward, step. Returns true when the epoch ran to its end, false when a stop was requested
// (st then says where to resume).
bool train_epoch(nn::Module& model, optim::Optimizer& opt, const data::DataLoader& loader,
                 std::int64_t epoch, EpochState& st, const BatchCallback& on_batch = nullptr,
                 double label_smoothing = 0);

struct EvalResult {
    double loss = 0, accuracy = 0;
    std::int64_t samples = 0;
    Tensor confusion;  // (classes, classes) int64: row = true class, column = predicted
};

// Loss, accuracy and confusion matrix of `model` (put in eval mode, no gradients) over every
// batch of epoch 0 of `loader`.
EvalResult evaluate(nn::Module& model, const data::DataLoader& loader, std::int64_t classes);

// Asks the running train_epoch to return after its current batch; safe in a signal handler.
void request_stop();
bool stop_requested();
void clear_stop();
// SIGINT calls request_stop() (a second Ctrl-C kills as usual). Returns a guard-less handle:
// restore_sigint_handler() puts the previous handler back.
void install_sigint_handler();
void restore_sigint_handler();

}  // namespace soma::train
