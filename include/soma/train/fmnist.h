#pragma once
// The classifier recipe on Fashion-MNIST, as `soma train fmnist` runs it:
//
//   train::FmnistOptions o{.model = "cnn", .epochs = 5, .out_dir = "out/fmnist"};
//   train::FmnistRun run = train::train_fmnist(o);
//   run.history.back().test_accuracy;
//
// Images are normalised with the training set's mean and standard deviation; a seeded split
// holds out val_size training images for validation. Softmax cross-entropy; Adam with a constant
// lr unless the options ask for another optimizer, a schedule or augmentation. Everything
// random derives from the seed: the initialisation and dropout masks (the default generator,
// seeded with it) and the loader's order (a function of (seed, epoch) alone).
//
// With an out_dir, after every epoch: checkpoint.safetensors (model, optimizer, generator,
// progress and the run's settings, written atomically), metrics.jsonl (one JSON line per
// epoch), curves.svg; at the end confusion.svg. Resuming from a checkpoint continues exactly
// where it stopped (also mid-epoch, after request_stop()/Ctrl-C), so the curve equals an
// uninterrupted run's.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "soma/data/fashion_mnist.h"
#include "soma/nn/container.h"
#include "soma/train/loop.h"
#include "soma/train/metrics.h"

namespace soma::train {

struct FmnistOptions {
    std::string model = "cnn";    // mlp, cnn, resnet (models/classifier.h)
    std::int64_t epochs = 5;      // the total, counting those done before a resume
    std::int64_t batch_size = 0;  // 0: the model's benchmark batch size
    double lr = 1e-3;
    std::uint64_t seed = 1;
    std::string out_dir{};         // empty: nothing is written
    std::string resume{};          // a checkpoint; its model and data settings win
    std::int64_t subset = 0;       // train on the first n training images only (0: all)
    std::int64_t val_size = 5000;  // held out of the 60,000 for validation
    std::int64_t test_size = 0;    // evaluate on the first n test images (0: all 10,000)
    std::int64_t patience = 0;     // early stopping on the validation loss (0: off)
    // The recipe's knobs; the defaults are the benchmark settings (Adam, constant lr, no
    // augmentation). A resumed run takes all of them from the checkpoint.
    std::string optimizer = "adam";  // adam, adamw, sgd (momentum 0.9, Nesterov)
    double weight_decay = 0;         // L2 in the gradient (adam, sgd); decoupled (adamw)
    // none; cosine: to 0 over the epochs after warm-up; step: times gamma every step_size
    // epochs; exponential: times gamma every epoch.
    std::string schedule = "none";
    std::int64_t step_size = 10;
    double gamma = 0.1;
    std::int64_t warmup = 0;  // epochs of linear warm-up from lr / 10
    bool augment = false;     // random crop (2 px padding) and horizontal flip
    double label_smoothing = 0;
    std::string root = data::datasets::kFashionMnistRoot;
    std::ostream* log = nullptr;       // progress and per-epoch lines; null: silent
    bool terminal = false;             // draw a progress bar in place (else plain lines)
    BatchCallback on_batch = nullptr;  // after every training batch (tests stop runs with it)
};

struct FmnistRun {
    std::shared_ptr<nn::Sequential> model;
    std::string model_name;
    std::vector<EpochRecord> history;  // every epoch so far, those before a resume too
    EvalResult test;                   // the test set after the last epoch
    bool interrupted = false;          // stopped by request_stop(); the checkpoint says where
    bool early_stopped = false;
    std::string checkpoint;  // the last one written ("" without out_dir)
};

FmnistRun train_fmnist(const FmnistOptions& options);

// The training images' per-pixel mean and standard deviation.
inline constexpr double kFmnistMean = 0.2860, kFmnistStd = 0.3530;
// A split normalised with them, loaded once per process and shared (read-only).
std::shared_ptr<const data::TensorDataset> fmnist_normalized(
    data::datasets::Split split, const std::string& root = data::datasets::kFashionMnistRoot);

// Evaluates a checkpoint of train_fmnist (or a file of io::save_module) on the test set.
// model_name: empty to take it from the file's metadata; filled in on return.
EvalResult evaluate_fmnist(const std::string& path, std::string& model_name,
                           const std::string& root = data::datasets::kFashionMnistRoot,
                           std::int64_t test_size = 0);

}  // namespace soma::train
