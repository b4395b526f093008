#include "soma/data/cmudict.h"

#include <algorithm>
#include <map>

#include "data/text_file.h"
#include "soma/error.h"
#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::data {

namespace {

bool is_word_char(char c) { return (c >= 'a' && c <= 'z') || c == '\''; }

// "word" or "word(n)" with n a positive decimal: the word, or "" when the marker is malformed.
std::string_view strip_alternate(std::string_view key) {
    const auto open = key.find('(');
    if (open == std::string_view::npos) return key;
    if (open == 0 || key.back() != ')' || open + 2 >= key.size()) return {};
    for (std::size_t k = open + 1; k + 1 < key.size(); ++k)
        if (key[k] < '0' || key[k] > '9') return {};
    return key.substr(0, open);
}

}  // namespace

CmuDict parse_cmudict(std::string_view text, const std::string& name) {
    // word -> pronunciations as phoneme symbols; ids are given once every symbol is known.
    std::map<std::string, std::vector<std::vector<std::string>>, std::less<>> entries;
    CmuDict d;
    std::int64_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank

        auto at = [&](const auto&... parts) {
            fail("read_cmudict: ", name, ": line ", line_no, ": ", parts...);
        };
        const std::size_t space = line.find_first_of(" \t");
        if (space == std::string_view::npos)
            at("'", line, "' has no pronunciation (expected: word PH ON EMES)");
        const std::string_view key = line.substr(0, space);
        std::vector<std::string> phones;
        std::size_t p = space;
        while (p < line.size()) {
            const std::size_t start = line.find_first_not_of(" \t", p);
            if (start == std::string_view::npos) break;
            std::size_t stop = line.find_first_of(" \t", start);
            if (stop == std::string_view::npos) stop = line.size();
            const std::string_view ph = line.substr(start, stop - start);
            if (!std::all_of(ph.begin(), ph.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
                at("phoneme '", ph, "' of '", key, "' is not upper-case letters A-Z");
            phones.emplace_back(ph);
            p = stop;
        }
        if (phones.empty()) at("'", key, "' has no pronunciation");
        ++d.lines;
        const std::string_view word = strip_alternate(key);
        if (word.empty()) at("'", key, "': an alternate is written word(n), n a number");
        if (!std::all_of(word.begin(), word.end(), is_word_char)) {
            ++d.dropped_lines;
            continue;
        }
        auto& prons = entries[std::string(word)];
        if (std::find(prons.begin(), prons.end(), phones) == prons.end())
            prons.push_back(std::move(phones));
    }
    check(!entries.empty(), "read_cmudict: ", name, ": no entry with a word of letters a-z and '",
          " (", d.lines, " entries read, ", d.dropped_lines, " dropped)");

    std::map<std::string, std::int32_t, std::less<>> ids;
    for (const auto& [word, prons] : entries)
        for (const auto& pron : prons)
            for (const auto& ph : pron) ids.emplace(ph, 0);
    for (auto& [symbol, id] : ids) {
        id = static_cast<std::int32_t>(d.phonemes.size());
        d.phonemes.push_back(symbol);
    }
    d.words.reserve(entries.size());
    d.pronunciations.reserve(entries.size());
    for (auto& [word, prons] : entries) {
        d.words.push_back(word);
        auto& out = d.pronunciations.emplace_back();
        for (const auto& pron : prons) {
            auto& seq = out.emplace_back();
            for (const auto& ph : pron) seq.push_back(ids.find(ph)->second);
        }
    }
    return d;
}

CmuDict read_cmudict(const std::string& path) {
    return parse_cmudict(read_text_file(path, "read_cmudict"), path);
}

WordSplit split_words(const CmuDict& dict, std::int64_t test_words, std::int64_t validation_words,
                      std::uint64_t seed) {
    const auto n = static_cast<std::int64_t>(dict.words.size());
    check(test_words >= 0 && validation_words >= 0 && test_words + validation_words < n,
          "split_words: ", test_words, " test and ", validation_words,
          " validation words leave no training word out of ", n);
    Generator gen(seed);
    const std::vector<std::int64_t> perm = randperm(n, &gen);
    WordSplit s;
    s.test.assign(perm.begin(), perm.begin() + test_words);
    s.validation.assign(perm.begin() + test_words, perm.begin() + test_words + validation_words);
    std::vector<char> held(static_cast<std::size_t>(n), 0);
    for (std::int64_t i : s.test) held[static_cast<std::size_t>(i)] = 1;
    for (std::int64_t i : s.validation) held[static_cast<std::size_t>(i)] = 1;
    for (std::int64_t i = 0; i < n; ++i)
        if (!held[static_cast<std::size_t>(i)]) s.train.push_back(i);
    std::sort(s.test.begin(), s.test.end());
    std::sort(s.validation.begin(), s.validation.end());
    return s;
}

}  // namespace soma::data
