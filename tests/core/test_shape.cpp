// Shape, strides, broadcasting and dimension wrapping.

#include <gtest/gtest.h>

#include "soma/shape.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_error;

TEST(Shape, BasicsAndPrinting) {
    Shape s{3, 4};
    EXPECT_EQ(s.size(), 2);
    EXPECT_EQ(s.numel(), 12);
    EXPECT_EQ(s.str(), "(3, 4)");
    EXPECT_EQ(Shape{5}.str(), "(5,)");  // like a Python tuple
    EXPECT_EQ(Shape{}.str(), "()");
    EXPECT_EQ(Shape{}.numel(), 1);  // a scalar holds one element
    EXPECT_EQ((Shape{2, 0, 3}).numel(), 0);
    EXPECT_EQ(Shape(std::vector<std::int64_t>{1, 2}), (Shape{1, 2}));
    EXPECT_NE((Shape{1, 2}), (Shape{2, 1}));
    EXPECT_NE((Shape{1, 2}), (Shape{1, 2, 1}));
    EXPECT_EQ(s.vec(), (std::vector<std::int64_t>{3, 4}));
}

TEST(Shape, Editing) {
    Shape s{2, 3};
    s.insert(1, 7);
    EXPECT_EQ(s, (Shape{2, 7, 3}));
    s.insert(3, 1);
    EXPECT_EQ(s, (Shape{2, 7, 3, 1}));
    s.erase(0);
    EXPECT_EQ(s, (Shape{7, 3, 1}));
    s.resize(5, 9);
    EXPECT_EQ(s, (Shape{7, 3, 1, 9, 9}));
    s.resize(1);
    EXPECT_EQ(s, (Shape{7}));
    EXPECT_EQ(s.back(), 7);
}

TEST(Shape, AtMostEightDims) {
    Shape s{1, 1, 1, 1, 1, 1, 1, 1};
    expect_error([&] { s.push_back(1); }, "tensors have at most 8 dimensions");
    expect_error([&] { s.insert(0, 1); }, "tensors have at most 8 dimensions");
    expect_error([] { Shape{1, 2, 3, 4, 5, 6, 7, 8, 9}; }, "at most 8 dimensions");
}

TEST(Shape, ContiguousStrides) {
    EXPECT_EQ(contiguous_strides({2, 3, 4}), (Shape{12, 4, 1}));
    EXPECT_EQ(contiguous_strides({5}), (Shape{1}));
    EXPECT_EQ(contiguous_strides({}), (Shape{}));
}

TEST(Shape, Broadcasting) {
    EXPECT_EQ(broadcast_shapes({3, 1}, {1, 4}, "t"), (Shape{3, 4}));
    EXPECT_EQ(broadcast_shapes({2, 3, 4}, {4}, "t"), (Shape{2, 3, 4}));
    EXPECT_EQ(broadcast_shapes({4}, {2, 3, 4}, "t"), (Shape{2, 3, 4}));
    EXPECT_EQ(broadcast_shapes({}, {2, 3}, "t"), (Shape{2, 3}));
    EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}, "t"), (Shape{2, 4, 3}));
    EXPECT_EQ(broadcast_shapes({0}, {1}, "t"), (Shape{0}));
    EXPECT_EQ(broadcast_shapes({5, 1, 7}, {5, 1, 7}, "t"), (Shape{5, 1, 7}));
    expect_error(
        [] {
            broadcast_shapes({2, 3}, {4}, "add");
        },
        "add: shapes (2, 3) and (4,) cannot be broadcast (dimension 1: 3 vs 4)");
    expect_error([] { broadcast_shapes({0}, {2}, "mul"); }, "mul: shapes (0,) and (2,)");
}

TEST(Shape, WrapDim) {
    EXPECT_EQ(wrap_dim(0, 3, "op"), 0);
    EXPECT_EQ(wrap_dim(-1, 3, "op"), 2);
    EXPECT_EQ(wrap_dim(-3, 3, "op"), 0);
    EXPECT_EQ(wrap_dim(0, 0, "op"), 0);  // scalars accept 0 and -1, like PyTorch
    EXPECT_EQ(wrap_dim(-1, 0, "op"), 0);
    expect_error(
        [] { wrap_dim(3, 3, "softmax"); },
        "softmax: dimension 3 out of range for a tensor with 3 dimensions (expected -3 to 2)");
    expect_error([] { wrap_dim(-4, 3, "op"); }, "dimension -4 out of range");
    expect_error([] { wrap_dim(1, 0, "op"); }, "(expected -1 to 0)");
}

}  // namespace
}  // namespace soma
