#include "soma/data/g2p.h"

#include "soma/error.h"

namespace soma::data {

namespace {

std::vector<std::string> with_reserved(std::vector<std::string> symbols) {
    symbols.insert(symbols.begin(), {"<pad>", "<sos>", "<eos>"});
    return symbols;
}

std::vector<std::string> letter_symbols() {
    std::vector<std::string> s;
    for (char c = 'a'; c <= 'z'; ++c) s.emplace_back(1, c);
    s.emplace_back("'");
    return s;
}

// Dictionary phoneme id -> vocabulary id.
TokenSequence shift(const std::vector<std::int32_t>& ids) {
    TokenSequence out;
    out.reserve(ids.size());
    for (std::int32_t id : ids) out.push_back(id + kFirstToken);
    return out;
}

}  // namespace

G2PVocab::G2PVocab(const CmuDict& dict) : G2PVocab(dict.phonemes) {}

G2PVocab::G2PVocab(std::vector<std::string> phonemes)
    : letters_(with_reserved(letter_symbols())), phonemes_(with_reserved(std::move(phonemes))) {}

TokenSequence G2PVocab::encode_word(std::string_view word) const {
    check(!word.empty(), "g2p: an empty word has no pronunciation");
    TokenSequence ids;
    ids.reserve(word.size());
    for (std::size_t k = 0; k < word.size(); ++k) {
        char c = word[k];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c >= 'a' && c <= 'z')
            ids.push_back(kFirstToken + (c - 'a'));
        else if (c == '\'')
            ids.push_back(kFirstToken + 26);
        else
            fail("g2p: the word '", word, "' has the character '", std::string(1, word[k]),
                 "' at position ", k, "; words are spelled with the letters a-z and '");
    }
    return ids;
}

std::string G2PVocab::decode_phonemes(const TokenSequence& ids) const {
    std::string out;
    for (std::int32_t id : ids) {
        if (id == kEos) break;
        if (id == kPad || id == kSos) continue;
        check(id >= 0 && static_cast<std::size_t>(id) < phonemes_.size(), "g2p: phoneme id ", id,
              " is out of range for ", phonemes_.size(), " symbols");
        if (!out.empty()) out += ' ';
        out += phonemes_[static_cast<std::size_t>(id)];
    }
    return out;
}

G2PData g2p_data(const CmuDict& dict, const WordSplit& split, const G2PVocab& vocab) {
    check(vocab.phonemes().size() == dict.phonemes.size() + kFirstToken,
          "g2p_data: the vocabulary's ", vocab.phonemes().size() - kFirstToken,
          " phonemes are not the dictionary's ", dict.phonemes.size());
    std::vector<TokenSequence> sources, targets;
    for (std::int64_t i : split.train) {
        const auto k = static_cast<std::size_t>(i);
        const TokenSequence spelling = vocab.encode_word(dict.words[k]);
        for (const auto& pron : dict.pronunciations[k]) {
            sources.push_back(spelling);
            targets.push_back(shift(pron));
        }
    }
    auto held_out = [&](const std::vector<std::int64_t>& indices) {
        WordsWithReferences w;
        for (std::int64_t i : indices) {
            const auto k = static_cast<std::size_t>(i);
            w.words.push_back(dict.words[k]);
            w.spellings.push_back(vocab.encode_word(dict.words[k]));
            auto& refs = w.references.emplace_back();
            for (const auto& pron : dict.pronunciations[k]) refs.push_back(shift(pron));
        }
        return w;
    };
    return {SequencePairs(std::move(sources), std::move(targets)), held_out(split.validation),
            held_out(split.test)};
}

}  // namespace soma::data
