#pragma once
// Training a recipe model on a CSV table, on train::fit: what `soma train csv` runs.
//
//   models::TabularRun run = models::train_tabular(
//       {.file = "iris.csv", .target = "species", .hidden = "32"},
//       {.out_dir = "out/iris", .log = &std::cout});
//   // run.val_metric: validation accuracy (classification) or RMSE in the target's units
//
// The rows are split by a permutation drawn from `seed` (val_fraction of them, rounded, for
// validation); the preprocessing is fitted on the training rows (data/table.h); the model is
// models::Regressor (RMSE on standardised targets) or models::Classifier (softmax +
// cross-entropy), trained with Adam and L2 weight decay in shuffled mini-batches.
//
// With an out_dir, fit() writes checkpoint.safetensors, best.safetensors (the weights of the
// best validation loss), metrics.jsonl and curves.svg after every epoch (train/engine.h). Both
// weight files carry the settings, among them "tabular" (the preprocessing and the
// architecture, models/tabular.h), so `soma predict` reads either. A resumed run takes every
// setting from its checkpoint (epochs and patience may change) and continues exactly.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "soma/models/tabular.h"
#include "soma/train/engine.h"
#include "soma/train/settings.h"

namespace soma::models {

// Every setting of a run, in the units of the command line; stored in the checkpoints
// (train/settings.h).
struct TabularSettings {
    std::string file;              // the CSV (header row; plain or .gz)
    std::string target;            // the target column's name
    std::string task = "auto";     // auto, regression or classification
    std::string ignore = "";       // comma-separated columns left out of the inputs
    std::string hidden = "64,64";  // hidden widths, comma-separated ("" for none)
    double dropout = 0;
    bool batch_norm = false;
    bool residual = false;
    double lr = 1e-3;
    double weight_decay = 1e-4;  // Adam's L2 weight decay
    std::int64_t batch_size = 32;
    double val_fraction = 0.2;  // in [0, 1); 0: no validation
    std::uint64_t seed = 1;     // split, initialisation, dropout and batch order
    std::int64_t epochs = 100;  // in total (may change on resume)
    std::int64_t patience = 0;  // early stopping on the validation loss (0: off; may change)
    // Filled in by the run: the preprocessing and architecture (TabularModel::to_json()).
    std::string tabular = "";

    void fields(train::FieldVisitor& v);
};

struct TabularOptions {
    std::string out_dir{};  // checkpoint, best weights, metrics, curves; empty: no files
    std::string resume{};   // a checkpoint of train_tabular to continue
    // With resume: the settings given on purpose (by field name); one that contradicts the
    // checkpoint is an error. Unset: those that differ from TabularSettings' defaults.
    std::optional<std::set<std::string>> given{};
    std::ostream* log = nullptr;  // progress and per-epoch lines; null: silent
    bool terminal = false;        // draw a progress bar in place (else plain lines)
    std::function<void(const train::EpochState&)> on_batch = nullptr;
};

struct TabularRun {
    TabularModel model;  // with the weights the validation metric was measured on
    std::int64_t train_rows = 0, val_rows = 0;
    std::vector<train::EpochRecord> history;  // every epoch, those before a resume too
    bool interrupted = false;                 // stopped by request_stop(): resume `checkpoint`
    bool early_stopped = false;
    std::int64_t best_epoch = 0;  // of the best validation loss (0: no validation)
    std::string weights{};        // "last epoch (N)" or "best validation loss (epoch N)"
    std::string metric_name{};    // "rmse" or "accuracy"
    double val_metric = 0;        // of `model` on the validation rows (0 without them)
    // The same metric of the trivial model: the training mean (regression) or the most
    // frequent training class (classification), on the validation rows.
    double baseline = 0;
    std::string checkpoint{};    // the last checkpoint written, or ""
    std::string best_weights{};  // best.safetensors, or ""
};

// Comma-separated lists of the settings: "64, 64" -> {64, 64}; throws naming the setting.
std::vector<std::int64_t> parse_widths(const std::string& text);
std::vector<std::string> parse_names(const std::string& text);

// Validates the settings (naming the bad one) and trains. Errors in the file (see data/table.h)
// are soma::Error naming the file, line and column.
TabularRun train_tabular(const TabularSettings& settings, const TabularOptions& options = {});

}  // namespace soma::models
