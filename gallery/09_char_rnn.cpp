// 09: a character-level language model. A GRU reads the words of a real dictionary (Debian's
// wamerican word list) one letter at a time and predicts the next letter; sampling from it,
// letter by letter with a temperature, makes up new words that look English.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/nn/rnn.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/optim/clip.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

// Symbol 0 ends a word; 1..26 are the letters a..z.
constexpr std::int64_t kVocab = 27, kEmbed = 16, kHidden = 96;
char symbol_char(std::int64_t s) { return s == 0 ? '\n' : static_cast<char>('a' + s - 1); }

const char* kDictionary = "/usr/share/dict/american-english";

// Lower-case words of letters only (no names, no possessives), seeded shuffle, then the last
// 10% held out: each part as a stream of symbols, every word followed by 0.
struct Corpus {
    std::vector<std::int64_t> train, held_out;
    std::vector<std::string> words;  // all of them, sorted (to tell made-up words from real)
};

Corpus read_corpus(Generator& gen) {
    std::ifstream in(kDictionary);
    check(in.good(), "09_char_rnn: cannot read ", kDictionary, " (apt-get install wamerican)");
    Corpus c;
    for (std::string w; std::getline(in, w);)
        if (!w.empty() &&
            std::all_of(w.begin(), w.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; }))
            c.words.push_back(w);
    std::vector<std::int64_t> perm = randperm(static_cast<std::int64_t>(c.words.size()), &gen);
    const std::size_t n_train = c.words.size() * 9 / 10;
    for (std::size_t i = 0; i < perm.size(); ++i) {
        std::vector<std::int64_t>& dst = i < n_train ? c.train : c.held_out;
        for (char ch : c.words[perm[i]]) dst.push_back(ch - 'a' + 1);
        dst.push_back(0);
    }
    std::sort(c.words.begin(), c.words.end());
    return c;
}

struct CharModel {
    Tensor embed;  // (kVocab, kEmbed)
    nn::GRU gru;
    nn::Linear readout;

    explicit CharModel(Generator& gen)
        : embed(randn({kVocab, kEmbed}, &gen) * 0.3),
          gru({.input_size = kEmbed, .hidden_size = kHidden, .batch_first = true, .gen = &gen}),
          readout({.in = kHidden, .out = kVocab, .gen = &gen}) {
        embed.requires_grad_();
    }
    std::vector<Tensor> parameters() {
        std::vector<Tensor> p = gru.parameters(), r = readout.parameters();
        p.insert(p.end(), r.begin(), r.end());
        p.push_back(embed);
        return p;
    }
    // symbols (N, T) int64 -> logits (N·T, kVocab) and the final state.
    std::pair<Tensor, Tensor> forward(const Tensor& symbols, const Tensor& h0 = Tensor()) {
        auto [out, h] = gru(embedding(embed, symbols), h0);
        return {readout(out.reshape({-1, kHidden})), h};
    }
};

// Batches of `n` windows of `len + 1` symbols from random places of the stream.
std::pair<Tensor, Tensor> random_windows(const std::vector<std::int64_t>& stream, std::int64_t n,
                                         std::int64_t len, Generator& gen) {
    std::vector<std::int64_t> starts =
        randint(0, static_cast<std::int64_t>(stream.size()) - len - 1, {n}, &gen)
            .to_vector<std::int64_t>();
    std::vector<std::int64_t> in, target;
    for (std::int64_t s : starts) {
        in.insert(in.end(), stream.begin() + s, stream.begin() + s + len);
        target.insert(target.end(), stream.begin() + s + 1, stream.begin() + s + len + 1);
    }
    return {from_vector(in, {n, len}), from_vector(target, {n * len})};
}

// Bits per character over the first `limit` symbols of the stream, read as `rows` parallel
// slices whose state carries over from chunk to chunk.
double bits_per_char(CharModel& m, const std::vector<std::int64_t>& stream, std::size_t limit) {
    NoGrad no_grad;
    const std::int64_t rows = 32, len = 128;
    const std::int64_t per_row =
        static_cast<std::int64_t>(std::min(limit, stream.size() - 1)) / rows;
    Tensor h;
    double nats = 0;
    std::int64_t count = 0;
    for (std::int64_t start = 0; start < per_row; start += len) {
        const std::int64_t l = std::min(len, per_row - start);
        std::vector<std::int64_t> in, target;
        for (std::int64_t r = 0; r < rows; ++r) {
            auto base = stream.begin() + r * per_row + start;
            in.insert(in.end(), base, base + l);
            target.insert(target.end(), base + 1, base + l + 1);
        }
        auto [logits, h_n] = m.forward(from_vector(in, {rows, l}), h);
        h = h_n;
        nats += nn::cross_entropy(logits, from_vector(target), nn::Reduction::Sum).item();
        count += rows * l;
    }
    return nats / count / std::log(2.0);
}

double unigram_entropy(const std::vector<std::int64_t>& stream) {
    std::vector<double> counts(kVocab, 0);
    for (std::int64_t s : stream) counts[s] += 1;
    double bits = 0;
    for (double c : counts)
        if (c > 0) bits -= c / stream.size() * std::log2(c / stream.size());
    return bits;
}

// `count` words drawn letter by letter from softmax(logits / temperature).
std::vector<std::string> sample_words(CharModel& m, int count, double temperature, Generator& gen) {
    NoGrad no_grad;
    std::vector<std::string> words;
    Tensor h;
    std::int64_t prev = 0;
    std::string word;
    while (static_cast<int>(words.size()) < count) {
        auto [logits, h_n] = m.forward(from_vector(std::vector<std::int64_t>{prev}, {1, 1}), h);
        h = h_n;
        std::vector<double> p = softmax(logits / temperature, 1).to_vector<double>();
        double u = rand({}, &gen).item(), acc = 0;
        std::int64_t s = kVocab - 1;
        for (std::int64_t k = 0; k < kVocab; ++k)
            if ((acc += p[k]) > u) {
                s = k;
                break;
            }
        if (s == 0 || word.size() >= 24) {
            if (!word.empty()) words.push_back(word);
            word.clear();
        } else {
            word += symbol_char(s);
        }
        prev = s;
    }
    return words;
}

Result run_char_rnn(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 1000 + 9);
    Corpus corpus = read_corpus(gen);
    const std::int64_t batch = 32, len = 48;
    const int iterations = ctx.quick ? 150 : 1500, eval_every = ctx.quick ? 50 : 100;
    const std::size_t eval_chars = ctx.quick ? 20000 : 100000;
    out << strf("%zu words (%zu training / %zu held-out characters incl. word ends)\n",
                corpus.words.size(), corpus.train.size(), corpus.held_out.size());

    CharModel model(gen);
    std::vector<Tensor> params = model.parameters();
    optim::Adam opt(params, {.lr = 3e-3});
    std::vector<double> steps, train_bpc, held_bpc;
    double running = 0;
    for (int it = 1; it <= iterations; ++it) {
        auto [in, target] = random_windows(corpus.train, batch, len, gen);
        Tensor loss = nn::cross_entropy(model.forward(in).first, target);
        opt.zero_grad();
        loss.backward();
        optim::clip_grad_norm(params, 5.0);
        opt.step();
        running += loss.item() / std::log(2.0);
        if (it % eval_every == 0) {
            steps.push_back(it);
            train_bpc.push_back(running / eval_every);
            held_bpc.push_back(bits_per_char(model, corpus.held_out, eval_chars / 5));
            running = 0;
        }
    }
    const double bpc = bits_per_char(model, corpus.held_out, eval_chars);
    const double unigram = unigram_entropy(corpus.train);
    out << model.gru << "\n"
        << strf(
               "held-out bits per character %.3f (letter frequencies alone: %.3f, uniform: %.3f)\n",
               bpc, unigram, std::log2(static_cast<double>(kVocab)));

    Result result;
    std::ofstream samples(ctx.path("09_char_rnn_samples.txt"));
    for (double temperature : {0.5, 0.8, 1.0}) {
        std::vector<std::string> words = sample_words(model, ctx.quick ? 8 : 20, temperature, gen);
        int real = 0;
        std::string line = strf("temperature %.1f:", temperature);
        for (const std::string& w : words) {
            bool known = std::binary_search(corpus.words.begin(), corpus.words.end(), w);
            real += known;
            line += " " + w + (known ? "" : "*");
        }
        line +=
            strf("   (%d of %zu are dictionary words; * marks made-up ones)", real, words.size());
        out << line << "\n";
        samples << line << "\n";
        result.metrics[strf("real_words_t%.1f", temperature)] =
            static_cast<double>(real) / words.size();
    }
    samples.close();

    plot::Figure fig({.title = "Character-level GRU on the wamerican word list",
                      .xlabel = "training step",
                      .ylabel = "bits per character",
                      .width = 600,
                      .height = 380});
    fig.line(steps, train_bpc, "training (running mean)");
    fig.line(steps, held_bpc, "held-out");
    fig.line({steps.front(), steps.back()}, {unigram, unigram}, "letter frequencies",
             {.color = "#999999", .dashed = true});
    result.figures.push_back(ctx.path("09_char_rnn.svg"));
    fig.save(result.figures.back());
    result.figures.push_back(ctx.path("09_char_rnn_samples.txt"));

    result.metrics["bits_per_char"] = bpc;
    result.metrics["unigram_bits"] = unigram;
    result.ok = bpc < unigram - 0.3;
    result.summary = strf(
        "Character-level GRU (%lld units), %d steps: %.3f bits/char on held-out "
        "words (unigram %.3f)",
        static_cast<long long>(kHidden), iterations, bpc, unigram);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

bool char_rnn_data_available() { return std::filesystem::exists(kDictionary); }

Entry char_rnn_entry() {
    return {
        .name = "09_char_rnn",
        .slide = "Long Short-Term Memory Networks (Hochreiter and Schmidhuber 1997)",
        .caption =
            "A character-level language model: a GRU reads the lower-case words of Debian's "
            "wamerican word list letter by letter and predicts the next letter (or the end of the "
            "word). The curve shows bits per character on training and held-out words against the "
            "entropy of the letter frequencies alone; the samples are words drawn letter by letter "
            "at temperatures 0.5 to 1 (* marks words that are not in the dictionary).",
        .run = run_char_rnn};
}

}  // namespace soma::gallery
