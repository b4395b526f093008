#pragma once
// Error rates of sequence predictions with several acceptable references, as grapheme-to-
// phoneme papers report them:
//   word error rate: the fraction of words whose prediction equals none of their references;
//   phoneme error rate: over all words, the summed edit distance to the closest reference
//   divided by the summed length of those references.
//
//   train::SequenceErrorRates rates;
//   rates.add(predicted, {reference1, reference2});
//   rates.word_error_rate(), rates.phoneme_error_rate()

#include <cstdint>
#include <span>
#include <vector>

namespace soma::train {

// Levenshtein distance: insertions, deletions and substitutions each cost 1.
std::int64_t edit_distance(std::span<const std::int32_t> a, std::span<const std::int32_t> b);

class SequenceErrorRates {
public:
    // One word: its prediction and every reference (at least one).
    void add(std::span<const std::int32_t> predicted,
             const std::vector<std::vector<std::int32_t>>& references);

    std::int64_t words() const { return words_; }
    std::int64_t wrong_words() const { return wrong_; }
    std::int64_t edits() const { return edits_; }
    std::int64_t reference_length() const { return reference_length_; }
    double word_error_rate() const;     // in [0, 1]; NaN before any word
    double phoneme_error_rate() const;  // may exceed 1 (insertions); NaN before any word

private:
    std::int64_t words_ = 0, wrong_ = 0, edits_ = 0, reference_length_ = 0;
};

}  // namespace soma::train
