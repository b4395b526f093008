#pragma once
// Pairs of token sequences of varying lengths (a spelling and its pronunciation, a sentence and
// its translation) as a Dataset whose batches are padded, for sequence-to-sequence models.
//
//   data::SequencePairs pairs(sources, targets);   // token ids >= kFirstToken
//   data::DataLoader loader(std::make_shared<data::SequencePairs>(pairs), {.batch_size = 64});
//   // batch.input: (N, S) source ids, padded with kPad after each sequence's end
//   // batch.target: (N, T + 2) <sos> target ids <eos>, padded with kPad
//
// Every vocabulary of these sequences reserves ids 0, 1 and 2 for padding, start and end.

#include <cstdint>
#include <string>
#include <vector>

#include "soma/data/dataset.h"

namespace soma::data {

inline constexpr std::int32_t kPad = 0;
inline constexpr std::int32_t kSos = 1;
inline constexpr std::int32_t kEos = 2;
inline constexpr std::int32_t kFirstToken = 3;

using TokenSequence = std::vector<std::int32_t>;

class SequencePairs : public Dataset {
public:
    // Sources and targets of the same count; every sequence non-empty, ids >= kFirstToken.
    SequencePairs(std::vector<TokenSequence> sources, std::vector<TokenSequence> targets);

    std::int64_t size() const override { return static_cast<std::int64_t>(sources_.size()); }
    // input (S_i) int64; target (T_i + 2) int64 with <sos> and <eos>.
    Example get(std::int64_t i) const override;
    // Padded to the longest sequence of the batch: input (N, S), target (N, T + 2).
    Example get_batch(const std::vector<std::int64_t>& indices) const override;

    const std::vector<TokenSequence>& sources() const { return sources_; }
    const std::vector<TokenSequence>& targets() const { return targets_; }

private:
    std::vector<TokenSequence> sources_, targets_;
};

// Sequences padded into one (N, max length) int64 tensor; with_markers puts <sos> before and
// <eos> after each sequence.
Tensor pad_sequences(const std::vector<const TokenSequence*>& sequences, bool with_markers);

}  // namespace soma::data
