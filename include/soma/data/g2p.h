#pragma once
// Grapheme-to-phoneme data from the CMU pronouncing dictionary: words as letter ids, their
// pronunciations as phoneme ids, split by word (data/cmudict.h).
//
//   data::CmuDict dict = data::read_cmudict();
//   data::G2PVocab vocab(dict);
//   data::G2PData g2p = data::g2p_data(dict, data::split_words(dict, 12000, 2670, 1), vocab);
//   // g2p.train: one (letters, phonemes) pair per pronunciation of each training word
//   // g2p.validation / g2p.test: each word once, with every reference pronunciation

#include <string>
#include <string_view>
#include <vector>

#include "soma/data/cmudict.h"
#include "soma/data/sequence_pairs.h"

namespace soma::data {

class G2PVocab {
public:
    // Letters a-z and the apostrophe; the dictionary's phonemes, in its order.
    explicit G2PVocab(const CmuDict& dict);
    // The same from a phoneme list (a checkpoint's), without the dictionary.
    explicit G2PVocab(std::vector<std::string> phonemes);

    // Both include the three reserved symbols <pad>, <sos>, <eos> at ids 0, 1, 2.
    const std::vector<std::string>& letters() const { return letters_; }
    const std::vector<std::string>& phonemes() const { return phonemes_; }

    // A word's letter ids; upper case is folded. Errors name the word and the character: an
    // empty word, a character outside a-z and '.
    TokenSequence encode_word(std::string_view word) const;
    // "T AH M EY T OW"; stops at <eos>, skips <sos> and padding.
    std::string decode_phonemes(const TokenSequence& ids) const;

private:
    std::vector<std::string> letters_, phonemes_;
};

struct WordsWithReferences {
    std::vector<std::string> words;
    std::vector<TokenSequence> spellings;                // letter ids
    std::vector<std::vector<TokenSequence>> references;  // phoneme ids, every pronunciation
};

struct G2PData {
    SequencePairs train;  // every pronunciation of every training word
    WordsWithReferences validation, test;
};

G2PData g2p_data(const CmuDict& dict, const WordSplit& split, const G2PVocab& vocab);

}  // namespace soma::data
