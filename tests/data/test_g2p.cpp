// G2P data: letter and phoneme vocabularies, padded sequence-pair batches, the split by word.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "soma/data/g2p.h"
#include "soma/error.h"
#include "soma/tensor.h"

namespace soma::data {
namespace {

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

const char* kDict =
    "tomato T AH M EY T OW\n"
    "tomato(2) T AH M AA T OW\n"
    "cat K AE T\n"
    "dog D AO G\n"
    "it's IH T S\n";

TEST(G2P, VocabEncodesLettersAndDecodesPhonemes) {
    const CmuDict dict = parse_cmudict(kDict);
    const G2PVocab v(dict);
    EXPECT_EQ(v.letters().size(), 3u + 27u);
    EXPECT_EQ(v.phonemes().size(), 3u + dict.phonemes.size());
    EXPECT_EQ(v.encode_word("Cab'"),
              (TokenSequence{kFirstToken + 2, kFirstToken + 0, kFirstToken + 1, kFirstToken + 26}));
    TokenSequence ids;
    for (const auto& p : dict.pronunciations[3][0]) ids.push_back(p + kFirstToken);  // tomato
    ids.insert(ids.begin(), kSos);
    ids.push_back(kEos);
    ids.push_back(kPad);
    EXPECT_EQ(v.decode_phonemes(ids), "T AH M EY T OW");
    EXPECT_NE(error_of([&] { v.encode_word(""); }).find("empty word"), std::string::npos);
    EXPECT_NE(error_of([&] { v.encode_word("naïve"); }).find("'naïve' has the character"),
              std::string::npos);
    EXPECT_NE(error_of([&] { v.encode_word("a b"); }).find("at position 1"), std::string::npos);
}

TEST(G2P, SequencePairsPadBatchesAndMarkTargets) {
    SequencePairs pairs({{5, 6, 7}, {8}}, {{9}, {10, 11}});
    Example one = pairs.get(0);
    EXPECT_EQ(one.input.to_vector<std::int64_t>(), (std::vector<std::int64_t>{5, 6, 7}));
    EXPECT_EQ(one.target.to_vector<std::int64_t>(), (std::vector<std::int64_t>{kSos, 9, kEos}));
    Example b = pairs.get_batch({1, 0});
    EXPECT_EQ(b.input.shape(), (Shape{2, 3}));
    EXPECT_EQ(b.input.to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{8, kPad, kPad, 5, 6, 7}));
    EXPECT_EQ(b.target.shape(), (Shape{2, 4}));
    EXPECT_EQ(b.target.to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{kSos, 10, 11, kEos, kSos, 9, kEos, kPad}));
    EXPECT_NE(error_of([] { SequencePairs({{5}}, {}); }).find("1 sources but 0 targets"),
              std::string::npos);
    EXPECT_NE(error_of([] { SequencePairs({{}}, {{5}}); }).find("source 0 is empty"),
              std::string::npos);
    EXPECT_NE(error_of([] { SequencePairs({{5}}, {{1}}); }).find("target 0 holds token 1"),
              std::string::npos);
    EXPECT_THROW(pairs.get(2), Error);
}

TEST(G2P, EveryPronunciationTrainsAndHeldOutWordsKeepAllReferences) {
    const CmuDict dict = parse_cmudict(kDict);  // words: cat dog it's tomato
    const G2PVocab v(dict);
    WordSplit split{.train = {3, 0}, .validation = {1}, .test = {2}};
    const G2PData g = g2p_data(dict, split, v);
    EXPECT_EQ(g.train.size(), 3);  // tomato twice, cat once
    EXPECT_EQ(g.validation.words, (std::vector<std::string>{"dog"}));
    EXPECT_EQ(g.test.words, (std::vector<std::string>{"it's"}));
    ASSERT_EQ(g.test.references.size(), 1u);
    EXPECT_EQ(v.decode_phonemes(g.test.references[0][0]), "IH T S");
    EXPECT_EQ(g.test.spellings[0], v.encode_word("it's"));
}

}  // namespace
}  // namespace soma::data
