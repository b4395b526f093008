// 14: the lecture's sequence-to-sequence example, A B -> A B A B. An encoder reads a short
// sequence of letters, a decoder with attention writes it twice, letter by letter, until it
// writes <eos>. Trained on random sequences, tested on sequences it never saw.

#include <algorithm>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/models/seq2seq.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/optim/clip.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

// One dictionary on both sides: 0 pad, 1 <sos>, 2 <eos>, then the letters A..F.
constexpr std::int64_t kPad = 0, kSos = 1, kEos = 2, kLetters = 6, kMaxLen = 4;
using Seq = std::vector<std::int64_t>;

std::string spell(const Seq& s) {
    std::string out;
    for (std::int64_t t : s) {
        if (!out.empty()) out += ' ';
        out += t >= 3 && t < 3 + kLetters ? static_cast<char>('A' + t - 3) : '?';
    }
    return out.empty() ? "(empty)" : out;
}

Seq twice(const Seq& s) {
    Seq y = s;
    y.insert(y.end(), s.begin(), s.end());
    return y;
}

// Every sequence of 1..kMaxLen letters (6 + 36 + 216 + 1296 = 1554), shuffled, split into
// training and held-out sequences.
std::pair<std::vector<Seq>, std::vector<Seq>> split_sequences(std::size_t held_out,
                                                              Generator& gen) {
    std::vector<Seq> all;
    std::vector<Seq> level = {{}};
    for (std::int64_t len = 1; len <= kMaxLen; ++len) {
        std::vector<Seq> longer;
        for (const Seq& s : level)
            for (std::int64_t c = 0; c < kLetters; ++c) {
                longer.push_back(s);
                longer.back().push_back(3 + c);
            }
        all.insert(all.end(), longer.begin(), longer.end());
        level = std::move(longer);
    }
    std::vector<Seq> train, test;
    for (std::int64_t i : randperm(static_cast<std::int64_t>(all.size()), &gen))
        (test.size() < held_out ? test : train).push_back(all[i]);
    return {train, test};
}

// The fraction of sequences whose greedy decoding is exactly the sequence twice.
double exact_match(models::Seq2Seq& model, const std::vector<Seq>& seqs) {
    model.eval();
    std::vector<models::Hypothesis> out =
        model.greedy_decode(models::pad_sequences(seqs, kPad), {}, 2 * kMaxLen + 2);
    model.train();
    std::size_t right = 0;
    for (std::size_t i = 0; i < seqs.size(); ++i)
        right += out[i].finished && out[i].tokens == twice(seqs[i]);
    return static_cast<double>(right) / seqs.size();
}

Result run_seq2seq(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 1000 + 12);
    auto [train, test] = split_sequences(300, gen);
    const int iterations = ctx.quick ? 300 : 800, eval_every = ctx.quick ? 50 : 100;
    const std::int64_t batch = 32;
    out << strf("%zu training sequences, %zu held out (1-%lld letters of A-F)\n", train.size(),
                test.size(), static_cast<long long>(kMaxLen));

    models::Seq2Seq model({.src_vocab = 3 + kLetters,
                           .tgt_vocab = 3 + kLetters,
                           .embed_dim = 16,
                           .hidden_size = 48,
                           .attention = models::Seq2SeqAttention::Additive,
                           .pad_id = kPad,
                           .sos_id = kSos,
                           .eos_id = kEos,
                           .gen = &gen});
    std::vector<Tensor> params = model.parameters();
    optim::Adam opt(params, {.lr = 5e-3});
    std::vector<double> steps, held_out;
    for (int it = 1; it <= iterations; ++it) {
        std::vector<Seq> src, tgt;
        for (std::int64_t i : randint(0, static_cast<std::int64_t>(train.size()), {batch}, &gen)
                                  .to_vector<std::int64_t>()) {
            src.push_back(train[i]);
            tgt.push_back(twice(train[i]));
        }
        auto [tgt_in, tgt_out] = models::shift_targets(tgt, kSos, kEos, kPad);
        // Teacher forcing: the decoder reads the true previous letter.
        Tensor logits = model.forward(models::pad_sequences(src, kPad), {}, tgt_in);
        Tensor loss = models::sequence_loss(logits, tgt_out, kPad);
        opt.zero_grad();
        loss.backward();
        optim::clip_grad_norm(params, 1.0);
        opt.step();
        if (it % eval_every == 0) {
            steps.push_back(it);
            held_out.push_back(exact_match(model, test));
            out << strf("step %4d  loss %.4f  held-out exact match %.1f%%\n", it, loss.item(),
                        100 * held_out.back());
        }
    }
    const double train_acc = exact_match(model, train), test_acc = exact_match(model, test);

    // A few held-out sequences decoded, one of them with its attention drawn.
    model.eval();
    // The slide's own example first (it may be a training sequence), then held-out ones.
    std::vector<Seq> shown = {{3, 4}};
    shown.insert(shown.end(), test.begin(), test.begin() + 8);
    std::vector<models::Hypothesis> dec =
        model.greedy_decode(models::pad_sequences(shown, kPad), {}, 2 * kMaxLen + 2);
    out << "\nthe slide's A B, then held-out sequences: input -> decoded\n";
    std::size_t pick = 0;
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const bool right = dec[i].tokens == twice(shown[i]);
        out << strf("  %-8s -> %-16s %s%s%s\n", spell(shown[i]).c_str(),
                    spell(dec[i].tokens).c_str(), right ? "" : "(expected ",
                    right ? "" : spell(twice(shown[i])).c_str(), right ? "" : ")");
        if (shown[i].size() > shown[pick].size()) pick = i;
    }

    // Its attention as a table: one row per output step, one column per input letter.
    const Tensor& w = dec[pick].attention;  // (steps, input length)
    out << "\nattention of " << spell(shown[pick]) << " (columns) at each output step (rows)\n";
    for (std::int64_t t = 0; t < w.size(0); ++t) {
        const std::size_t n = dec[pick].tokens.size();
        out << "  " << (t < static_cast<std::int64_t>(n) ? spell({dec[pick].tokens[t]}) : "<eos>");
        for (std::int64_t s = 0; s < w.size(1); ++s) out << strf(" %5.2f", w.at<float>({t, s}));
        out << "\n";
    }

    Result result;
    plot::Figure fig(
        {.title = "Seq2Seq with attention: A B -> A B A B", .width = 900, .height = 400},
        {{.title = "held-out sequences decoded exactly",
          .xlabel = "training step",
          .ylabel = "exact match",
          .ylim = plot::Range{0, 1.02},
          .legend = plot::Legend::None},
         {.title = "attention of " + spell(shown[pick]) + " -> " + spell(dec[pick].tokens),
          .xlabel = "input position",
          .ylabel = "output step (<eos> last)"}});
    fig.axes(0).line(steps, held_out);
    fig.axes(1).heatmap(w.to_vector<double>(), static_cast<int>(w.size(0)),
                        static_cast<int>(w.size(1)),
                        {.x0 = 0.5,
                         .x1 = w.size(1) + 0.5,
                         .y0 = 0.5,
                         .y1 = w.size(0) + 0.5,
                         .vmin = 0,
                         .vmax = 1,
                         .label = "attention weight"});
    result.figures.push_back(ctx.path("14_seq2seq.svg"));
    fig.save(result.figures.back());

    result.metrics["train_exact_match"] = train_acc;
    result.metrics["test_exact_match"] = test_acc;
    result.ok = test_acc >= 0.9;
    result.summary = strf(
        "GRU encoder-decoder with additive attention, %d steps: %.1f%% of %zu held-out "
        "sequences (%.1f%% of training ones) written twice exactly",
        iterations, 100 * test_acc, test.size(), 100 * train_acc);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry seq2seq_entry() {
    return {
        .name = "14_seq2seq",
        .slide = "Seq2Seq example",
        .caption =
            "The slide's example: the input A B, the output A B A B. A GRU encoder reads 1 to 4 "
            "letters of A-F (each letter's vector is a row of an embedding table, i.e. a one-hot "
            "code times a matrix); a GRU decoder with additive (Bahdanau) attention writes the "
            "sequence twice, one letter per step from <sos> until it writes <eos>. Trained with "
            "teacher forcing on random sequences, decoded greedily on 300 sequences it never saw. "
            "Left: the fraction of those decoded exactly; right: for one of them, where the "
            "decoder looked at each output step - along the input once, then again.",
        .run = run_seq2seq};
}

}  // namespace soma::gallery
