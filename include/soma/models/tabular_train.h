#pragma once
// Training a recipe model on a CSV table: what `soma train csv` runs.
//
//   models::TabularSettings s;
//   s.file = "iris.csv"; s.target = "species"; s.hidden = "32";
//   models::TabularRun run = models::train_tabular(s, {.out_dir = "out/iris", .log = &std::cout});
//   // run.val_metric: validation accuracy (classification) or RMSE in the target's units
//
// The rows are split by a permutation drawn from `seed` (val_fraction of them, rounded, for
// validation); the preprocessing is fitted on the training rows (data/table.h); the model is
// models::Regressor (RMSE on standardised targets) or models::Classifier (softmax +
// cross-entropy), trained with Adam and weight decay in mini-batches. With an out_dir the run
// writes model.safetensors (models::save_tabular: the weights of the best validation epoch,
// or the last without validation) for `soma predict`.

#include <cstdint>
#include <iosfwd>
#include <string>

#include "soma/models/tabular.h"

namespace soma::models {

// Every setting of a run, in the units of the command line.
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
    std::int64_t epochs = 100;  // in total
    std::int64_t patience = 0;  // early stopping on the validation loss (0: off)
};

struct TabularOptions {
    std::string out_dir{};        // model.safetensors goes here; empty: no files
    std::ostream* log = nullptr;  // progress lines; null: silent
};

struct TabularRun {
    TabularModel model;  // with the weights of model.safetensors
    std::int64_t train_rows = 0, val_rows = 0;
    std::int64_t epochs = 0;    // epochs trained
    std::string metric_name{};  // "rmse" or "accuracy"
    double val_metric = 0;      // of `model` on the validation rows (0 without them)
    // The same metric of the trivial model: the training mean (regression) or the most
    // frequent training class (classification), on the validation rows.
    double baseline = 0;
    std::string model_path{};  // out_dir/model.safetensors, or ""
};

// Comma-separated lists of the settings: "64, 64" -> {64, 64}; throws naming the setting.
std::vector<std::int64_t> parse_widths(const std::string& text);
std::vector<std::string> parse_names(const std::string& text);

// Validates the settings (naming the bad one) and trains. Errors in the file (see data/table.h)
// are soma::Error naming the file, line and column.
TabularRun train_tabular(const TabularSettings& settings, const TabularOptions& options = {});

}  // namespace soma::models
