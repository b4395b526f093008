// StateDict: declaration order, O(1) lookup by name, duplicates refused.

#include <gtest/gtest.h>

#include <string>

#include "soma/nn/module.h"
#include "support/op_harness.h"

namespace soma::nn {
namespace {

// 100k entries: with the old linear search per insert this was 5 * 10^9 string compares
// (80k tensors took 41 s); with the name index it takes milliseconds. No timing assertion:
// completing is the test (the suite's timeout catches a regression to quadratic).
TEST(StateDict, ManyEntriesKeepOrderAndFindByName) {
    constexpr int kEntries = 100000;
    const Tensor t = zeros({1});
    StateDict d;
    for (int i = 0; i < kEntries; ++i) d.insert("layer" + std::to_string(i) + ".weight", t);
    ASSERT_EQ(d.size(), static_cast<std::size_t>(kEntries));
    for (int i : {0, 1, 4242, kEntries - 1})
        EXPECT_EQ(d.items()[i].first, "layer" + std::to_string(i) + ".weight");
    const Tensor* found = d.find("layer99999.weight");
    ASSERT_NE(found, nullptr);
    EXPECT_TRUE(found->same(t));
    EXPECT_EQ(d.find("layer100000.weight"), nullptr);
    EXPECT_EQ(d.find(""), nullptr);
    test::expect_error([&] { d.insert("layer500.weight", t); },
                       "StateDict: duplicate name 'layer500.weight'");
    EXPECT_EQ(d.size(), static_cast<std::size_t>(kEntries));  // the failed insert added nothing
}

TEST(StateDict, FindReturnsTheTensorUnderItsName) {
    StateDict d;
    d.insert("b", full({2}, 2.0));
    d.insert("a", full({3}, 1.0));
    EXPECT_EQ(d.items()[0].first, "b");  // declaration order, not sorted
    EXPECT_EQ(d.find("a")->shape(), (Shape{3}));
    EXPECT_EQ(d.find("b")->shape(), (Shape{2}));
    // A copy has its own index pointing into its own items.
    StateDict copy = d;
    copy.insert("c", zeros({1}));
    EXPECT_EQ(copy.find("a")->shape(), (Shape{3}));
    EXPECT_EQ(d.find("c"), nullptr);
}

}  // namespace
}  // namespace soma::nn
