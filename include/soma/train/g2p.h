#pragma once
// Grapheme-to-phoneme: pronouncing English words, as `soma train g2p` and `soma g2p` run it.
//
//   train::G2POptions o{.epochs = 20, .out_dir = "out/g2p"};
//   train::G2PRun run = train::train_g2p(o);
//   run.test.word_error_rate();             // the test words, once, after training (beam search)
//   train::G2PModel m = train::load_g2p("out/g2p/best.safetensors");
//   train::pronounce(m, {"soma"}, {.beam = 5});  // {{"S OW M AH"}, ...}
//
// Data: the CMU pronouncing dictionary (data/cmudict.h), split by word with a seed: test_words
// and val_words held out, every pronunciation of a word on one side. Model: models::Seq2Seq
// (letters in, phonemes out). Training: cross-entropy with teacher forcing on every
// pronunciation of the training words; after each epoch the validation words are decoded
// greedily and scored; best.safetensors keeps the weights of the lowest validation word error
// rate, and those weights (select = "best") or the last epoch's decode the test words once, with
// beam search, at the end.
//
// The error rates are the field's (train/sequence_metrics.h): a word is right when the output
// equals any of its references; the phoneme error rate is the edit distance to the closest
// reference over its length. val_wer is exact; val_per is averaged over batches by words, the
// test's per is exact.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "soma/data/cmudict.h"
#include "soma/data/g2p.h"
#include "soma/models/seq2seq.h"
#include "soma/train/engine.h"
#include "soma/train/sequence_metrics.h"
#include "soma/train/settings.h"

namespace soma::train {

struct G2POptions {
    std::string dict = data::kCmuDictPath;
    std::int64_t test_words = 12000, val_words = 2670;
    std::int64_t epochs = 20;  // the total, counting those done before a resume
    std::int64_t batch_size = 64;
    double lr = 2e-3;
    std::string schedule = "cosine";  // none, or cosine (to lr/50 over the epochs)
    std::uint64_t seed = 1;
    // The model (models::Seq2SeqOptions): GRU or LSTM, attention additive, dot or none.
    std::int64_t embed_dim = 64, hidden_size = 256, num_layers = 1;
    std::string cell = "gru";
    std::string attention = "additive";
    bool bidirectional = true;
    double dropout = 0.1;
    std::int64_t patience = 0;    // early stopping on val_wer (0: off)
    std::int64_t beam = 5;        // beam width of the test's decoding
    std::int64_t test_size = 0;   // decode only the first n test words (0: all)
    std::string select = "best";  // the weights the test sees: best (val_wer) or last
    std::string out_dir{};        // empty: nothing is written
    std::string resume{};
    std::ostream* log = nullptr;
    bool terminal = false;
    std::function<void(const EpochState&)> on_batch = nullptr;
    std::optional<std::set<std::string>> given{};  // as FmnistOptions::given

    // The run settings stored in checkpoints; the phoneme inventory goes along as "phonemes".
    void fields(FieldVisitor& v);
};

// A trained model with its vocabulary: what `soma g2p` needs.
struct G2PModel {
    std::shared_ptr<models::Seq2Seq> model;
    std::shared_ptr<data::G2PVocab> vocab;
};

struct G2PRun {
    G2PModel model;                    // with the weights the test set saw
    std::vector<EpochRecord> history;  // every epoch so far
    SequenceErrorRates test;           // the test words, once (not if interrupted)
    std::string tested;                // which weights: "best validation WER (epoch N)", ...
    std::int64_t train_pairs = 0, dropped_lines = 0;
    bool interrupted = false, early_stopped = false;
    std::int64_t best_epoch = 0;
    std::string checkpoint;
};

G2PRun train_g2p(const G2POptions& options);

// A checkpoint (or best.safetensors) of train_g2p: the model rebuilt from the stored settings.
G2PModel load_g2p(const std::string& path);

struct PronounceOptions {
    std::int64_t beam = 5, nbest = 1, max_len = 40;
};
// Pronunciations of each word, best first ("T AH M EY T OW"). A word with characters other
// than letters and the apostrophe, or an empty one, is an error naming it.
std::vector<std::vector<std::string>> pronounce(G2PModel& m, const std::vector<std::string>& words,
                                                const PronounceOptions& o = {});

// Decodes words (letter ids) in batches and scores them against their references: greedy
// when beam is 1, else beam search.
SequenceErrorRates score_g2p(models::Seq2Seq& model, const data::WordsWithReferences& words,
                             std::int64_t beam, std::int64_t batch_size = 256);

}  // namespace soma::train
