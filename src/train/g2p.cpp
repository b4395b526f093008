#include "soma/train/g2p.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/nn/loss.h"
#include "soma/optim/adam.h"
#include "soma/optim/clip.h"
#include "soma/optim/scheduler.h"
#include "soma/random.h"

namespace soma::train {

using data::Example;
using data::TokenSequence;

void G2POptions::fields(FieldVisitor& v) {
    v.field("test_words", test_words);
    v.field("val_words", val_words);
    v.field("epochs", epochs, Field::MayChange);
    v.field("batch_size", batch_size);
    v.field("lr", lr);
    v.field("schedule", schedule);
    v.field("seed", seed);
    v.field("embed_dim", embed_dim);
    v.field("hidden_size", hidden_size);
    v.field("num_layers", num_layers);
    v.field("cell", cell);
    v.field("attention", attention);
    v.field("bidirectional", bidirectional);
    v.field("dropout", dropout);
    v.field("patience", patience, Field::MayChange);
    v.field("beam", beam, Field::MayChange);
    v.field("test_size", test_size, Field::MayChange);
    v.field("select", select, Field::MayChange);
}

namespace {

constexpr double kClipNorm = 5.0;  // recurrent nets: a rare huge gradient must not derail Adam

DeclareFields declare(G2POptions& o) { return fields_of(o); }

void check_options(const G2POptions& o) {
    auto positive = [](std::int64_t v, const char* name) {
        check(v >= 1, "train_g2p: ", name, " must be >= 1, got ", v);
    };
    positive(o.epochs, "epochs");
    positive(o.batch_size, "batch_size");
    positive(o.embed_dim, "embed_dim");
    positive(o.hidden_size, "hidden_size");
    positive(o.num_layers, "num_layers");
    positive(o.beam, "beam");
    check(std::isfinite(o.lr) && o.lr > 0, "train_g2p: lr must be > 0, got ", o.lr);
    check(o.dropout >= 0 && o.dropout < 1, "train_g2p: dropout must be in [0, 1), got ", o.dropout);
    check(o.test_words >= 0 && o.val_words >= 1 && o.patience >= 0 && o.test_size >= 0,
          "train_g2p: test_words, patience and test_size must be >= 0, val_words >= 1");
    check(o.schedule == "none" || o.schedule == "cosine", "train_g2p: schedule must be none or ",
          "cosine, got '", o.schedule, "'");
    check(o.select == "best" || o.select == "last", "train_g2p: select must be best or last, got '",
          o.select, "'");
}

models::Seq2SeqOptions model_options(const G2POptions& o, std::int64_t phonemes) {
    models::Seq2SeqOptions m{.src_vocab = 3 + 27,
                             .tgt_vocab = phonemes,
                             .embed_dim = o.embed_dim,
                             .hidden_size = o.hidden_size,
                             .num_layers = o.num_layers,
                             .dropout = o.dropout,
                             .bidirectional = o.bidirectional,
                             .pad_id = data::kPad,
                             .sos_id = data::kSos,
                             .eos_id = data::kEos};
    if (o.cell == "gru")
        m.cell = models::RecurrentCell::GRU;
    else if (o.cell == "lstm")
        m.cell = models::RecurrentCell::LSTM;
    else
        fail("g2p: cell must be gru or lstm, got '", o.cell, "'");
    if (o.attention == "additive")
        m.attention = models::Seq2SeqAttention::Additive;
    else if (o.attention == "dot")
        m.attention = models::Seq2SeqAttention::Dot;
    else if (o.attention == "none")
        m.attention = models::Seq2SeqAttention::None;
    else
        fail("g2p: attention must be additive, dot or none, got '", o.attention, "'");
    return m;
}

std::string join(const std::vector<std::string>& v, std::size_t from) {
    std::string s;
    for (std::size_t k = from; k < v.size(); ++k) s += (s.empty() ? "" : " ") + v[k];
    return s;
}

// Held-out words: input = padded spellings (N, S), target = the words' indices (N), so that the
// evaluation step can look up every reference.
class HeldOutWords : public data::Dataset {
public:
    explicit HeldOutWords(const data::WordsWithReferences& w) : w_(w) {}
    std::int64_t size() const override { return static_cast<std::int64_t>(w_.words.size()); }
    Example get(std::int64_t i) const override { return get_batch({i}); }
    Example get_batch(const std::vector<std::int64_t>& indices) const override {
        std::vector<const TokenSequence*> rows;
        Tensor index = zeros({static_cast<std::int64_t>(indices.size())}, kInt64);
        for (std::size_t k = 0; k < indices.size(); ++k) {
            rows.push_back(&w_.spellings.at(static_cast<std::size_t>(indices[k])));
            index.data<std::int64_t>()[k] = indices[k];
        }
        return {data::pad_sequences(rows, false), index};
    }

private:
    const data::WordsWithReferences& w_;
};

std::vector<std::int32_t> as_ids(const std::vector<std::int64_t>& tokens) {
    return {tokens.begin(), tokens.end()};
}

// Teacher-forced loss of a batch: target (N, T + 2) = <sos> y <eos>, padded.
Tensor batch_loss(models::Seq2Seq& model, const Tensor& src, const Tensor& target) {
    const std::int64_t width = target.shape()[1];
    const Tensor tgt_in = target.narrow(1, 0, width - 1).contiguous();
    const Tensor tgt_out = target.narrow(1, 1, width - 1).contiguous();
    return models::sequence_loss(model.forward(src, {}, tgt_in), tgt_out, data::kPad);
}

}  // namespace

SequenceErrorRates score_g2p(models::Seq2Seq& model, const data::WordsWithReferences& words,
                             std::int64_t beam, std::int64_t batch_size) {
    SequenceErrorRates rates;
    const HeldOutWords dataset(words);
    for (std::int64_t start = 0; start < dataset.size(); start += batch_size) {
        std::vector<std::int64_t> idx;
        for (std::int64_t i = start; i < std::min(dataset.size(), start + batch_size); ++i)
            idx.push_back(i);
        const Example b = dataset.get_batch(idx);
        std::vector<std::vector<std::int32_t>> outputs;
        if (beam <= 1) {
            for (const auto& h : model.greedy_decode(b.input, {}, 40))
                outputs.push_back(as_ids(h.tokens));
        } else {
            for (const auto& hs : model.beam_search(b.input, {}, {.beam = beam, .max_len = 40}))
                outputs.push_back(as_ids(hs.front().tokens));
        }
        for (std::size_t k = 0; k < idx.size(); ++k)
            rates.add(outputs[k], words.references[static_cast<std::size_t>(idx[k])]);
    }
    return rates;
}

G2PRun train_g2p(const G2POptions& options) {
    G2POptions o = options;
    if (!o.resume.empty()) {
        const std::set<std::string> given = o.given ? *o.given : non_default_fields(o);
        resolve_resumed(declare(o), checkpoint_settings(o.resume), given, o.resume);
    }
    check_options(o);

    const data::CmuDict dict = data::read_cmudict(o.dict);
    auto vocab = std::make_shared<data::G2PVocab>(dict);
    const data::G2PData data =
        data::g2p_data(dict, data::split_words(dict, o.test_words, o.val_words, o.seed), *vocab);
    auto train_set = std::make_shared<data::SequencePairs>(data.train);
    const data::DataLoader train_loader(
        train_set, {.batch_size = o.batch_size, .shuffle = true, .seed = o.seed});
    const data::DataLoader val_loader(std::make_shared<HeldOutWords>(data.validation),
                                      {.batch_size = 256});

    manual_seed(o.seed);
    G2PRun run;
    run.train_pairs = train_set->size();
    run.dropped_lines = dict.dropped_lines;
    run.model.vocab = vocab;
    run.model.model = std::make_shared<models::Seq2Seq>(
        model_options(o, static_cast<std::int64_t>(vocab->phonemes().size())));
    models::Seq2Seq& model = *run.model.model;
    optim::Adam adam(model.parameters(), {.lr = o.lr});
    std::unique_ptr<optim::LRScheduler> schedule;
    if (o.schedule == "cosine")
        schedule = std::make_unique<optim::CosineAnnealingLR>(
            adam, optim::CosineAnnealingLROptions{.t_max = o.epochs, .eta_min = o.lr / 50});

    TrainStep step = [&](const Example& b) {
        adam.zero_grad();
        Tensor loss = batch_loss(model, b.input, b.target);
        loss.backward();
        optim::clip_grad_norm(model.parameters(), kClipNorm);
        adam.step();
        return StepResult{b.input.shape()[0], {{"loss", loss.item<double>()}}};
    };
    // Validation: the teacher-forced loss against each word's first reference, and the greedy
    // outputs' error rates against all of them.
    EvalStep eval = [&](const Example& b) {
        const auto n = b.target.shape()[0];
        std::vector<const TokenSequence*> first;
        const std::int64_t* idx = b.target.data<std::int64_t>();
        for (std::int64_t k = 0; k < n; ++k)
            first.push_back(&data.validation.references[static_cast<std::size_t>(idx[k])][0]);
        const double loss =
            batch_loss(model, b.input, data::pad_sequences(first, true)).item<double>();
        SequenceErrorRates r;
        const auto outputs = model.greedy_decode(b.input, {}, 40);
        for (std::int64_t k = 0; k < n; ++k)
            r.add(as_ids(outputs[static_cast<std::size_t>(k)].tokens),
                  data.validation.references[static_cast<std::size_t>(idx[k])]);
        return StepResult{
            n, {{"loss", loss}, {"wer", r.word_error_rate()}, {"per", r.phoneme_error_rate()}}};
    };
    Trainee trainee{.model = &model, .optimizers = {&adam}, .train_step = step, .eval_step = eval};
    if (schedule) trainee.schedulers.push_back(schedule.get());

    io::Metadata settings = to_metadata(declare(o));
    settings["phonemes"] = join(vocab->phonemes(), data::kFirstToken);
    std::ostringstream title;
    title << "g2p " << o.cell << (o.bidirectional ? " (bidirectional encoder)" : "") << " "
          << o.num_layers << "x" << o.hidden_size << ", " << o.attention
          << " attention: " << model.num_parameters() << " parameters, " << run.train_pairs
          << " training pairs / " << data.validation.words.size() << " validation / "
          << data.test.words.size() << " test words";
    FitResult fit_result = fit(trainee, train_loader, &val_loader,
                               {.epochs = o.epochs,
                                .out_dir = o.out_dir,
                                .resume = o.resume,
                                .monitor = "val_wer",
                                .patience = o.patience,
                                .settings = settings,
                                .title = title.str(),
                                .log = o.log,
                                .terminal = o.terminal,
                                .on_batch = o.on_batch});
    run.history = std::move(fit_result.history);
    run.interrupted = fit_result.interrupted;
    run.early_stopped = fit_result.early_stopped;
    run.best_epoch = fit_result.best_epoch;
    run.checkpoint = fit_result.checkpoint;
    if (run.interrupted) return run;

    run.tested = "last epoch (" + std::to_string(run.history.size()) + ")";
    if (o.select == "best" && run.best_epoch > 0) {
        if (run.best_epoch != static_cast<std::int64_t>(run.history.size())) {
            check(!fit_result.best_weights.empty(),
                  "train_g2p: select = best needs an out_dir (the best weights are kept there)");
            io::load_module(model, fit_result.best_weights);
        }
        run.tested = "best validation WER (epoch " + std::to_string(run.best_epoch) + ")";
    }
    data::WordsWithReferences test = data.test;
    if (o.test_size > 0 && o.test_size < static_cast<std::int64_t>(test.words.size())) {
        const auto n = static_cast<std::size_t>(o.test_size);
        test.words.resize(n);
        test.spellings.resize(n);
        test.references.resize(n);
    }
    model.eval();
    NoGrad no_grad;
    run.test = score_g2p(model, test, o.beam);
    return run;
}

G2PModel load_g2p(const std::string& path) {
    const io::Metadata meta = io::load_safetensors(path).metadata;
    G2POptions o;
    from_metadata(declare(o), meta, path);
    auto it = meta.find("phonemes");
    check(it != meta.end() && !it->second.empty(), "load_g2p: '", path,
          "' holds no phoneme inventory (metadata 'phonemes'): not a model of soma train g2p");
    std::vector<std::string> phonemes;
    std::istringstream in(it->second);
    for (std::string p; in >> p;) phonemes.push_back(p);
    G2PModel m;
    m.vocab = std::make_shared<data::G2PVocab>(phonemes);
    m.model = std::make_shared<models::Seq2Seq>(
        model_options(o, static_cast<std::int64_t>(m.vocab->phonemes().size())));
    auto fmt = meta.find("soma.format");
    if (fmt != meta.end() && fmt->second == "checkpoint")
        io::load_checkpoint(path, *m.model);
    else
        io::load_module(*m.model, path);
    m.model->eval();
    return m;
}

std::vector<std::vector<std::string>> pronounce(G2PModel& m, const std::vector<std::string>& words,
                                                const PronounceOptions& o) {
    check(o.beam >= 1 && o.nbest >= 1 && o.nbest <= o.beam && o.max_len >= 1,
          "pronounce: need beam >= 1, 1 <= nbest <= beam and max_len >= 1, got beam ", o.beam,
          ", nbest ", o.nbest, ", max_len ", o.max_len);
    std::vector<TokenSequence> spellings;
    for (const auto& w : words) spellings.push_back(m.vocab->encode_word(w));
    std::vector<const TokenSequence*> rows;
    for (const auto& s : spellings) rows.push_back(&s);
    std::vector<std::vector<std::string>> out;
    if (rows.empty()) return out;
    m.model->eval();
    NoGrad no_grad;
    const auto found =
        m.model->beam_search(data::pad_sequences(rows, false), {},
                             {.beam = o.beam, .max_len = o.max_len, .nbest = o.nbest});
    for (const auto& hs : found) {
        auto& prons = out.emplace_back();
        for (const auto& h : hs) {
            TokenSequence ids(h.tokens.begin(), h.tokens.end());
            prons.push_back(m.vocab->decode_phonemes(ids));
        }
    }
    return out;
}

}  // namespace soma::train
