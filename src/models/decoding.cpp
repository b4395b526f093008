#include "decoding.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "soma/autograd.h"
#include "soma/ops.h"

namespace soma::models::detail {

namespace {

// The first pad_id of each row, or S: the lengths when none are given.
std::vector<std::int64_t> lengths_before_pad(const Tensor& src, std::int64_t pad_id) {
    const std::int64_t N = src.size(0), S = src.size(1);
    const std::vector<std::int64_t> ids = src.to_vector<std::int64_t>();
    std::vector<std::int64_t> lengths(N, S);
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t s = 0; s < S; ++s)
            if (ids[n * S + s] == pad_id) {
                lengths[n] = s;
                break;
            }
    return lengths;
}

Tensor index_of(const std::vector<std::int64_t>& rows) {
    return from_vector(rows, {static_cast<std::int64_t>(rows.size())});
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

// What a step gives as host vectors: log-probabilities (B, V) and weights (B, S) or nothing.
struct StepValues {
    std::vector<double> logp;
    std::vector<float> weights;
};

StepValues values_of(const DecoderStep& out) {
    return {
        log_softmax(out.logits, 1).to(kFloat64).to_vector<double>(),
        out.weights.defined() ? out.weights.to(kFloat32).to_vector<float>() : std::vector<float>()};
}

// Appends row b of weights (B, S) cut to the source's length.
void add_attention(Partial& p, const std::vector<float>& w, std::int64_t b, std::int64_t S,
                   std::int64_t len) {
    if (w.empty()) return;
    p.attention.insert(p.attention.end(), w.begin() + b * S, w.begin() + b * S + len);
}

}  // namespace

void check_token_ids(const char* name, const Tensor& ids, std::int64_t vocab, const char* what) {
    check(ids.defined() && ids.dim() == 2, name, ": ", what, " must be (N, length) token ids; got ",
          ids.defined() ? ids.shape() : Shape{});
    check(ids.dtype() == kInt64, name, ": ", what, " must be int64 token ids; got ", ids.dtype());
    const std::vector<std::int64_t> v = ids.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < v.size(); ++i)
        check(v[i] >= 0 && v[i] < vocab, name, ": ", what, " token ", v[i], " at row ",
              static_cast<std::int64_t>(i) / ids.size(1), ", position ",
              static_cast<std::int64_t>(i) % ids.size(1), " is out of range [0, ", vocab, ")");
}

std::vector<std::int64_t> source_lengths(const char* name, const Tensor& src, std::int64_t vocab,
                                         const nn::Lengths& src_lengths, std::int64_t pad_id) {
    check_token_ids(name, src, vocab, "source");
    const std::int64_t N = src.size(0), S = src.size(1);
    check(N > 0, name, ": empty batch (source ", src.shape(), ")");
    check(S > 0, name, ": empty source (source ", src.shape(), ")");
    std::vector<std::int64_t> lengths;
    if (src_lengths.given()) {
        lengths = src_lengths.values();
        check(static_cast<std::int64_t>(lengths.size()) == N, name, ": src_lengths has ",
              lengths.size(), " entries but the source has ", N, " rows");
        for (std::int64_t n = 0; n < N; ++n)
            check(lengths[n] >= 0 && lengths[n] <= S, name, ": src_lengths[", n, "] = ", lengths[n],
                  " is outside [1, S = ", S, "]");
    } else {
        lengths = lengths_before_pad(src, pad_id);
    }
    for (std::int64_t n = 0; n < N; ++n)
        check(lengths[n] > 0, name, ": empty source in row ", n,
              src_lengths.given() ? " (src_lengths 0)" : " (it starts with pad_id)");
    return lengths;
}

std::vector<Hypothesis> greedy_search(const SearchSpec& spec, std::int64_t max_len,
                                      const StepFn& step) {
    check(max_len > 0, spec.name, ": max_len must be positive, got ", max_len);
    NoGrad no_grad;
    const auto N = static_cast<std::int64_t>(spec.lengths.size());
    const std::int64_t V = spec.vocab;
    std::vector<std::int64_t> rows(N);
    std::iota(rows.begin(), rows.end(), 0);
    std::vector<Partial> parts(N);
    std::vector<bool> done(N, false);
    std::vector<std::int64_t> next(N, spec.sos_id);
    for (std::int64_t t = 0; t < max_len; ++t) {
        const StepValues out = values_of(step(rows, index_of(next)));
        for (std::int64_t n = 0; n < N; ++n) {
            const double* lp = out.logp.data() + n * V;
            next[n] = std::max_element(lp, lp + V) - lp;  // the first maximum, as argmax
            if (done[n]) continue;
            Partial& p = parts[n];
            p.log_prob += lp[next[n]];
            add_attention(p, out.weights, n, spec.src_width, spec.lengths[n]);
            ++p.steps;
            if (next[n] == spec.eos_id)
                done[n] = true;
            else
                p.tokens.push_back(next[n]);
        }
        if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    }
    std::vector<Hypothesis> result;
    // Greedy decoding ranks nothing, so its score is the plain log-probability (alpha 0).
    for (std::int64_t n = 0; n < N; ++n)
        result.push_back(parts[n].done(done[n], spec.lengths[n], 0));
    return result;
}

std::vector<std::vector<Hypothesis>> beam_search(const SearchSpec& spec, const BeamSearchOptions& o,
                                                 const StepFn& step, const ReorderFn& reorder) {
    check(o.beam > 0, spec.name, ": beam must be positive, got ", o.beam);
    check(o.max_len > 0, spec.name, ": max_len must be positive, got ", o.max_len);
    check(o.nbest > 0 && o.nbest <= o.beam, spec.name, ": nbest must be in [1, beam = ", o.beam,
          "], got ", o.nbest);
    NoGrad no_grad;
    const auto N = static_cast<std::int64_t>(spec.lengths.size());
    const std::int64_t V = spec.vocab, K = o.beam;

    struct RowSearch {
        std::vector<Partial> active = std::vector<Partial>(1);  // <sos> alone at first
        std::vector<Hypothesis> finished;
    };
    std::vector<RowSearch> rows(static_cast<std::size_t>(N));
    for (std::int64_t t = 0; t < o.max_len; ++t) {
        std::vector<std::int64_t> source_row, last;  // per hypothesis in the batch
        for (std::int64_t n = 0; n < N; ++n)
            for (const Partial& p : rows[n].active) {
                source_row.push_back(n);
                last.push_back(t == 0 ? spec.sos_id : p.tokens.back());
            }
        if (source_row.empty()) break;
        const StepValues out = values_of(step(source_row, index_of(last)));

        std::vector<std::int64_t> parents;  // batch index of each surviving hypothesis
        std::int64_t offset = 0;            // the row's first hypothesis in the batch
        for (std::int64_t n = 0; n < N; ++n) {
            RowSearch& r = rows[n];
            const auto A = static_cast<std::int64_t>(r.active.size());
            const std::int64_t len = spec.lengths[n];
            if (A == 0) continue;
            // The 2K best continuations (hypothesis a, token v) by summed log-probability;
            // ties go to the earlier hypothesis and the smaller token, as argmax does.
            std::vector<std::int64_t> cand(A * V);
            std::iota(cand.begin(), cand.end(), 0);
            auto total = [&](std::int64_t c) {
                return r.active[c / V].log_prob + out.logp[offset * V + c];
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
                add_attention(p, out.weights, offset + a, spec.src_width, len);
                ++p.steps;
                if (v == spec.eos_id) {
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
        reorder(parents);
    }

    std::vector<std::vector<Hypothesis>> result(static_cast<std::size_t>(N));
    for (std::int64_t n = 0; n < N; ++n) {
        std::vector<Hypothesis>& found = rows[n].finished;
        // Cut at max_len: the unfinished hypotheses compete as they are.
        for (const Partial& p : rows[n].active)
            found.push_back(p.done(false, spec.lengths[n], o.length_penalty));
        std::stable_sort(found.begin(), found.end(), [](const Hypothesis& x, const Hypothesis& y) {
            return x.score > y.score;
        });
        if (static_cast<std::int64_t>(found.size()) > o.nbest) found.resize(o.nbest);
        result[n] = std::move(found);
    }
    return result;
}

}  // namespace soma::models::detail
