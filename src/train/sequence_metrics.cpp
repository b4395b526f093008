#include "soma/train/sequence_metrics.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "soma/error.h"

namespace soma::train {

std::int64_t edit_distance(std::span<const std::int32_t> a, std::span<const std::int32_t> b) {
    // One row of the dynamic programme: row[j] = distance(a[:i], b[:j]).
    std::vector<std::int64_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::int64_t diagonal = row[0];
        row[0] = static_cast<std::int64_t>(i);
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::int64_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row.back();
}

void SequenceErrorRates::add(std::span<const std::int32_t> predicted,
                             const std::vector<std::vector<std::int32_t>>& references) {
    check(!references.empty(), "SequenceErrorRates::add: a word needs at least one reference");
    std::int64_t best = std::numeric_limits<std::int64_t>::max(), best_length = 0;
    for (const auto& ref : references) {
        const std::int64_t d = edit_distance(predicted, ref);
        // The closest reference; among equally close ones the longest (the smallest rate).
        if (d < best || (d == best && static_cast<std::int64_t>(ref.size()) > best_length)) {
            best = d;
            best_length = static_cast<std::int64_t>(ref.size());
        }
    }
    ++words_;
    wrong_ += best != 0;
    edits_ += best;
    reference_length_ += best_length;
}

double SequenceErrorRates::word_error_rate() const {
    return words_ ? static_cast<double>(wrong_) / static_cast<double>(words_)
                  : std::numeric_limits<double>::quiet_NaN();
}

double SequenceErrorRates::phoneme_error_rate() const {
    if (!words_) return std::numeric_limits<double>::quiet_NaN();
    return reference_length_ ? static_cast<double>(edits_) / static_cast<double>(reference_length_)
                             : (edits_ ? std::numeric_limits<double>::infinity() : 0.0);
}

}  // namespace soma::train
