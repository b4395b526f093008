// Seq2Seq decoding: greedy and beam search (the hypotheses of every row as one batch per step),
// both under NoGrad.

#include <algorithm>
#include <cmath>
#include <numeric>

#include "soma/autograd.h"
#include "soma/models/seq2seq.h"
#include "soma/ops.h"

namespace soma::models {

namespace {

constexpr const char* kName = "Seq2Seq";

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

double normalised(double log_prob, std::size_t length, double alpha) {
    return log_prob / std::pow(static_cast<double>(std::max<std::size_t>(length, 1)), alpha);
}

// A hypothesis being built: its tokens, summed log-probability and attention rows.
struct Partial {
    std::vector<std::int64_t> tokens;
    double log_prob = 0;
    std::vector<float> attention;  // steps × source length, row-major
    std::int64_t steps = 0;

    Hypothesis done(bool finished, std::int64_t src_len, double alpha) const {
        Hypothesis h;
        h.tokens = tokens, h.log_prob = log_prob, h.finished = finished;
        h.score = normalised(log_prob, tokens.size() + (finished ? 1 : 0), alpha);
        if (!attention.empty()) h.attention = from_vector(attention, {steps, src_len});
        return h;
    }
};

// Appends row n of weights (N, S) cut to the source's length.
void add_attention(Partial& p, const std::vector<float>& w, std::int64_t n, std::int64_t S,
                   std::int64_t len) {
    if (w.empty()) return;
    p.attention.insert(p.attention.end(), w.begin() + n * S, w.begin() + n * S + len);
}

}  // namespace

std::vector<Hypothesis> Seq2Seq::greedy_decode(const Tensor& src, const nn::Lengths& src_lengths,
                                               std::int64_t max_len) {
    check(max_len > 0, kName, ": max_len must be positive, got ", max_len);
    NoGrad no_grad;
    const EncoderMemory m = encode(src, src_lengths);
    DecoderState st = initial_state(m);
    const std::int64_t N = src.size(0), S = src.size(1), V = options().tgt_vocab;
    const std::int64_t eos = options().eos_id;
    std::vector<Partial> parts(N);
    std::vector<bool> done(N, false);
    Tensor token = full({N}, static_cast<double>(options().sos_id), kInt64);
    for (std::int64_t step = 0; step < max_len; ++step) {
        DecoderStep out = decode_step(token, st, m);
        Tensor logp = log_softmax(out.logits, 1);  // (N, V)
        Tensor next = argmax(logp, 1);             // (N)
        const std::vector<double> lp = logp.to_vector<double>();
        const std::vector<std::int64_t> nx = next.to_vector<std::int64_t>();
        const std::vector<float> w =
            out.weights.defined() ? out.weights.to_vector<float>() : std::vector<float>();
        for (std::int64_t n = 0; n < N; ++n) {
            if (done[n]) continue;
            Partial& p = parts[n];
            p.log_prob += lp[n * V + nx[n]];
            add_attention(p, w, n, S, m.lengths[n]);
            ++p.steps;
            if (nx[n] == eos)
                done[n] = true;
            else
                p.tokens.push_back(nx[n]);
        }
        if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
        token = next;
    }
    std::vector<Hypothesis> result;
    // Greedy decoding ranks nothing, so its score is the plain log-probability (alpha 0).
    for (std::int64_t n = 0; n < N; ++n) result.push_back(parts[n].done(done[n], m.lengths[n], 0));
    return result;
}

std::vector<std::vector<Hypothesis>> Seq2Seq::beam_search(const Tensor& src,
                                                          const nn::Lengths& src_lengths,
                                                          BeamSearchOptions o) {
    check(o.beam > 0, kName, ": beam must be positive, got ", o.beam);
    check(o.max_len > 0, kName, ": max_len must be positive, got ", o.max_len);
    check(o.nbest > 0 && o.nbest <= o.beam, kName, ": nbest must be in [1, beam = ", o.beam,
          "], got ", o.nbest);
    NoGrad no_grad;
    const EncoderMemory memory = encode(src, src_lengths);
    const std::int64_t N = src.size(0), S = src.size(1), V = options().tgt_vocab;
    const std::int64_t eos = options().eos_id, K = o.beam;

    // Every row searches on its own, but the hypotheses of all rows still searching go through
    // the decoder as one batch per step: N·K rows per matrix product instead of K.
    struct RowSearch {
        std::vector<Partial> active = std::vector<Partial>(1);  // <sos> alone at first
        std::vector<Hypothesis> finished;
    };
    std::vector<RowSearch> rows(static_cast<std::size_t>(N));
    DecoderState st = initial_state(memory);  // one hypothesis per row
    for (std::int64_t step = 0; step < o.max_len; ++step) {
        std::vector<std::int64_t> source_row, last;  // per hypothesis in the batch
        for (std::int64_t n = 0; n < N; ++n)
            for (const Partial& p : rows[n].active) {
                source_row.push_back(n);
                last.push_back(step == 0 ? options().sos_id : p.tokens.back());
            }
        if (source_row.empty()) break;
        DecoderStep out = decode_step(index_of(last), st, pick(memory, index_of(source_row)));
        const std::vector<double> lp = log_softmax(out.logits, 1).to_vector<double>();
        const std::vector<float> w =
            out.weights.defined() ? out.weights.to_vector<float>() : std::vector<float>();

        std::vector<std::int64_t> parents;  // batch index of each surviving hypothesis
        std::int64_t offset = 0;            // the row's first hypothesis in the batch
        for (std::int64_t n = 0; n < N; ++n) {
            RowSearch& r = rows[n];
            const std::int64_t A = static_cast<std::int64_t>(r.active.size()),
                               len = memory.lengths[n];
            if (A == 0) continue;
            // The 2K best continuations (hypothesis a, token v) by summed log-probability;
            // ties go to the earlier hypothesis and the smaller token, as argmax does.
            std::vector<std::int64_t> cand(A * V);
            std::iota(cand.begin(), cand.end(), 0);
            auto total = [&](std::int64_t c) {
                return r.active[c / V].log_prob + lp[offset * V + c];
            };
            const std::int64_t top = std::min<std::int64_t>(2 * K, A * V);
            std::partial_sort(cand.begin(), cand.begin() + top, cand.end(),
                              [&](std::int64_t x, std::int64_t y) {
                                  const double tx = total(x), ty = total(y);
                                  return tx > ty || (tx == ty && x < y);
                              });
            std::vector<Partial> next;
            std::vector<std::int64_t> row_parents;
            for (std::int64_t i = 0; i < top; ++i) {
                const std::int64_t a = cand[i] / V, v = cand[i] % V;
                Partial p = r.active[a];
                p.log_prob = total(cand[i]);
                add_attention(p, w, offset + a, S, len);
                ++p.steps;
                if (v == eos) {
                    // An <eos> only counts among the K best; further down it would displace
                    // a continuation that beats it.
                    if (i < K) r.finished.push_back(p.done(true, len, o.length_penalty));
                } else if (static_cast<std::int64_t>(next.size()) < K) {
                    p.tokens.push_back(v);
                    next.push_back(std::move(p));
                    row_parents.push_back(offset + a);
                }
            }
            offset += A;
            // Done: K finished hypotheses (or nothing left to extend).
            if (static_cast<std::int64_t>(r.finished.size()) >= K)
                next.clear(), row_parents.clear();
            r.active = std::move(next);
            parents.insert(parents.end(), row_parents.begin(), row_parents.end());
        }
        if (parents.empty()) break;
        st = pick(st, index_of(parents));
    }

    std::vector<std::vector<Hypothesis>> result(static_cast<std::size_t>(N));
    for (std::int64_t n = 0; n < N; ++n) {
        std::vector<Hypothesis>& found = rows[n].finished;
        // Cut at max_len: the unfinished hypotheses compete as they are.
        for (const Partial& p : rows[n].active)
            found.push_back(p.done(false, memory.lengths[n], o.length_penalty));
        std::stable_sort(found.begin(), found.end(), [](const Hypothesis& x, const Hypothesis& y) {
            return x.score > y.score;
        });
        if (static_cast<std::int64_t>(found.size()) > o.nbest) found.resize(o.nbest);
        result[n] = std::move(found);
    }
    return result;
}

}  // namespace soma::models
