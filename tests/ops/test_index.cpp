// Indexing ops against the PyTorch fixtures; index conversion and errors, gradients that
// accumulate on large (parallel) inputs, one_hot, and dropout's statistics.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

TEST(Index, Fixtures) {
    test::run_op_group(
        "index",
        {
            {"index_select",
             [](const Inputs& x, const json& a) { return index_select(x[0], a["dim"], x[1]); }},
            {"gather", [](const Inputs& x, const json& a) { return gather(x[0], a["dim"], x[1]); }},
            {"scatter_add", [](const Inputs& x,
                               const json& a) { return scatter_add(x[0], a["dim"], x[1], x[2]); }},
            {"embedding", [](const Inputs& x, const json&) { return embedding(x[0], x[1]); }},
            {"dropout_mask_apply",
             [](const Inputs& x, const json& a) {
                 return dropout_mask_apply(x[0], x[1].to(x[0].dtype()), a["scale"]);
             }},
        });
}

TEST(Index, FloatingIndexHoldingWholeNumbers) {
    Tensor x = arange(12).reshape({4, 3});
    Tensor want = index_select(x, 0, from_vector(std::vector<std::int64_t>{3, 0, 3}));
    EXPECT_TRUE(allclose(index_select(x, 0, tensor({3, 0, 3})), want, 0, 0));
    EXPECT_TRUE(allclose(index_select(x, 0, tensor({3, 0, 3}, kFloat64)), want, 0, 0));
    EXPECT_TRUE(allclose(embedding(x, tensor({3, 0, 3})), want, 0, 0));
    EXPECT_TRUE(
        allclose(gather(x, 1, tensor({{2}, {0}, {1}, {1}})), tensor({{2}, {3}, {7}, {10}}), 0, 0));
}

// Naive references: one element at a time, serial.
Tensor naive_index_add(const Tensor& idx, const Tensor& src, std::int64_t rows) {
    // src: (L, D), idx: (L) -> (rows, D)
    std::vector<double> out(rows * src.shape()[1], 0.0);
    auto s = src.to_vector<double>();
    auto k = idx.to_vector<std::int64_t>();
    std::int64_t d = src.shape()[1];
    for (std::size_t i = 0; i < k.size(); ++i)
        for (std::int64_t c = 0; c < d; ++c) out[k[i] * d + c] += s[i * d + c];
    return from_vector(out, {rows, d}, kFloat64);
}

TEST(Index, LargeInputsAccumulateRepeatedIndices) {
    // Big enough for the parallel kernels; few rows, so every row repeats many times.
    Generator gen(7);
    const std::int64_t rows = 11, len = 3000, dim = 40;
    Tensor idx = randint(0, rows, {len}, &gen);
    Tensor w = randn({rows, dim}, &gen, kFloat64).requires_grad_();
    Tensor gy = randn({len, dim}, &gen, kFloat64);
    Tensor y = embedding(w, idx);
    y.backward(gy);
    EXPECT_TRUE(allclose(w.grad(), naive_index_add(idx, gy, rows), 1e-10, 1e-10));
    // The same gradient through a strided (transposed) upstream gradient.
    w.set_grad(Tensor());
    Tensor gy_t = gy.t().contiguous().t();
    embedding(w, idx).backward(gy_t);
    EXPECT_TRUE(allclose(w.grad(), naive_index_add(idx, gy, rows), 1e-10, 1e-10));

    // scatter_add along dim 1 of a (dim, len) layout is the same sum, transposed.
    Tensor self = zeros({dim, rows}, kFloat64);
    Tensor index2 = idx.reshape({1, len}).expand({dim, len}).contiguous();
    Tensor s = scatter_add(self, 1, index2, gy.t());
    EXPECT_TRUE(allclose(s.t(), naive_index_add(idx, gy, rows), 1e-10, 1e-10));
    // And gather reads back what index_select reads.
    EXPECT_TRUE(
        allclose(gather(w.detach().t(), 1, index2), index_select(w.detach(), 0, idx).t(), 0, 0));
}

TEST(Index, EmbeddingGradientCountsRows) {
    Tensor w = ones({4, 2}).requires_grad_();
    sum(embedding(w, from_vector(std::vector<std::int64_t>{1, 3, 1, 1, 0}, {5}))).backward();
    EXPECT_EQ(w.grad().to_vector(), (std::vector<float>{1, 1, 3, 3, 0, 0, 1, 1}));
}

TEST(Index, DoubleBackward) {
    Tensor idx = from_vector(std::vector<std::int64_t>{2, 0, 2, 1}, {4});
    Tensor gidx = from_vector(std::vector<std::int64_t>{1, 1, 0, 1, 0, 0}, {3, 2});
    Tensor w = randn({4, 2}, nullptr, kFloat64), v = randn({3, 2}, nullptr, kFloat64);
    auto grad_of = [](const Tensor& y, const Tensor& x) {
        return autograd::grad({y}, {x}, {}, false, true)[0];
    };
    auto via_select = [&](const Inputs& xs) {
        autograd::EnableGrad on;
        return grad_of(sum(pow(index_select(xs[0], 0, idx), 3.0) * w), xs[0]);
    };
    auto via_gather = [&](const Inputs& xs) {
        autograd::EnableGrad on;
        return grad_of(sum(pow(gather(xs[0], 1, gidx), 3.0) * v), xs[0]);
    };
    auto via_scatter = [&](const Inputs& xs) {
        autograd::EnableGrad on;
        Tensor y = scatter_add(xs[0], 1, gidx, xs[1]);
        return grad_of(sum(pow(y, 3.0) * v), xs[1]);
    };
    using Fn = std::function<Tensor(const Inputs&)>;
    for (const Fn& f : std::vector<Fn>{via_select, via_gather}) {
        auto r = autograd::grad_check(f, {randn({3, 2}, nullptr, kFloat64)});
        EXPECT_TRUE(r.ok) << r.message;
    }
    auto r = autograd::grad_check(
        via_scatter, {randn({3, 2}, nullptr, kFloat64), randn({3, 2}, nullptr, kFloat64)});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Index, OneHot) {
    Tensor idx = from_vector(std::vector<std::int64_t>{2, 0, 1, 2}, {2, 2});
    Tensor oh = one_hot(idx, 4);
    EXPECT_EQ(oh.shape(), (Shape{2, 2, 4}));
    EXPECT_EQ(oh.dtype(), kFloat32);
    EXPECT_EQ(oh.to_vector(), (std::vector<float>{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}));
    Tensor inferred = one_hot(idx, -1, kFloat64);
    EXPECT_EQ(inferred.shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(inferred.dtype(), kFloat64);
    EXPECT_TRUE(allclose(one_hot(tensor({1, 0}), 2), tensor({{0, 1}, {1, 0}})));
    EXPECT_EQ(one_hot(idx.t(), 3, kInt64).to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1}));
    EXPECT_FALSE(one_hot(tensor({1, 0}), 2).requires_grad());
}

TEST(Index, Errors) {
    Tensor x = zeros({4, 3});
    auto ints = [](std::vector<std::int64_t> v) {
        return from_vector(v, {static_cast<std::int64_t>(v.size())});
    };
    expect_error(
        [&] {
            index_select(x, 0, ints({1, 4}));
        },
        "index_select: index 4 is out of range for dimension 0 with size 4");
    expect_error([&] { index_select(x, 1, ints({-1})); },
                 "index_select: index -1 is out of range for dimension 1 with size 3");
    expect_error([&] { index_select(x, 0, tensor({1.5})); },
                 "index_select: index tensor (float32) holds 1.5, which is not a whole number");
    expect_error([&] { index_select(x, 0, tensor({NAN})); }, "which is not a whole number");
    expect_error(
        [&] {
            index_select(x, 0, zeros({2, 1}, kInt64));
        },
        "index_select: index must be 1-D, got shape (2, 1)");
    expect_error([&] { index_select(x, 2, ints({0})); }, "index_select: dimension 2 out of range");
    expect_error([&] { index_select(scalar_tensor(1), 0, ints({0})); },
                 "index_select: cannot index a 0-dimensional tensor");
    expect_error(
        [&] { gather(x, 1, ints({0})); },
        "gather: index of shape (1,) must have as many dimensions as the input of shape (4, 3)");
    expect_error(
        [&] {
            gather(x, 1, zeros({5, 1}, kInt64));
        },
        "gather: index of shape (5, 1) is larger than the input of shape (4, 3) at dimension 0");
    expect_error(
        [&] {
            gather(x, 0, full({1, 1}, 4, kInt64));
        },
        "gather: index 4 is out of range for dimension 0 with size 4");
    expect_error(
        [&] {
            scatter_add(x, 0, zeros({1, 3}, kInt64), zeros({1, 3}, kFloat64));
        },
        "scatter_add: dtypes differ (float32 and float64)");
    expect_error(
        [&] {
            scatter_add(x, 0, zeros({1, 3}, kInt64), zeros({3}));
        },
        "scatter_add: self (4, 3), index (1, 3) and src (3,) must have the same number of "
        "dimensions");
    expect_error(
        [&] {
            scatter_add(x, 0, zeros({2, 3}, kInt64), zeros({1, 3}));
        },
        "scatter_add: index of shape (2, 3) is larger than src (1, 3) or self (4, 3) at dimension "
        "0");
    expect_error(
        [&] {
            scatter_add(x, 1, full({1, 1}, -2, kInt64), zeros({1, 1}));
        },
        "scatter_add: index -2 is out of range for dimension 1 with size 3");
    expect_error(
        [&] {
            embedding(x, ints({0, 4}));
        },
        "embedding: index 4 is out of range for a table of 4 rows");
    expect_error([&] { embedding(zeros({4}), ints({0})); },
                 "embedding: weight must be 2-D (num_embeddings, embedding_dim), got (4,)");
    expect_error(
        [&] {
            one_hot(ints({0, 3}), 3);
        },
        "one_hot: class index 3 is out of range for num_classes 3");
    expect_error([&] { one_hot(ints({-1}), -1); },
                 "one_hot: class index -1 is out of range for num_classes 0");
    expect_error([&] { one_hot(ints({}), -1); },
                 "one_hot: cannot infer num_classes from an empty index");
    expect_error([&] { one_hot(ints({0}), -2); },
                 "one_hot: num_classes must be non-negative or -1, got -2");
    expect_error(
        [&] {
            dropout_mask_apply(x, ones({2, 3}), 2.0);
        },
        "dropout_mask_apply: mask of shape (2, 3) does not broadcast to the input's shape (4, 3)");
    expect_error([&] { dropout(x, -0.1, true); },
                 "dropout: probability p must be in [0, 1], got -0.1");
    expect_error([&] { dropout(x, 1.5, true); },
                 "dropout: probability p must be in [0, 1], got 1.5");
    expect_error([&] { dropout(x, NAN, false); }, "dropout: probability p must be in [0, 1]");
    expect_error([&] { dropout(zeros({2}, kInt64), 0.5, true); },
                 "dropout: int64 tensors are not supported");
}

TEST(Dropout, Statistics) {
    const double p = 0.3;
    Generator gen(2024);
    Tensor x = ones({400, 500});
    Tensor y = dropout(x, p, true, &gen);
    auto v = y.to_vector();
    std::int64_t zeros_seen = 0;
    const float survivor = static_cast<float>(1.0 / (1.0 - p));
    for (float e : v) {
        if (e == 0)
            ++zeros_seen;
        else
            EXPECT_EQ(e, survivor);
    }
    // 200000 draws: the standard deviation of the fraction is about 0.001.
    EXPECT_NEAR(static_cast<double>(zeros_seen) / v.size(), p, 0.005);
    // Inverted dropout keeps the mean.
    EXPECT_NEAR(mean(y).item(), 1.0, 0.01);
}

TEST(Dropout, IdentityAndDeterminism) {
    Tensor x = randn({8, 9});
    EXPECT_TRUE(dropout(x, 0.5, false).same(x));
    EXPECT_TRUE(dropout(x, 0.0, true).same(x));
    Generator g1(5), g2(5), g3(6);
    Tensor a = dropout(x, 0.5, true, &g1), b = dropout(x, 0.5, true, &g2),
           c = dropout(x, 0.5, true, &g3);
    EXPECT_TRUE(allclose(a, b, 0, 0));
    EXPECT_FALSE(allclose(a, c, 0, 0));
    // The generator advances: a second draw differs from the first.
    EXPECT_FALSE(allclose(dropout(x, 0.5, true, &g1), a, 0, 0));
}

TEST(Dropout, Gradient) {
    Generator gen(3);
    Tensor x = full({50, 20}, 2.0).requires_grad_();
    Tensor y = dropout(x, 0.4, true, &gen);
    y.backward(ones_like(y));
    // y = 2 * mask * scale, and dy/dx = mask * scale.
    EXPECT_TRUE(allclose(x.grad(), y.detach() / 2.0));
    // p == 1 drops everything, with zero (not NaN) gradient.
    Tensor z = dropout(x, 1.0, true, &gen);
    EXPECT_TRUE(allclose(z, zeros_like(z), 0, 0));
    x.set_grad(Tensor());
    sum(z).backward();
    EXPECT_TRUE(allclose(x.grad(), zeros_like(z), 0, 0));
}

}  // namespace
}  // namespace soma
