#pragma once
// The CMU pronouncing dictionary (Debian's pocketsphinx-en-us ships it without stress marks):
// one entry per line, "word PH ON EMES", alternates written "word(2) ...".
//
//   data::CmuDict d = data::read_cmudict();             // the Debian file
//   data::WordSplit s = data::split_words(d, 12000, 2670, /*seed=*/1);
//   d.words[s.test[0]], d.pronunciations[s.test[0]]      // a test word and all its references
//
// Words keep only the letters a-z and the apostrophe: an entry with any other character
// ("a.m.", "ad-hoc", digits) is dropped and counted, as the grapheme-to-phoneme literature does.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace soma::data {

inline constexpr const char* kCmuDictPath =
    "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";

struct CmuDict {
    // Sorted, unique words; pronunciations[i] holds every pronunciation of words[i] (at least
    // one, in file order, duplicates removed), each a list of phoneme ids into `phonemes`.
    std::vector<std::string> words;
    std::vector<std::vector<std::vector<std::int32_t>>> pronunciations;
    std::vector<std::string> phonemes;  // the phoneme symbols seen, sorted ("AA", "AE", ...)
    std::int64_t lines = 0;             // entries read
    std::int64_t dropped_lines = 0;     // entries whose word has characters outside [a-z']
};

// Reads the dictionary (plain or gzip). Errors name the file and line: a line without a
// pronunciation, a phoneme that is not upper-case letters, an alternate marker that is not
// "(n)"; and a file with no usable entry.
CmuDict read_cmudict(const std::string& path = kCmuDictPath);
// The same over text in memory; `name` stands for the file in messages.
CmuDict parse_cmudict(std::string_view text, const std::string& name = "<memory>");

// Indices into CmuDict::words: a seeded split by word, so that every pronunciation of a word
// lies on one side. `test` and `validation` words are drawn from one permutation; the rest,
// in dictionary order, is `train`.
struct WordSplit {
    std::vector<std::int64_t> train, validation, test;
};
WordSplit split_words(const CmuDict& dict, std::int64_t test_words, std::int64_t validation_words,
                      std::uint64_t seed);

}  // namespace soma::data
