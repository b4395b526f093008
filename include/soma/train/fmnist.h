#pragma once
// The classifier recipe on Fashion-MNIST, as `soma train fmnist` runs it, on train::fit:
//
//   train::FmnistOptions o{.model = "cnn", .epochs = 5, .out_dir = "out/fmnist"};
//   train::FmnistRun run = train::train_fmnist(o);
//   run.test.accuracy;   // the test set, evaluated once at the end
//
// Images are normalised with the training set's mean and standard deviation; a seeded split
// holds out val_size training images for validation. Softmax cross-entropy; Adam with a constant
// lr unless the options ask for another optimizer, a schedule or augmentation. Everything
// random derives from the seed: the initialisation and dropout masks (the default generator,
// seeded with it) and the loader's order (a function of (seed, epoch) alone).
//
// Model selection is honest: training, early stopping and best.safetensors look at the
// validation split only; the test split is evaluated once, after the last epoch, on the weights
// `select` names (the last epoch's, or the best validation loss's), and the result says which.
//
// With an out_dir, fit() writes checkpoint.safetensors, best.safetensors, metrics.jsonl and
// curves.svg after every epoch (engine.h); at the end confusion.svg. Resuming continues exactly
// where the checkpoint stopped (also mid-epoch), so the curve equals an uninterrupted run's.
//
// With `adversarial`, the step is robust optimisation (Madry et al.): PGD on every batch, then
// the update on the adversarial examples:
//   soma train fmnist --model cnn --adversarial pgd --eps 0.1 --attack-steps 10

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "soma/data/fashion_mnist.h"
#include "soma/nn/container.h"
#include "soma/train/classification.h"
#include "soma/train/engine.h"
#include "soma/train/settings.h"

namespace soma::train {

struct FmnistOptions {
    std::string model = "cnn";    // mlp, cnn, resnet (models/classifier.h)
    std::int64_t epochs = 5;      // the total, counting those done before a resume
    std::int64_t batch_size = 0;  // 0: the model's benchmark batch size
    double lr = 1e-3;
    std::uint64_t seed = 1;
    std::string out_dir{};         // empty: nothing is written
    std::string resume{};          // a checkpoint; its settings win (see `given`)
    std::int64_t subset = 0;       // train on the first n training images only (0: all)
    std::int64_t val_size = 5000;  // held out of the 60,000 for validation
    std::int64_t test_size = 0;    // evaluate on the first n test images (0: all 10,000)
    std::int64_t patience = 0;     // early stopping on the validation loss (0: off)
    // The recipe's knobs; the defaults are the benchmark settings (Adam, constant lr, no
    // augmentation).
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
    std::string select = "last";  // the weights the test set sees: last or best (validation)
    // Robust training (attack/adversarial_training.h): none, pgd, fgsm or trades. Each batch is
    // attacked in pixel units (an L-inf ball of radius eps inside [0, 1]) and the model
    // trained on the result; validation then also reports robust accuracy under the same attack
    // (from the clean image, no random start), and `best` selects on it.
    std::string adversarial = "none";
    double eps = 0.1;  // the attack's radius (pixels)
    std::int64_t attack_steps = 10;
    double attack_step_size = 0;  // 0: 2.5 * eps / attack_steps
    double clean_weight = 0;      // pgd, fgsm: the clean loss's share
    double trades_beta = 6;       // trades: the KL term's weight
    std::string root = data::datasets::kFashionMnistRoot;
    std::ostream* log = nullptr;  // progress and per-epoch lines; null: silent
    bool terminal = false;        // draw a progress bar in place (else plain lines)
    std::function<void(const EpochState&)> on_batch = nullptr;  // after every training batch
    // With resume: the settings the caller set on purpose (command-line flags, by field name);
    // one that differs from the checkpoint's is an error. Unset: those that differ from the
    // defaults above.
    std::optional<std::set<std::string>> given{};

    // The run settings stored in checkpoints (settings.h); epochs, patience, test_size and
    // select may change on resume.
    void fields(FieldVisitor& v);
};

struct FmnistRun {
    std::shared_ptr<nn::Sequential> model;  // with the weights the test set saw
    std::string model_name;
    std::vector<EpochRecord> history;  // every epoch so far, those before a resume too
    EvalResult test;                   // the test set, once, after training (not if interrupted)
    std::string tested;                // "last epoch (N)" or "best validation loss (epoch N)"
    bool interrupted = false;          // stopped by request_stop(); the checkpoint says where
    bool early_stopped = false;
    std::int64_t best_epoch = 0;
    std::string checkpoint;  // the last one written ("" without out_dir)
};

FmnistRun train_fmnist(const FmnistOptions& options);

// The training images' per-pixel mean and standard deviation.
inline constexpr double kFmnistMean = 0.2860, kFmnistStd = 0.3530;
// A split normalised with them, loaded once per process and shared (read-only).
std::shared_ptr<const data::TensorDataset> fmnist_normalized(
    data::datasets::Split split, const std::string& root = data::datasets::kFashionMnistRoot);

// The classifier a checkpoint of train_fmnist, its best.safetensors or a file of
// io::save_module holds, with its weights. model_name: empty to take it from the file's
// metadata (an error if the file names none); filled in on return.
std::shared_ptr<nn::Sequential> load_fmnist_model(const std::string& path, std::string& model_name);

// Evaluates a checkpoint of train_fmnist, its best.safetensors or a file of io::save_module on
// the test set. model_name: empty to take it from the file's metadata; filled in on return.
EvalResult evaluate_fmnist(const std::string& path, std::string& model_name,
                           const std::string& root = data::datasets::kFashionMnistRoot,
                           std::int64_t test_size = 0);

}  // namespace soma::train
