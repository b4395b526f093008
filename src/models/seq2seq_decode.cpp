// Seq2Seq decoding: greedy and beam search through the shared search (decoding.h); this file
// supplies the recurrent decoder's step and how its state follows the surviving hypotheses.

#include "decoding.h"
#include "soma/autograd.h"
#include "soma/models/seq2seq.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

Tensor index_of(const std::vector<std::int64_t>& rows) {
    return from_vector(rows, {static_cast<std::int64_t>(rows.size())});
}

// The memory of the given rows (a row may repeat: one per hypothesis).
EncoderMemory pick(const EncoderMemory& m, const Tensor& rows) {
    EncoderMemory r;
    r.outputs = index_select(m.outputs, 0, rows);
    if (m.keys.defined()) r.keys = index_select(m.keys, 0, rows);
    r.score_mask = index_select(m.score_mask, 0, rows);
    for (std::int64_t i : rows.to_vector<std::int64_t>()) r.lengths.push_back(m.lengths[i]);
    return r;
}

DecoderState pick(const DecoderState& s, const Tensor& rows) {
    DecoderState r;
    for (const Tensor& h : s.h) r.h.push_back(index_select(h, 0, rows));
    for (const Tensor& c : s.c) r.c.push_back(index_select(c, 0, rows));
    return r;
}

detail::SearchSpec spec_of(const Seq2SeqOptions& o, const Tensor& src, const EncoderMemory& m) {
    return {.name = "Seq2Seq",
            .vocab = o.tgt_vocab,
            .sos_id = o.sos_id,
            .eos_id = o.eos_id,
            .src_width = src.size(1),
            .lengths = m.lengths};
}

}  // namespace

std::vector<Hypothesis> Seq2Seq::greedy_decode(const Tensor& src, const nn::Lengths& src_lengths,
                                               std::int64_t max_len) {
    NoGrad no_grad;
    const EncoderMemory m = encode(src, src_lengths);
    DecoderState st = initial_state(m);
    // Every row in every step: the memory as it is.
    return detail::greedy_search(spec_of(options(), src, m), max_len,
                                 [&](const std::vector<std::int64_t>&, const Tensor& tokens) {
                                     return decode_step(tokens, st, m);
                                 });
}

std::vector<std::vector<Hypothesis>> Seq2Seq::beam_search(const Tensor& src,
                                                          const nn::Lengths& src_lengths,
                                                          BeamSearchOptions o) {
    NoGrad no_grad;
    const EncoderMemory memory = encode(src, src_lengths);
    DecoderState st = initial_state(memory);  // one hypothesis per row at first
    return detail::beam_search(
        spec_of(options(), src, memory), o,
        [&](const std::vector<std::int64_t>& rows, const Tensor& tokens) {
            return decode_step(tokens, st, pick(memory, index_of(rows)));
        },
        [&](const std::vector<std::int64_t>& parents) { st = pick(st, index_of(parents)); });
}

}  // namespace soma::models
