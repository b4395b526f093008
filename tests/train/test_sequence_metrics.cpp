// Word and phoneme error rates with several references per word.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/error.h"
#include "soma/train/sequence_metrics.h"

namespace soma::train {
namespace {

using Seq = std::vector<std::int32_t>;

TEST(SequenceMetrics, EditDistance) {
    EXPECT_EQ(edit_distance(Seq{}, Seq{}), 0);
    EXPECT_EQ(edit_distance(Seq{1, 2, 3}, Seq{}), 3);
    EXPECT_EQ(edit_distance(Seq{}, Seq{4, 5}), 2);
    EXPECT_EQ(edit_distance(Seq{1, 2, 3}, Seq{1, 2, 3}), 0);
    EXPECT_EQ(edit_distance(Seq{1, 2, 3}, Seq{1, 3}), 1);        // a deletion
    EXPECT_EQ(edit_distance(Seq{1, 2, 3}, Seq{1, 9, 3}), 1);     // a substitution
    EXPECT_EQ(edit_distance(Seq{1, 2, 3}, Seq{0, 1, 2, 3}), 1);  // an insertion
    // kitten -> sitting is 3, with letters as ids
    EXPECT_EQ(
        edit_distance(Seq{'k', 'i', 't', 't', 'e', 'n'}, Seq{'s', 'i', 't', 't', 'i', 'n', 'g'}),
        3);
}

TEST(SequenceMetrics, ClosestReferenceCounts) {
    SequenceErrorRates r;
    EXPECT_TRUE(std::isnan(r.word_error_rate()));
    r.add(Seq{1, 2, 3}, {{9, 9, 9, 9}, {1, 2, 3}});  // equals the second reference: right
    r.add(Seq{1, 2}, {{1, 2, 3}, {7, 7}});           // 1 edit from the first (length 3)
    r.add(Seq{5, 5, 5}, {{6}});                      // 3 edits, reference length 1
    EXPECT_EQ(r.words(), 3);
    EXPECT_EQ(r.wrong_words(), 2);
    EXPECT_DOUBLE_EQ(r.word_error_rate(), 2.0 / 3.0);
    EXPECT_EQ(r.edits(), 4);
    EXPECT_EQ(r.reference_length(), 3 + 3 + 1);
    EXPECT_DOUBLE_EQ(r.phoneme_error_rate(), 4.0 / 7.0);
    EXPECT_THROW(r.add(Seq{1}, {}), Error);
}

}  // namespace
}  // namespace soma::train
