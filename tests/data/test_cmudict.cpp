// The CMU pronouncing dictionary reader: alternates grouped by word, foreign characters dropped
// and counted, errors naming the line; the seeded split by word.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include "soma/data/cmudict.h"
#include "soma/error.h"

namespace soma::data {
namespace {

std::string error_of(const std::string& text) {
    try {
        parse_cmudict(text, "d.dict");
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

std::vector<std::string> symbols(const CmuDict& d, const std::vector<std::int32_t>& ids) {
    std::vector<std::string> out;
    for (auto id : ids) out.push_back(d.phonemes.at(static_cast<std::size_t>(id)));
    return out;
}

TEST(CmuDict, GroupsAlternatesAndDropsForeignCharacters) {
    const CmuDict d = parse_cmudict(
        "tomato T AH M EY T OW\r\n"
        "a.m. EY EH M\n"
        "\n"
        "tomato(2) T AH M AA T OW\n"
        "o'clock AH K L AA K\n"
        "tomato(3) T AH M EY T OW\n"  // a duplicate of the first: kept once
        "ad-hoc AE D HH AA K\n"
        "abc  EY\tB IY   S IY\n");
    EXPECT_EQ(d.words, (std::vector<std::string>{"abc", "o'clock", "tomato"}));
    EXPECT_EQ(d.lines, 7);
    EXPECT_EQ(d.dropped_lines, 2);
    ASSERT_EQ(d.pronunciations[2].size(), 2u);
    EXPECT_EQ(symbols(d, d.pronunciations[2][1]),
              (std::vector<std::string>{"T", "AH", "M", "AA", "T", "OW"}));
    EXPECT_EQ(symbols(d, d.pronunciations[0][0]),
              (std::vector<std::string>{"EY", "B", "IY", "S", "IY"}));
    EXPECT_TRUE(std::is_sorted(d.phonemes.begin(), d.phonemes.end()));
}

TEST(CmuDict, MalformedLinesNameTheLine) {
    EXPECT_NE(
        error_of("ok OW K EY\nlonely\n").find("d.dict: line 2: 'lonely' has no pronunciation"),
        std::string::npos);
    EXPECT_NE(error_of("ok OW K EY1\n").find("line 1: phoneme 'EY1' of 'ok' is not upper-case"),
              std::string::npos);
    EXPECT_NE(error_of("ok(x) OW K EY\n").find("line 1: 'ok(x)': an alternate is written word(n)"),
              std::string::npos);
    EXPECT_NE(error_of("ok \n").find("'ok' has no pronunciation"), std::string::npos);
    EXPECT_NE(error_of("a.m. EY EH M\n").find("no entry with a word of letters"),
              std::string::npos);
    EXPECT_NE(error_of("").find("no entry"), std::string::npos);
    try {
        read_cmudict("/nonexistent/cmudict.dict");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/cmudict.dict"), std::string::npos);
    }
}

TEST(CmuDict, SplitsByWordSeeded) {
    std::string text;
    for (int i = 0; i < 100; ++i) {  // 100 distinct words: "wa z", "wb z", ..., "wa zz", ...
        text += 'w';
        text += static_cast<char>('a' + i % 26);
        text.append(static_cast<std::size_t>(i / 26 + 1), 'z');
        text += " AH B\n";
    }
    const CmuDict d = parse_cmudict(text);
    ASSERT_EQ(d.words.size(), 100u);
    const WordSplit a = split_words(d, 20, 10, 7), b = split_words(d, 20, 10, 7),
                    c = split_words(d, 20, 10, 8);
    EXPECT_EQ(a.test, b.test);
    EXPECT_NE(a.test, c.test);
    EXPECT_EQ(a.test.size(), 20u);
    EXPECT_EQ(a.validation.size(), 10u);
    EXPECT_EQ(a.train.size(), 70u);
    std::set<std::int64_t> all(a.train.begin(), a.train.end());
    all.insert(a.validation.begin(), a.validation.end());
    all.insert(a.test.begin(), a.test.end());
    EXPECT_EQ(all.size(), 100u);  // disjoint and complete
    EXPECT_THROW(split_words(d, 60, 40, 1), Error);
}

// The Debian file (pocketsphinx-en-us): the counts the G2P task reports.
TEST(CmuDict, ReadsTheDebianDictionary) {
    if (!std::filesystem::exists(kCmuDictPath)) GTEST_SKIP() << "no " << kCmuDictPath;
    const CmuDict d = read_cmudict();
    EXPECT_EQ(d.lines, 134723);
    EXPECT_EQ(d.phonemes.size(), 39u);  // ARPAbet without stress
    EXPECT_GT(d.words.size(), 120000u);
    std::cout << d.lines << " entries, " << d.dropped_lines << " dropped, " << d.words.size()
              << " words\n";
}

}  // namespace
}  // namespace soma::data
