#pragma once
// What the sequence-to-sequence models (models::Seq2Seq, models::TransformerSeq2Seq) share: the
// checks of token ids and source lengths, and greedy and beam search for any autoregressive
// decoder (the search is the same whatever the decoder's state, so the models hand in one step
// over a batch of hypotheses and a way to reorder their state). Internal to libsoma
// (src/models); the public API is the models' own.

#include <cstdint>
#include <functional>
#include <vector>

#include "soma/models/seq2seq.h"

namespace soma::models::detail {

// ids must be (N, length) int64 with every id in [0, vocab); errors name the model (`name`),
// `what` ("source", "tgt_in") and the first bad id's row and position.
void check_token_ids(const char* name, const Tensor& ids, std::int64_t vocab, const char* what);

// Each source row's length: src_lengths when given (one per row, each in [1, S]), else the
// position of the row's first pad_id. Checks src (N >= 1 rows, S >= 1 ids in [0, vocab)) and
// that no row is empty (attention over no key would give NaN).
std::vector<std::int64_t> source_lengths(const char* name, const Tensor& src, std::int64_t vocab,
                                         const nn::Lengths& src_lengths, std::int64_t pad_id);

struct SearchSpec {
    const char* name;  // the model, for error messages
    std::int64_t vocab, sos_id, eos_id;
    std::int64_t src_width;             // S: the stride of DecoderStep::weights' rows
    std::vector<std::int64_t> lengths;  // per source row; attention rows are cut to it
};

// One decoder step for a batch of hypotheses: source_rows[b] is the source row hypothesis b
// decodes, tokens (B) int64 its last token (<sos> at first). Advances the decoder state of
// those hypotheses (in that order) and returns logits (B, vocab) and optional weights (B, S).
using StepFn =
    std::function<DecoderStep(const std::vector<std::int64_t>& source_rows, const Tensor& tokens)>;
// Makes the decoder state's batch rows the given rows of the last step's batch, in order.
using ReorderFn = std::function<void(const std::vector<std::int64_t>& parents)>;

// Argmax decoding of every row, all rows in every step; score = log_prob.
std::vector<Hypothesis> greedy_search(const SearchSpec& spec, std::int64_t max_len,
                                      const StepFn& step);

// Beam search per row (semantics in Seq2Seq::beam_search), the hypotheses of all rows still
// searching decoded as one batch per step. Checks beam, max_len and nbest.
std::vector<std::vector<Hypothesis>> beam_search(const SearchSpec& spec, const BeamSearchOptions& o,
                                                 const StepFn& step, const ReorderFn& reorder);

}  // namespace soma::models::detail
