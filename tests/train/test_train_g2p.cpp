// The G2P recipe on a made-up dictionary whose pronunciations follow from the spelling with a
// context rule (c is S before e or i, K elsewhere): a short seeded run must learn it, write a
// model that `load_g2p` rebuilds, and pronounce words that are in no dictionary.

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "io/io_test_util.h"
#include "soma/random.h"
#include "soma/train/g2p.h"

namespace soma::train {
namespace {

std::string pronunciation(const std::string& w) {
    static const std::map<char, std::string> sound = {{'a', "AE"}, {'b', "B"},  {'d', "D"},
                                                      {'e', "EH"}, {'i', "IH"}, {'m', "M"},
                                                      {'o', "AA"}, {'s', "S"},  {'t', "T"}};
    std::string p;
    for (std::size_t k = 0; k < w.size(); ++k) {
        std::string s;
        if (w[k] == 'c')
            s = (k + 1 < w.size() && (w[k + 1] == 'e' || w[k + 1] == 'i')) ? "S" : "K";
        else
            s = sound.at(w[k]);
        p += (p.empty() ? "" : " ") + s;
    }
    return p;
}

// `n` distinct random words of 2-5 letters, written as a CMUdict file.
std::string write_dictionary(const std::string& path, int n) {
    const std::string letters = "abcdeimost";
    Generator gen(11);
    std::map<std::string, std::string> words;
    while (static_cast<int>(words.size()) < n) {
        std::string w;
        const auto len = 2 + gen.randint(0, 4);
        for (std::int64_t k = 0; k < len; ++k)
            w += letters[static_cast<std::size_t>(gen.randint(0, std::int64_t(letters.size())))];
        words[w] = pronunciation(w);
    }
    std::ofstream out(path);
    for (const auto& [w, p] : words) out << w << " " << p << "\n";
    return path;
}

TEST(TrainG2P, LearnsAContextRuleAndPronouncesNewWords) {
    test::TempDir dir;
    G2POptions o{.dict = write_dictionary(dir.file("d.dict"), 600),
                 .test_words = 100,
                 .val_words = 60,
                 .epochs = 12,
                 .batch_size = 16,
                 .lr = 5e-3,
                 .embed_dim = 16,
                 .hidden_size = 48,
                 .dropout = 0,
                 .beam = 3,
                 .out_dir = dir.file("run")};
    const G2PRun run = train_g2p(o);
    ASSERT_EQ(run.history.size(), 12u);
    const double first = run.history.front().get("val_wer"),
                 last = run.history.back().get("val_wer");
    std::cout << "val WER " << first << " -> " << last << ", test WER "
              << run.test.word_error_rate() << ", PER " << run.test.phoneme_error_rate() << "\n";
    EXPECT_GT(first, 0.5);
    EXPECT_LT(run.test.word_error_rate(), 0.1);  // 0 measured (seed 1)
    EXPECT_LT(run.test.phoneme_error_rate(), 0.03);
    EXPECT_EQ(run.test.words(), 100);

    G2PModel m = load_g2p(dir.file("run/best.safetensors"));
    const auto prons = pronounce(m, {"cite", "coda"}, {.beam = 3, .nbest = 2});
    ASSERT_EQ(prons.size(), 2u);
    ASSERT_EQ(prons[0].size(), 2u);
    EXPECT_EQ(prons[0][0], pronunciation("cite"));
    EXPECT_EQ(prons[1][0], pronunciation("coda"));
    EXPECT_THROW(pronounce(m, {"c3po"}), Error);
    EXPECT_THROW(pronounce(m, {""}), Error);
    EXPECT_THROW(pronounce(m, {"cat"}, {.beam = 2, .nbest = 3}), Error);
}

TEST(TrainG2P, BadOptionsAndFilesAreErrors) {
    test::TempDir dir;
    const std::string dict = write_dictionary(dir.file("d.dict"), 50);
    EXPECT_THROW(train_g2p({.dict = dict, .test_words = 30, .val_words = 30}), Error);  // no train
    EXPECT_THROW(train_g2p({.dict = dict, .test_words = 10, .val_words = 10, .cell = "rnn"}),
                 Error);
    EXPECT_THROW(train_g2p({.dict = dir.file("absent.dict")}), Error);
    test::write_bytes(dir.file("w.safetensors"), "not a model");
    EXPECT_THROW(load_g2p(dir.file("w.safetensors")), Error);
}

}  // namespace
}  // namespace soma::train
