// cat, stack, split and chunk against the PyTorch fixtures; views, double backward and errors.

#include <gtest/gtest.h>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

// Joins pieces again, each scaled by its position, like the fixture's _rejoin.
Tensor rejoin(const std::vector<Tensor>& pieces, std::int64_t dim) {
    std::vector<Tensor> scaled;
    for (std::size_t i = 0; i < pieces.size(); ++i)
        scaled.push_back(pieces[i] * static_cast<double>(i + 1));
    return cat(scaled, dim);
}

TEST(Join, Fixtures) {
    test::run_op_group(
        "join", {
                    {"cat", [](const Inputs& x, const json& a) { return cat(x, a["dim"]); }},
                    {"stack", [](const Inputs& x, const json& a) { return stack(x, a["dim"]); }},
                    {"split",
                     [](const Inputs& x, const json& a) {
                         const json& s = a["split"];
                         auto pieces =
                             s.is_array()
                                 ? split(x[0], s.get<std::vector<std::int64_t>>(), a["dim"])
                                 : split(x[0], s.get<std::int64_t>(), a["dim"]);
                         return rejoin(pieces, a["dim"]);
                     }},
                    {"chunk",
                     [](const Inputs& x, const json& a) {
                         auto pieces = chunk(x[0], a["chunks"], a["dim"]);
                         EXPECT_EQ(pieces.size(), a["count"].get<std::size_t>()) << a.dump();
                         return rejoin(pieces, a["dim"]);
                     }},
                });
}

TEST(Join, SplitAndChunkAreViews) {
    Tensor x = arange(10).reshape({5, 2});
    for (const Tensor& p : split(x, 2, 0)) EXPECT_TRUE(p.shares_storage(x));
    for (const Tensor& p : split(x, {1, 1}, 1)) EXPECT_TRUE(p.shares_storage(x));
    auto pieces = chunk(x, 2, 0);
    ASSERT_EQ(pieces.size(), 2u);
    EXPECT_EQ(pieces[0].shape(), (Shape{3, 2}));
    EXPECT_EQ(pieces[1].shape(), (Shape{2, 2}));
    EXPECT_EQ(pieces[1].to_vector(), (std::vector<float>{6, 7, 8, 9}));
    // An empty dimension: one empty piece from split, `chunks` empty pieces from chunk.
    Tensor e = zeros({0, 3});
    EXPECT_EQ(split(e, 2, 0).size(), 1u);
    EXPECT_EQ(chunk(e, 3, 0).size(), 3u);
}

TEST(Join, CatCopiesAndKeepsValues) {
    Tensor a = arange(6).reshape({2, 3}), b = arange(6, 12).reshape({3, 2}).t();  // (2, 3) strided
    Tensor c = cat({a, b}, 1);
    EXPECT_FALSE(c.shares_storage(a));
    EXPECT_EQ(c.shape(), (Shape{2, 6}));
    EXPECT_EQ(c.to_vector(), (std::vector<float>{0, 1, 2, 6, 8, 10, 3, 4, 5, 7, 9, 11}));
    Tensor s = stack({a, a}, 2);
    EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
    EXPECT_EQ(s.select(2, 1).to_vector(), a.to_vector());
    // Large enough for the parallel copy.
    Tensor big = randn({300, 200});
    Tensor joined = cat(split(big, 70, 0), 0);
    EXPECT_TRUE(allclose(joined, big, 0, 0));
}

TEST(Join, GradientOnlyToInputsThatNeedIt) {
    Tensor a = randn({2, 3}).requires_grad_(), b = randn({1, 3});
    Tensor y = cat({a, b}, 0);
    sum(y * 2.0).backward();
    EXPECT_TRUE(allclose(a.grad(), full({2, 3}, 2.0)));
    EXPECT_FALSE(b.grad().defined());
    // The same tensor twice: both windows' gradients add up.
    Tensor c = randn({2, 2}).requires_grad_();
    sum(cat({c, c}, 1) * 3.0).backward();
    EXPECT_TRUE(allclose(c.grad(), full({2, 2}, 6.0)));
}

TEST(Join, DoubleBackward) {
    // d/dx of sum(w * cat(x, x*x)^2) is itself differentiable through cat's narrowed gradient.
    Tensor w = randn({4, 2}, nullptr, kFloat64);
    auto f = [w](const Inputs& xs) {
        autograd::EnableGrad on;
        Tensor y = cat({xs[0], xs[0] * xs[0]}, 0);
        return autograd::grad({sum(y * y * w)}, {xs[0]}, {}, false, true)[0];
    };
    auto r = autograd::grad_check(f, {randn({2, 2}, nullptr, kFloat64)});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Join, Errors) {
    Tensor a = zeros({3, 3}), b = zeros({2, 4});
    expect_error(
        [&] {
            cat({a, b}, 0);
        },
        "cat: tensor 1 of shape (2, 4) does not match tensor 0 of shape (3, 3) outside dimension "
        "0");
    expect_error([&] { cat({a, zeros({3})}, 0); }, "cat: tensor 1 of shape (3,) does not match");
    expect_error([&] { cat({}, 0); }, "cat: expects a non-empty list of tensors");
    expect_error(
        [&] {
            cat({a, a.to(kFloat64)}, 0);
        },
        "cat: tensor 1 has dtype float64 but tensor 0 has float32");
    expect_error([&] { cat({a, a}, 2); }, "cat: dimension 2 out of range");
    expect_error(
        [&] {
            cat({scalar_tensor(1), scalar_tensor(2)}, 0);
        },
        "cat: a 0-dimensional tensor cannot be concatenated");
    expect_error([&] { cat({a, Tensor()}, 0); }, "cat: undefined tensor");
    expect_error(
        [&] {
            stack({a, b}, 0);
        },
        "stack: expects tensors of equal shape, got (3, 3) at position 0 and (2, 4) at position 1");
    expect_error([&] { stack({}, 0); }, "stack: expects a non-empty list of tensors");
    expect_error([&] { stack({a, a}, 3); }, "stack: dimension 3 out of range");
    expect_error(
        [&] {
            split(a, {1, 1}, 0);
        },
        "split: sizes [1, 1] sum to 2 but dimension 0 of shape (3, 3) has size 3");
    expect_error([&] { split(a, {4, -1}, 1); }, "split: sizes [4, -1] contain a negative size");
    expect_error([&] { split(a, 0, 0); }, "split: split_size must be positive, got 0");
    expect_error([&] { split(a, 1, -3); }, "split: dimension -3 out of range");
    expect_error([&] { split(scalar_tensor(1), 1, 0); },
                 "split: cannot split a 0-dimensional tensor");
    expect_error([&] { chunk(a, 0, 0); }, "chunk: number of chunks must be positive, got 0");
}

}  // namespace
}  // namespace soma
