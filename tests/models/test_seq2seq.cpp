// models::Seq2Seq: shapes and names, padding that changes nothing, teacher forcing, greedy vs
// beam search, hypothesis scores against the model's own probabilities, float64 gradient
// checks of the training loss, errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "soma/autograd.h"
#include "soma/models/seq2seq.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "support/op_harness.h"
#include "support/set_params.h"

namespace soma::models {
namespace {

using test::expect_close;
using test::expect_error;
using test::SetParams;
using Rows = std::vector<std::vector<std::int64_t>>;

// pad 0, sos 1, eos 2; tokens 3.. on both sides.
Seq2SeqOptions small(RecurrentCell cell, Seq2SeqAttention att, bool bidirectional = false,
                     std::int64_t layers = 1) {
    return {.src_vocab = 7,
            .tgt_vocab = 6,
            .embed_dim = 4,
            .hidden_size = 5,
            .num_layers = layers,
            .cell = cell,
            .attention = att,
            .bidirectional = bidirectional};
}

struct Config {
    RecurrentCell cell;
    Seq2SeqAttention att;
    bool bidirectional;
    std::int64_t layers;
    std::string name() const {
        const char* a[] = {"none", "additive", "dot"};
        return std::string(cell == RecurrentCell::GRU ? "GRU" : "LSTM") + "/" +
               a[static_cast<int>(att)] + (bidirectional ? "/bi" : "") + "/" +
               std::to_string(layers) + " layers";
    }
};

const std::vector<Config>& configs() {
    static const std::vector<Config> all = {
        {RecurrentCell::GRU, Seq2SeqAttention::None, false, 1},
        {RecurrentCell::GRU, Seq2SeqAttention::Additive, false, 2},
        {RecurrentCell::GRU, Seq2SeqAttention::Dot, true, 1},
        {RecurrentCell::LSTM, Seq2SeqAttention::None, true, 2},
        {RecurrentCell::LSTM, Seq2SeqAttention::Additive, true, 1},
        {RecurrentCell::LSTM, Seq2SeqAttention::Dot, false, 2},
    };
    return all;
}

const Rows kSources = {{3, 4, 5, 6}, {4, 3}, {6, 6, 5}, {5}};

TEST(Seq2Seq, ShapesAndNames) {
    for (const Config& c : configs()) {
        manual_seed(1);
        Seq2Seq m(small(c.cell, c.att, c.bidirectional, c.layers));
        Tensor src = pad_sequences(kSources, 0);  // (4, 4)
        auto [tgt_in, tgt_out] = shift_targets({{3, 4}, {5}, {3, 3, 3}, {4}}, 1, 2, 0);
        EXPECT_EQ(tgt_in.shape(), (Shape{4, 4})) << c.name();
        Tensor logits = m.forward(src, {}, tgt_in);
        EXPECT_EQ(logits.shape(), (Shape{4, 4, 6})) << c.name();
        EncoderMemory mem = m.encode(src);
        EXPECT_EQ(mem.lengths, (std::vector<std::int64_t>{4, 2, 3, 1})) << c.name();
        EXPECT_EQ(mem.outputs.shape(), (Shape{4, 4, c.bidirectional ? 10 : 5})) << c.name();
        DecoderState st = m.initial_state(mem);
        EXPECT_EQ(st.h.size(), static_cast<std::size_t>(c.layers)) << c.name();
        EXPECT_EQ(st.h[0].shape(), (Shape{4, 5})) << c.name();
        EXPECT_EQ(st.c.size(), c.cell == RecurrentCell::LSTM ? st.h.size() : 0u) << c.name();
        DecoderStep step = m.decode_step(full({4}, 1, kInt64), st, mem);
        EXPECT_EQ(step.logits.shape(), (Shape{4, 6})) << c.name();
        EXPECT_EQ(step.weights.defined(), c.att != Seq2SeqAttention::None) << c.name();
        if (step.weights.defined()) {
            // Weights at the padding are exactly zero.
            EXPECT_EQ(step.weights.to_vector<float>()[3 * 4 + 1], 0.0f) << c.name();
            expect_close(sum(step.weights, {1}), ones({4}), 1e-5, 1e-5, c.name());
        }
    }
    manual_seed(2);
    Seq2Seq m(small(RecurrentCell::LSTM, Seq2SeqAttention::Additive, true));
    std::vector<std::string> names;
    for (const auto& [n, t] : m.named_parameters()) names.push_back(n);
    const std::vector<std::string> some = {
        "src_embedding.weight",      "tgt_embedding.weight",
        "encoder.weight_ih_l0",      "encoder.weight_hh_l0_reverse",
        "bridge_h.weight",           "bridge_c.bias",
        "decoder_cells.0.weight_ih", "attention.query_proj.weight",
        "attention.key_proj.bias",   "readout.weight"};
    for (const std::string& n : some)
        EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    // The decoder's first cell reads [embedding, context]: 4 + 2·5 features.
    EXPECT_EQ(m.decoder_cells.at<nn::LSTMCell>(0).weight_ih.shape(), (Shape{20, 14}));
    EXPECT_EQ(m.readout.weight.shape(), (Shape{6, 15}));
    // The pad rows of the embeddings start at zero.
    EXPECT_EQ(sum(abs(m.src_embedding.weight.select(0, 0))).item(), 0.0);
}

// Each row of a padded batch gives what it gives alone: logits, greedy and beam decoding.
TEST(Seq2Seq, PaddingChangesNothing) {
    const Rows targets = {{3, 4, 5}, {5}, {4, 4}, {3}};
    for (const Config& c : configs()) {
        manual_seed(3);
        Seq2Seq m(small(c.cell, c.att, c.bidirectional, c.layers));
        m.eval();
        Tensor src = pad_sequences(kSources, 0);
        // Garbage (real tokens) at the padded places, with explicit lengths.
        Tensor garbage = src.clone();
        garbage.at<std::int64_t>({1, 3}) = 5;
        garbage.at<std::int64_t>({3, 1}) = 4;
        auto [tgt_in, tgt_out] = shift_targets(targets, 1, 2, 0);
        Tensor batch = m.forward(src, {}, tgt_in);
        Tensor batch_garbage = m.forward(garbage, {4, 2, 3, 1}, tgt_in);
        expect_close(batch_garbage, batch, 1e-5, 1e-5, c.name() + " garbage in the padding");
        std::vector<Hypothesis> greedy = m.greedy_decode(src, {}, 6);
        auto beams = m.beam_search(src, {}, {.beam = 3, .max_len = 6, .nbest = 2});
        for (std::size_t n = 0; n < kSources.size(); ++n) {
            const std::string what = c.name() + " row " + std::to_string(n);
            Tensor one = pad_sequences({kSources[n]}, 0);
            auto [in1, out1] = shift_targets({targets[n]}, 1, 2, 0);
            Tensor alone = m.forward(one, {}, in1);
            const std::int64_t T = in1.size(1);
            expect_close(batch.narrow(0, n, 1).narrow(1, 0, T), alone, 1e-5, 1e-5, what);
            Hypothesis g = m.greedy_decode(one, {}, 6)[0];
            EXPECT_EQ(g.tokens, greedy[n].tokens) << what;
            EXPECT_NEAR(g.log_prob, greedy[n].log_prob, 1e-4) << what;
            if (g.attention.defined()) {
                EXPECT_EQ(g.attention.size(1), static_cast<std::int64_t>(kSources[n].size()));
                expect_close(greedy[n].attention, g.attention, 1e-5, 1e-5, what + " attention");
            }
            auto b = m.beam_search(one, {}, {.beam = 3, .max_len = 6, .nbest = 2})[0];
            ASSERT_EQ(b.size(), beams[n].size()) << what;
            for (std::size_t k = 0; k < b.size(); ++k) {
                EXPECT_EQ(b[k].tokens, beams[n][k].tokens) << what;
                EXPECT_NEAR(b[k].score, beams[n][k].score, 1e-4) << what;
            }
        }
    }
}

TEST(Seq2Seq, TeacherForcing) {
    for (const Config& c : configs()) {
        manual_seed(4);
        Seq2Seq m(small(c.cell, c.att, c.bidirectional, c.layers));
        Tensor src = pad_sequences(kSources, 0);
        auto [tgt_in, tgt_out] = shift_targets({{3, 4, 5, 3}, {5}, {4, 4}, {3, 5}}, 1, 2, 0);
        Tensor other = tgt_in.clone();
        for (std::int64_t n = 0; n < 4; ++n) other.at<std::int64_t>({n, 2}) = 5;
        // Ratio 1 reads tgt_in, ratio 0 only its <sos>: then the rest of tgt_in is ignored.
        Tensor forced = m.forward(src, {}, tgt_in, 1.0);
        EXPECT_GT(max(abs(m.forward(src, {}, other, 1.0) - forced)).item(), 1e-4) << c.name();
        Tensor free = m.forward(src, {}, tgt_in, 0.0);
        expect_close(m.forward(src, {}, other, 0.0), free, 1e-6, 1e-6, c.name() + " ratio 0");
        // The first step sees <sos> either way.
        expect_close(free.select(1, 0), forced.select(1, 0), 1e-6, 1e-6, c.name() + " step 0");
        // Free running is greedy decoding: its argmax is greedy's sequence until <eos>.
        std::vector<std::int64_t> argmax_free = argmax(free, 2).to_vector<std::int64_t>();
        std::vector<Hypothesis> greedy = m.greedy_decode(src, {}, 5);
        for (std::int64_t n = 0; n < 4; ++n) {
            const auto& g = greedy[n].tokens;
            for (std::size_t t = 0; t < g.size() && t < 5; ++t)
                EXPECT_EQ(argmax_free[n * 5 + t], g[t]) << c.name() << " row " << n << " t " << t;
        }
        // A ratio in between draws from the generator: reproducible with the same seed.
        Generator g1(9), g2(9);
        expect_close(m.forward(src, {}, tgt_in, 0.5, &g1), m.forward(src, {}, tgt_in, 0.5, &g2), 0,
                     0, c.name() + " ratio 0.5");
    }
}

// Σ log p(y_t | y_<t, x) of a hypothesis under the teacher-forced forward (its <eos> too).
double log_prob_of(Seq2Seq& m, const std::vector<std::int64_t>& src, const Hypothesis& h) {
    auto [in, out] = shift_targets({h.tokens}, 1, 2, 0);
    Tensor lp = log_softmax(m.forward(pad_sequences({src}, 0), {}, in), 2);  // (1, T, V)
    std::vector<std::int64_t> y = out.to_vector<std::int64_t>();
    double s = 0;
    const std::size_t T = h.finished ? y.size() : y.size() - 1;
    for (std::size_t t = 0; t < T; ++t) s += lp.at<float>({0, static_cast<std::int64_t>(t), y[t]});
    return s;
}

TEST(Seq2Seq, BeamOfOneIsGreedy) {
    for (const Config& c : configs()) {
        manual_seed(5);
        Seq2Seq m(small(c.cell, c.att, c.bidirectional, c.layers));
        m.eval();
        Tensor src = pad_sequences(kSources, 0);
        std::vector<Hypothesis> greedy = m.greedy_decode(src, {}, 7);
        auto beams = m.beam_search(src, {}, {.beam = 1, .max_len = 7, .length_penalty = 0});
        for (std::size_t n = 0; n < kSources.size(); ++n) {
            ASSERT_EQ(beams[n].size(), 1u);
            EXPECT_EQ(beams[n][0].tokens, greedy[n].tokens) << c.name() << " row " << n;
            EXPECT_EQ(beams[n][0].finished, greedy[n].finished) << c.name();
            EXPECT_NEAR(beams[n][0].log_prob, greedy[n].log_prob, 1e-4) << c.name();
            EXPECT_NEAR(greedy[n].log_prob, log_prob_of(m, kSources[n], greedy[n]), 1e-4)
                << c.name() << " row " << n;
        }
    }
}

// An untrained model is unsure, so its greedy choices are often not the most probable
// sequence; beam search (no length penalty) must never do worse and here does better.
TEST(Seq2Seq, BeamFindsMoreProbableSequencesThanGreedy) {
    manual_seed(6);
    Seq2Seq m(small(RecurrentCell::GRU, Seq2SeqAttention::Additive));
    m.eval();
    Rows sources;
    for (std::int64_t a = 3; a < 7; ++a)
        for (std::int64_t b = 3; b < 7; ++b) sources.push_back({a, b, a});
    Tensor src = pad_sequences(sources, 0);
    std::vector<Hypothesis> greedy = m.greedy_decode(src, {}, 8);
    auto beams = m.beam_search(src, {}, {.beam = 6, .max_len = 8, .length_penalty = 0, .nbest = 3});
    int better = 0;
    for (std::size_t n = 0; n < sources.size(); ++n) {
        const Hypothesis& best = beams[n][0];
        EXPECT_GE(best.log_prob, greedy[n].log_prob - 1e-5) << "row " << n;
        better += best.log_prob > greedy[n].log_prob + 1e-3;
        // Scores are the model's probabilities, and the n-best come best first.
        EXPECT_NEAR(best.log_prob, log_prob_of(m, sources[n], best), 1e-4) << "row " << n;
        ASSERT_EQ(beams[n].size(), 3u);
        EXPECT_GE(beams[n][0].score, beams[n][1].score);
        EXPECT_GE(beams[n][1].score, beams[n][2].score);
        EXPECT_EQ(best.score, best.log_prob);  // alpha 0
    }
    EXPECT_GT(better, 0);
    // The length penalty divides by length^alpha (<eos> counted when finished).
    auto normed = m.beam_search(src.narrow(0, 0, 1), {}, {.beam = 4, .max_len = 8, .nbest = 4});
    for (const Hypothesis& h : normed[0]) {
        const double len = h.tokens.size() + (h.finished ? 1 : 0);
        EXPECT_NEAR(h.score, h.log_prob / len, 1e-12);
    }
}

TEST(Seq2Seq, GradCheckOfTheTrainingLoss) {
    const std::vector<Config> checked = {
        {RecurrentCell::GRU, Seq2SeqAttention::Additive, true, 1},
        {RecurrentCell::LSTM, Seq2SeqAttention::Dot, false, 2},
    };
    for (const Config& c : checked) {
        manual_seed(7);
        Seq2SeqOptions o = small(c.cell, c.att, c.bidirectional, c.layers);
        o.embed_dim = 3, o.hidden_size = 3;
        Seq2Seq m(o);
        m.to_double();
        Tensor src = pad_sequences({{3, 4, 5}, {6}}, 0);
        auto [tgt_in, tgt_out] = shift_targets({{3, 4}, {5}}, 1, 2, 0);
        std::vector<Tensor> inputs;
        for (Tensor& p : m.parameters()) inputs.push_back(p.detach());
        auto f = [&](const std::vector<Tensor>& in) {
            SetParams set(in, 0);
            m.visit(set);
            return sequence_loss(m.forward(src, {}, tgt_in), tgt_out, 0);
        };
        auto r = autograd::grad_check(f, inputs);
        EXPECT_TRUE(r.ok) << c.name() << ": " << r.message;
    }
}

TEST(Seq2Seq, SequenceLossSkipsPadding) {
    manual_seed(8);
    Tensor logits = randn({2, 3, 4});
    Tensor target = from_vector(std::vector<std::int64_t>{1, 3, 0, 2, 0, 0}, {2, 3});
    Tensor kept = stack({logits.select(0, 0).select(0, 0), logits.select(0, 0).select(0, 1),
                         logits.select(0, 1).select(0, 0)},
                        0);
    expect_close(sequence_loss(logits, target, 0),
                 nn::cross_entropy(kept, from_vector(std::vector<std::int64_t>{1, 3, 2})), 1e-6,
                 1e-6, "sequence_loss");
    expect_error(
        [&] {
            sequence_loss(logits, zeros({2, 3}, kInt64), 0);
        },
        "every target is padding");
    expect_error(
        [&] {
            sequence_loss(logits, zeros({2, 4}, kInt64), 0);
        },
        "target must be int64 (N, T) = (2, 3)");
}

TEST(Seq2Seq, Errors) {
    manual_seed(9);
    Seq2Seq m(small(RecurrentCell::GRU, Seq2SeqAttention::Additive));
    Tensor src = pad_sequences(kSources, 0);
    auto [tgt_in, tgt_out] = shift_targets({{3}, {3}, {3}, {3}}, 1, 2, 0);
    expect_error([&] { m.forward(zeros({4, 0}, kInt64), {}, tgt_in); }, "empty source");
    expect_error([&] { m.forward(src, {4, 0, 3, 1}, tgt_in); }, "empty source in row 1");
    expect_error(
        [&] {
            m.greedy_decode(pad_sequences({{0, 3}}, 0));
        },
        "empty source in row 0 (it starts with pad_id)");
    expect_error(
        [&] {
            m.forward(src, {4, 2, 3}, tgt_in);
        },
        "src_lengths has 3 entries but the source has 4 rows");
    expect_error(
        [&] {
            m.forward(src, {4, 2, 5, 1}, tgt_in);
        },
        "src_lengths[2] = 5 is outside [1, S = 4]");
    expect_error(
        [&] {
            m.forward(pad_sequences({{3, 7}}, 0), {}, tgt_in.narrow(0, 0, 1));
        },
        "source token 7 at row 0, position 1 is out of range [0, 7)");
    expect_error(
        [&] {
            m.forward(src, {}, full({4, 2}, 6, kInt64));
        },
        "tgt_in token 6 at row 0, position 0 is out of range [0, 6)");
    expect_error([&] { m.forward(src.to(kFloat32), {}, tgt_in); },
                 "source must be int64 token ids; got float32");
    expect_error([&] { m.forward(src, {}, tgt_in.narrow(0, 0, 3)); },
                 "source has 4 rows but tgt_in has 3");
    expect_error([&] { m.forward(src, {}, tgt_in, 1.5); },
                 "teacher_forcing_ratio must be in [0, 1], got 1.5");
    expect_error([&] { m.beam_search(src, {}, {.beam = 2, .nbest = 3}); },
                 "nbest must be in [1, beam = 2], got 3");
    expect_error([&] { m.greedy_decode(src, {}, 0); }, "max_len must be positive, got 0");
    expect_error([] { Seq2Seq({.src_vocab = 0, .tgt_vocab = 3}); },
                 "src_vocab and tgt_vocab must be positive");
    expect_error([] { Seq2Seq({.src_vocab = 5, .tgt_vocab = 2}); }, "eos_id 2 is not a target id");
    expect_error([] { Seq2Seq({.src_vocab = 5, .tgt_vocab = 5, .dropout = 1}); },
                 "dropout must be in [0, 1), got 1");
}

}  // namespace
}  // namespace soma::models
