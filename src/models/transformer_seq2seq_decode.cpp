// TransformerSeq2Seq decoding: greedy and beam search through the shared search (decoding.h);
// this file supplies the cached decoder step and how its cache follows the hypotheses.

#include "decoding.h"
#include "soma/autograd.h"
#include "soma/models/transformer_seq2seq.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

constexpr const char* kName = "TransformerSeq2Seq";

Tensor index_of(const std::vector<std::int64_t>& rows) {
    return from_vector(rows, {static_cast<std::int64_t>(rows.size())});
}

// The memory of the given rows (a row may repeat: one per hypothesis).
TransformerMemory pick(const TransformerMemory& m, const std::vector<std::int64_t>& rows) {
    const Tensor index = index_of(rows);
    TransformerMemory r;
    r.memory = index_select(m.memory, 0, index);
    r.key_padding_mask = index_select(m.key_padding_mask, 0, index);
    for (std::int64_t i : rows) r.lengths.push_back(m.lengths[static_cast<std::size_t>(i)]);
    return r;
}

TransformerDecoderState pick(const TransformerDecoderState& s,
                             const std::vector<std::int64_t>& rows) {
    const Tensor index = index_of(rows);
    TransformerDecoderState r;
    r.tokens = index_select(s.tokens, 0, index);
    for (const Tensor& k : s.keys) r.keys.push_back(index_select(k, 0, index));
    return r;
}

detail::SearchSpec spec_of(const TransformerSeq2SeqOptions& o, const Tensor& src,
                           const TransformerMemory& m) {
    return {.name = kName,
            .vocab = o.tgt_vocab,
            .sos_id = o.sos_id,
            .eos_id = o.eos_id,
            .src_width = src.size(1),
            .lengths = m.lengths};
}

// The positional encoding covers max_len positions: decoding may not run past them.
void check_max_len(std::int64_t max_len, std::int64_t limit) {
    check(max_len > 0 && max_len <= limit, kName, ": max_len must be in [1, ", limit,
          "] (the options' max_len), got ", max_len);
}

}  // namespace

std::vector<Hypothesis> TransformerSeq2Seq::greedy_decode(const Tensor& src,
                                                          const nn::Lengths& src_lengths,
                                                          std::int64_t max_len) {
    check_max_len(max_len, o_.max_len);
    NoGrad no_grad;
    const TransformerMemory m = encode(src, src_lengths);
    TransformerDecoderState st = initial_state(m);
    // Every row in every step: the memory as it is.
    return detail::greedy_search(spec_of(o_, src, m), max_len,
                                 [&](const std::vector<std::int64_t>&, const Tensor& tokens) {
                                     return decode_step(tokens, st, m);
                                 });
}

std::vector<std::vector<Hypothesis>> TransformerSeq2Seq::beam_search(const Tensor& src,
                                                                     const nn::Lengths& src_lengths,
                                                                     BeamSearchOptions o) {
    check_max_len(o.max_len, o_.max_len);
    NoGrad no_grad;
    const TransformerMemory memory = encode(src, src_lengths);
    TransformerDecoderState st = initial_state(memory);  // one hypothesis per row at first
    return detail::beam_search(
        spec_of(o_, src, memory), o,
        [&](const std::vector<std::int64_t>& rows, const Tensor& tokens) {
            return decode_step(tokens, st, pick(memory, rows));
        },
        [&](const std::vector<std::int64_t>& parents) { st = pick(st, parents); });
}

}  // namespace soma::models
