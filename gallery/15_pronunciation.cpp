// 15: a real sequence-to-sequence task, pronouncing English words. The CMU pronouncing
// dictionary (Debian's pocketsphinx-en-us) gives spellings and their phonemes; a GRU
// encoder-decoder with additive attention learns to write the phonemes of a spelling it never
// saw. A short run of the model `soma train g2p` trains at length: a few words are spelled in,
// phonemes come out, and the attention of one of them is drawn letters x phonemes.

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/data/cmudict.h"
#include "soma/data/g2p.h"
#include "soma/models/seq2seq.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/optim/clip.h"
#include "soma/plot/svg.h"
#include "soma/train/g2p.h"

namespace soma::gallery {

namespace {

// Words in no dictionary (the lecture's own vocabulary); "perceptron" is drawn.
const std::vector<std::string> kNewWords = {"perceptron", "backprop", "softmax", "autograd",
                                            "minibatch",  "convnet",  "pytorch"};
constexpr std::size_t kHeldOutShown = 8;   // test words printed with their references
constexpr std::size_t kScoredWords = 600;  // validation words scored greedily

std::string join_tokens(const data::G2PVocab& vocab, const std::vector<std::int64_t>& tokens) {
    return vocab.decode_phonemes(data::TokenSequence(tokens.begin(), tokens.end()));
}

// Of consecutive output steps, the fraction whose most attended letter is not left of the
// previous step's: 1 for an alignment that reads the spelling left to right.
double monotonic_fraction(const std::vector<models::Hypothesis>& hs) {
    std::int64_t steps = 0, forward = 0;
    for (const auto& h : hs) {
        const Tensor peak = argmax(h.attention, 1);  // (steps)
        const std::vector<std::int64_t> p = peak.to_vector<std::int64_t>();
        for (std::size_t t = 1; t < p.size(); ++t) ++steps, forward += p[t] >= p[t - 1];
    }
    return steps ? static_cast<double>(forward) / steps : 0.0;
}

// How far the attention travels along a spelling: (the last step's most attended letter - the
// first step's) / (letters - 1), averaged over words of two or more letters. A peak stuck on one
// letter is monotonic too; this tells it from a reading of the whole word (1).
double attention_span(const std::vector<models::Hypothesis>& hs) {
    double sum = 0;
    std::int64_t words = 0;
    for (const auto& h : hs) {
        const std::int64_t letters = h.attention.size(1);
        if (letters < 2) continue;
        const std::vector<std::int64_t> p = argmax(h.attention, 1).to_vector<std::int64_t>();
        sum += static_cast<double>(p.back() - p.front()) / (letters - 1), ++words;
    }
    return words ? sum / words : 0.0;
}

// n held-out words spread evenly over the (alphabetical) list, so they are not all "'cause",
// "'m", "a" ...
data::WordsWithReferences spread_words(const data::WordsWithReferences& w, std::size_t n) {
    data::WordsWithReferences out;
    for (std::size_t k = 0; k < n && k < w.words.size(); ++k) {
        const std::size_t i = (2 * k + 1) * w.words.size() / (2 * n);
        out.words.push_back(w.words[i]);
        out.spellings.push_back(w.spellings[i]);
        out.references.push_back(w.references[i]);
    }
    return out;
}

Tensor spellings_batch(const std::vector<data::TokenSequence>& spellings) {
    std::vector<const data::TokenSequence*> rows;
    for (const auto& s : spellings) rows.push_back(&s);
    return data::pad_sequences(rows, false);  // (N, S)
}

Result run_pronunciation(Context& ctx) {
    std::ostream& out = ctx.out();
    const data::CmuDict dict = data::read_cmudict();
    const data::G2PVocab vocab(dict);
    const data::G2PData d =
        data::g2p_data(dict, data::split_words(dict, 12000, 2670, ctx.seed + 1), vocab);
    const data::SequencePairs& train = d.train;
    out << strf(
        "CMUdict: %zu words (%lld entries dropped: characters outside a-z and '), %zu "
        "phonemes; %lld training pairs, %zu validation and %zu test words\n",
        dict.words.size(), static_cast<long long>(dict.dropped_lines), dict.phonemes.size(),
        static_cast<long long>(train.size()), d.validation.words.size(), d.test.words.size());

    Generator gen(ctx.seed * 1000 + 14);
    const int steps = ctx.quick ? 250 : 1000;
    const std::int64_t batch = 64;
    models::Seq2Seq model({.src_vocab = static_cast<std::int64_t>(vocab.letters().size()),
                           .tgt_vocab = static_cast<std::int64_t>(vocab.phonemes().size()),
                           .embed_dim = 48,
                           .hidden_size = 128,
                           .attention = models::Seq2SeqAttention::Additive,
                           .bidirectional = true,
                           .pad_id = data::kPad,
                           .sos_id = data::kSos,
                           .eos_id = data::kEos,
                           .gen = &gen});
    std::vector<Tensor> params = model.parameters();
    optim::Adam opt(params, {.lr = 3e-3});
    std::vector<double> xs, losses;
    std::vector<std::int64_t> order;
    for (int it = 0; it < steps; ++it) {
        const std::size_t at = (static_cast<std::size_t>(it) * batch) % train.size();
        if (at < static_cast<std::size_t>(batch)) order = randperm(train.size(), &gen);  // epoch
        std::vector<std::int64_t> idx;
        for (std::int64_t k = 0; k < batch; ++k) idx.push_back(order[(at + k) % order.size()]);
        const data::Example b = train.get_batch(idx);  // input (N, S); target (N, T + 2)
        const std::int64_t width = b.target.size(1);
        const Tensor tgt_in = b.target.narrow(1, 0, width - 1).contiguous();
        const Tensor tgt_out = b.target.narrow(1, 1, width - 1).contiguous();
        Tensor loss =
            models::sequence_loss(model.forward(b.input, {}, tgt_in), tgt_out, data::kPad);
        opt.zero_grad();
        loss.backward();
        optim::clip_grad_norm(params, 5.0);
        opt.step();
        if (it % 10 == 0) xs.push_back(it), losses.push_back(loss.item());
    }
    model.eval();
    NoGrad no_grad;
    const data::WordsWithReferences scored = spread_words(d.validation, kScoredWords);
    const train::SequenceErrorRates rates = train::score_g2p(model, scored, 1);
    out << strf(
        "after %d Adam steps of %lld pronunciations: on %zu validation words (greedy) "
        "WER %.1f%%, PER %.1f%%\n\n",
        steps, static_cast<long long>(batch), scored.words.size(), 100 * rates.word_error_rate(),
        100 * rates.phoneme_error_rate());

    // Held-out words with their references, then words in no dictionary.
    const data::WordsWithReferences shown = spread_words(d.test, kHeldOutShown);
    const auto test_out = model.beam_search(spellings_batch(shown.spellings), {}, {.beam = 5});
    out << "held-out words (beam 5): spelling -> phonemes   [dictionary]\n";
    for (std::size_t i = 0; i < shown.words.size(); ++i) {
        std::string refs;
        for (const auto& r : shown.references[i])
            refs += (refs.empty() ? "" : " | ") + vocab.decode_phonemes(r);
        out << strf("  %-14s -> %-24s [%s]\n", shown.words[i].c_str(),
                    join_tokens(vocab, test_out[i].front().tokens).c_str(), refs.c_str());
    }
    std::vector<data::TokenSequence> new_spellings;
    for (const auto& w : kNewWords) new_spellings.push_back(vocab.encode_word(w));
    const auto new_out = model.beam_search(spellings_batch(new_spellings), {}, {.beam = 5});
    out << "\nwords in no dictionary:\n";
    for (std::size_t i = 0; i < kNewWords.size(); ++i)
        out << strf("  %-14s -> %s\n", kNewWords[i].c_str(),
                    join_tokens(vocab, new_out[i].front().tokens).c_str());

    // How the attention reads the spellings: on the scored words, greedily.
    std::vector<models::Hypothesis> greedy =
        model.greedy_decode(spellings_batch(scored.spellings), {}, 40);
    const double monotonic = monotonic_fraction(greedy), span = attention_span(greedy);

    // The alignment of the first new word: rows phonemes (first at the top), columns letters.
    const models::Hypothesis& drawn = new_out[0].front();
    const Tensor& w = drawn.attention;  // (steps, letters): steps = phonemes + <eos>
    const std::string& word = kNewWords[0];
    const auto rows = static_cast<int>(w.size(0)), cols = static_cast<int>(word.size());
    std::vector<double> cells;  // heat map rows run bottom-up: the last step first
    for (int r = rows - 1; r >= 0; --r)
        for (int c = 0; c < cols; ++c) cells.push_back(w.at<float>({r, c}));
    std::vector<plot::Tick> letters, phonemes;
    for (int c = 0; c < cols; ++c) letters.push_back({static_cast<double>(c), word.substr(c, 1)});
    for (int r = 0; r < rows; ++r) {
        const bool eos = r >= static_cast<int>(drawn.tokens.size());
        phonemes.push_back({static_cast<double>(rows - 1 - r),
                            eos ? "<eos>" : vocab.phonemes().at(drawn.tokens[r])});
    }
    const std::string said = join_tokens(vocab, drawn.tokens);

    Result result;
    plot::Figure fig(
        {.title = "Pronouncing words: \"" + word + "\" -> " + said, .width = 1000, .height = 440},
        {{.title = "attention: each phoneme (row) over the letters",
          .xlabel = "letter",
          .ylabel = "phoneme written",
          .legend = plot::Legend::None,
          .xticks = letters,
          .yticks = phonemes},
         {.title = "training loss (every 10th step)",
          .xlabel = "step",
          .ylabel = "cross-entropy per phoneme",
          .logy = true,
          .legend = plot::Legend::None}});
    fig.axes(0).heatmap(cells, rows, cols,
                        {.x0 = -0.5,
                         .x1 = cols - 0.5,
                         .y0 = -0.5,
                         .y1 = rows - 0.5,
                         .vmin = 0,
                         .vmax = 1,
                         .label = "attention weight"});
    fig.axes(1).line(xs, losses);
    result.figures.push_back(ctx.path("15_pronunciation.svg"));
    fig.save(result.figures.back());

    result.metrics["val_wer"] = rates.word_error_rate();
    result.metrics["val_per"] = rates.phoneme_error_rate();
    result.metrics["monotonic_attention"] = monotonic;
    result.metrics["attention_span"] = span;
    result.metrics["first_loss"] = losses.front();
    result.metrics["last_loss"] = losses.back();
    // Learned: most phonemes right on words it never saw, read left to right.
    result.ok =
        rates.phoneme_error_rate() < (ctx.quick ? 0.6 : 0.3) && monotonic > 0.9 && span > 0.5;
    result.summary = strf(
        "GRU encoder-decoder with attention, %d steps on CMUdict: %zu unseen words at WER "
        "%.1f%%, PER %.1f%% (greedy); attention reads left to right at %.0f%% of steps; "
        "\"%s\" -> %s",
        steps, scored.words.size(), 100 * rates.word_error_rate(), 100 * rates.phoneme_error_rate(),
        100 * monotonic, word.c_str(), said.c_str());
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

bool pronunciation_data_available() { return std::filesystem::exists(data::kCmuDictPath); }

Entry pronunciation_entry() {
    return {
        .name = "15_pronunciation",
        .slide = "Sequence-to-Sequence Learning",
        .caption =
            "A real sequence-to-sequence task: spelling in, pronunciation out. The CMU "
            "pronouncing dictionary is split by word (every pronunciation of a word on one "
            "side); a bidirectional GRU encoder reads the letters, a GRU decoder with additive "
            "attention writes phonemes until <eos>. After a short training run (1000 Adam "
            "steps; `soma train g2p` trains a larger one of the same kind for 12 epochs), "
            "600 validation words are decoded greedily and scored as the field does: word error "
            "rate (the output matches no reference) and phoneme error rate (edit distance to the "
            "closest reference). Left: the attention while pronouncing \"perceptron\", a word in "
            "no dictionary - each phoneme looks at the letters that spell it, so the map runs "
            "down the diagonal. Right: the training loss.",
        .run = run_pronunciation};
}

}  // namespace soma::gallery
