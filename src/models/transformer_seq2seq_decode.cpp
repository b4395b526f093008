// TransformerSeq2Seq decoding: greedy (all rows at once) and beam search (every row's
// hypotheses as one batch), both under NoGrad, with Seq2Seq's semantics.

#include <algorithm>
#include <cmath>
#include <numeric>

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

std::vector<float> weights_of(const DecoderStep& out) {
    return out.weights.defined() ? out.weights.to(kFloat32).to_vector<float>()
                                 : std::vector<float>();
}

}  // namespace

std::vector<Hypothesis> TransformerSeq2Seq::greedy_decode(const Tensor& src,
                                                          const nn::Lengths& src_lengths,
                                                          std::int64_t max_len) {
    check(max_len > 0 && max_len <= o_.max_len, kName, ": max_len must be in [1, ", o_.max_len,
          "] (the options' max_len), got ", max_len);
    NoGrad no_grad;
    const TransformerMemory m = encode(src, src_lengths);
    TransformerDecoderState st = initial_state(m);
    const std::int64_t N = src.size(0), S = src.size(1), V = o_.tgt_vocab, eos = o_.eos_id;
    std::vector<Partial> parts(N);
    std::vector<bool> done(N, false);
    Tensor token = full({N}, static_cast<double>(o_.sos_id), kInt64);
    for (std::int64_t step = 0; step < max_len; ++step) {
        DecoderStep out = decode_step(token, st, m);
        Tensor logp = log_softmax(out.logits, 1);  // (N, V)
        Tensor next = argmax(logp, 1);             // (N)
        const std::vector<double> lp = logp.to_vector<double>();
        const std::vector<std::int64_t> nx = next.to_vector<std::int64_t>();
        const std::vector<float> w = weights_of(out);
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

std::vector<std::vector<Hypothesis>> TransformerSeq2Seq::beam_search(const Tensor& src,
                                                                     const nn::Lengths& src_lengths,
                                                                     BeamSearchOptions o) {
    check(o.beam > 0, kName, ": beam must be positive, got ", o.beam);
    check(o.max_len > 0 && o.max_len <= o_.max_len, kName, ": max_len must be in [1, ", o_.max_len,
          "] (the options' max_len), got ", o.max_len);
    check(o.nbest > 0 && o.nbest <= o.beam, kName, ": nbest must be in [1, beam = ", o.beam,
          "], got ", o.nbest);
    NoGrad no_grad;
    const TransformerMemory memory = encode(src, src_lengths);
    const std::int64_t N = src.size(0), S = src.size(1), V = o_.tgt_vocab;
    const std::int64_t eos = o_.eos_id, K = o.beam;

    // The live hypotheses of every row, grouped by row in row order; row_of[a] is the source
    // row of active[a]. Each row starts with one empty hypothesis.
    std::vector<Partial> active(N);
    std::vector<std::int64_t> row_of(N);
    std::iota(row_of.begin(), row_of.end(), 0);
    TransformerDecoderState st = initial_state(memory);
    std::vector<std::vector<Hypothesis>> finished(N);
    for (std::int64_t step = 0; step < o.max_len && !active.empty(); ++step) {
        const std::int64_t A = static_cast<std::int64_t>(active.size());
        std::vector<std::int64_t> last(A);
        for (std::int64_t a = 0; a < A; ++a)
            last[a] = step == 0 ? o_.sos_id : active[a].tokens.back();
        DecoderStep out = decode_step(index_of(last), st, pick(memory, row_of));
        const std::vector<double> lp = log_softmax(out.logits, 1).to_vector<double>();
        const std::vector<float> w = weights_of(out);

        std::vector<Partial> next;
        std::vector<std::int64_t> next_row, parents;
        // Candidate c = a·V + v continues hypothesis a with token v; a row's candidates are
        // the contiguous range [begin·V, end·V).
        auto total = [&](std::int64_t c) { return active[c / V].log_prob + lp[c]; };
        for (std::int64_t begin = 0, end = 0; begin < A; begin = end) {
            const std::int64_t r = row_of[begin], len = memory.lengths[r];
            while (end < A && row_of[end] == r) ++end;
            // The 2K best continuations by summed log-probability; ties go to the earlier
            // hypothesis and the smaller token, as argmax does.
            std::vector<std::int64_t> cand((end - begin) * V);
            std::iota(cand.begin(), cand.end(), begin * V);
            const std::int64_t top = std::min<std::int64_t>(2 * K, (end - begin) * V);
            std::partial_sort(cand.begin(), cand.begin() + top, cand.end(),
                              [&](std::int64_t x, std::int64_t y) {
                                  const double tx = total(x), ty = total(y);
                                  return tx > ty || (tx == ty && x < y);
                              });
            const std::size_t kept = next.size();
            for (std::int64_t i = 0; i < top; ++i) {
                const std::int64_t a = cand[i] / V, v = cand[i] % V;
                Partial p = active[a];
                p.log_prob = total(cand[i]);
                add_attention(p, w, a, S, len);
                ++p.steps;
                if (v == eos) {
                    // An <eos> only counts among the K best; further down it would displace
                    // a continuation that beats it.
                    if (i < K) finished[r].push_back(p.done(true, len, o.length_penalty));
                } else if (static_cast<std::int64_t>(next.size() - kept) < K) {
                    p.tokens.push_back(v);
                    next.push_back(std::move(p));
                    next_row.push_back(r);
                    parents.push_back(a);
                }
            }
            // The row is done once K hypotheses are finished (or none goes on).
            if (static_cast<std::int64_t>(finished[r].size()) >= K) {
                next.resize(kept);
                next_row.resize(kept);
                parents.resize(kept);
            }
        }
        active = std::move(next);
        row_of = std::move(next_row);
        if (!active.empty()) st = pick(st, parents);
    }
    std::vector<std::vector<Hypothesis>> result(N);
    for (std::int64_t n = 0; n < N; ++n) {
        // Cut at max_len: the unfinished hypotheses compete as they are.
        for (std::size_t a = 0; a < active.size(); ++a)
            if (row_of[a] == n)
                finished[n].push_back(active[a].done(false, memory.lengths[n], o.length_penalty));
        std::vector<Hypothesis>& h = finished[n];
        std::stable_sort(h.begin(), h.end(), [](const Hypothesis& x, const Hypothesis& y) {
            return x.score > y.score;
        });
        if (static_cast<std::int64_t>(h.size()) > o.nbest) h.resize(o.nbest);
        result[n] = std::move(h);
    }
    return result;
}

}  // namespace soma::models
