#pragma once
// A recipe model together with the preprocessing of its table: what `soma train csv` trains
// and `soma predict` applies to new rows.
//
//   data::TableEncoding enc = data::fit_encoding(table, train_rows, {.target = "y"});
//   models::TabularModel m = models::TabularModel::create(enc, {.hidden = {64, 64}});
//   ... train m.net ...
//   models::save_tabular(m, "model.safetensors");
//   models::TabularModel back = models::load_tabular("model.safetensors");
//   models::TabularPredictions p = back.predict(data::read_table("new.csv"));
//
// The file is a plain safetensors file of the network's weights with one metadata entry,
// "tabular": JSON text holding the preprocessing (data::TableEncoding::to_json) and the
// architecture (hidden widths, dropout, batch norm, residual). train_tabular stores the same
// entry among its settings, so its checkpoint.safetensors and best.safetensors load here too.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "soma/data/table.h"
#include "soma/io/safetensors.h"
#include "soma/models/recipe.h"

namespace soma::models {

// The metadata key that holds TabularModel::to_json().
inline constexpr const char* kTabularKey = "tabular";

struct TabularPredictions {
    // Regression: (N, out) float32 in the target's units; classification: (N) int64 classes.
    Tensor output;
    Tensor probabilities;             // classification: (N, classes); else undefined
    std::vector<std::string> labels;  // per row: the value as text, or the class name
    // Categorical values the training data did not have (encoded as all zeros), per column.
    std::map<std::string, std::int64_t> unseen;
    // When the table has the target column: RMSE (regression, target units) or accuracy.
    std::optional<double> metric;
    std::string metric_name;  // "rmse" or "accuracy"
    std::string no_metric;    // why there is no metric although the target column is there
};

struct TabularModel {
    data::TableEncoding encoding;
    RecipeOptions options;            // .in and .out follow from the encoding
    std::shared_ptr<nn::Module> net;  // a Regressor or a Classifier

    // A fresh network for `encoding`: options' in/out are set from it (width(), classes).
    static TabularModel create(const data::TableEncoding& encoding, RecipeOptions options);
    // The preprocessing and the architecture as JSON, and a fresh model from such text.
    std::string to_json() const;
    static TabularModel from_json(const std::string& json, const std::string& source);

    // Encodes `table` and runs the network in eval mode without gradients.
    TabularPredictions predict(const data::TextTable& table);
};

// RMSE of predictions against targets (same shape), or the fraction of equal int64 labels.
double rmse(const Tensor& prediction, const Tensor& target);
double accuracy(const Tensor& predicted, const Tensor& labels);

// Writes the network's weights with {kTabularKey: to_json()} (plus `extra` metadata).
void save_tabular(TabularModel& model, const std::string& path, const io::Metadata& extra = {});
// Reads a file written by save_tabular, or a checkpoint of `soma train csv` (io/checkpoint.h).
// Throws naming the file when it holds no tabular model or the weights do not fit.
TabularModel load_tabular(const std::string& path);

}  // namespace soma::models
