#pragma once
// What a training run reports: one record per epoch (a JSON line in metrics.jsonl), curves
// and a confusion matrix as SVG, and early stopping on the validation loss.

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

#include "soma/tensor.h"

namespace soma::train {

struct EpochRecord {
    std::int64_t epoch = 0;  // 1-based
    double train_loss = 0, train_accuracy = 0;
    double val_loss = 0, val_accuracy = 0;
    double test_loss = 0, test_accuracy = 0;
    double lr = 0;
    double seconds = 0;  // the epoch's training time (without evaluation)
    double samples_per_s = 0;

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

// loss.svg-like figure: training/validation/test loss (left) and accuracy (right) per epoch.
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
