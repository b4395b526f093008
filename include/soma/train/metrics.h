#pragma once
// What a training run reports: one record per epoch (a JSON line in metrics.jsonl), curves
// and a confusion matrix as SVG, and early stopping on the validation loss.

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "soma/tensor.h"

namespace soma::train {

// Named numbers in a fixed order ("loss", "accuracy", ...): what a step reports and what an
// epoch record holds. Small (a handful of entries), so lookups are linear.
class Metrics {
public:
    Metrics() = default;
    Metrics(std::initializer_list<std::pair<std::string, double>> items);

    // Sets `name` (appended when new, in place otherwise).
    void set(const std::string& name, double value);
    // Adds to `name` (0 when new).
    void add(const std::string& name, double value);
    bool has(const std::string& name) const;
    // Throws soma::Error naming the missing metric and the ones there are.
    double get(const std::string& name) const;
    const std::vector<std::pair<std::string, double>>& items() const { return items_; }
    bool empty() const { return items_.empty(); }

    bool operator==(const Metrics&) const = default;

private:
    std::vector<std::pair<std::string, double>> items_;
};

// One epoch of a run: "train_<m>" and "val_<m>" for every metric m of the steps, then "lr",
// "seconds" (the epoch's training time, without evaluation) and "samples_per_s".
struct EpochRecord {
    std::int64_t epoch = 0;  // 1-based
    Metrics values;

    double get(const std::string& name) const { return values.get(name); }
    bool operator==(const EpochRecord&) const = default;
};

// {"epoch":1,"train_loss":0.51,...} on one line, numbers with 17 significant digits so the
// record reads back exactly.
std::string to_json(const EpochRecord& r);
EpochRecord record_from_json(const std::string& line);
// A list of records as one JSON array (for checkpoint metadata), and back.
std::string history_to_json(const std::vector<EpochRecord>& history);
std::vector<EpochRecord> history_from_json(const std::string& text);

// Rewrites `path` (atomically) with one line per record.
void write_metrics(const std::string& path, const std::vector<EpochRecord>& history);

// One panel per metric m with train_m or val_m in the records (loss first, at most four):
// training and validation curves per epoch.
void save_curves_svg(const std::string& path, const std::vector<EpochRecord>& history,
                     const std::string& title);

// The confusion matrix (classes, classes) int64 as a table with the class names (rows: true,
// columns: predicted) and per-class recall.
std::string format_confusion(const Tensor& confusion, const std::vector<std::string>& names);
// The same as a heat map of row-normalised counts (true class on the y axis).
void save_confusion_svg(const std::string& path, const Tensor& confusion, const std::string& title);

// Stops when the validation loss has not improved (by more than min_delta) for `patience`
// epochs in a row; patience 0 never stops.
class EarlyStopping {
public:
    explicit EarlyStopping(std::int64_t patience = 0, double min_delta = 0)
        : patience_(patience), min_delta_(min_delta) {}
    // Records an epoch's validation loss; true when training should stop now.
    bool update(double val_loss);
    bool improved() const { return bad_epochs_ == 0; }  // the last update set a new best

    double best() const { return best_; }
    std::int64_t bad_epochs() const { return bad_epochs_; }
    // For checkpoints.
    void restore(double best, std::int64_t bad_epochs) { best_ = best, bad_epochs_ = bad_epochs; }

private:
    std::int64_t patience_;
    double min_delta_;
    double best_ = std::numeric_limits<double>::infinity();
    std::int64_t bad_epochs_ = 0;
};

}  // namespace soma::train
