// softmax and log_softmax against the PyTorch fixtures; the fused kernels against naive loops
// on large inputs; second derivatives; errors.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

template <Tensor (*Op)(const Tensor&, std::int64_t)>
Tensor along(const Inputs& x, const json& a) {
    return Op(x[0], a.at("dim").get<std::int64_t>());
}

TEST(Softmax, Fixtures) {
    test::run_op_group("softmax",
                       {{"softmax", along<softmax>}, {"log_softmax", along<log_softmax>}});
}

// Naive reference: softmax of x (rows, n) along dim 1, in double, straight from the definition
// after shifting by the row max.
std::vector<double> naive_softmax_rows(const std::vector<double>& x, std::int64_t rows,
                                       std::int64_t n) {
    std::vector<double> y(x.size());
    for (std::int64_t r = 0; r < rows; ++r) {
        double mx = -INFINITY, s = 0;
        for (std::int64_t i = 0; i < n; ++i) mx = std::max(mx, x[r * n + i]);
        for (std::int64_t i = 0; i < n; ++i) s += std::exp(x[r * n + i] - mx);
        for (std::int64_t i = 0; i < n; ++i) y[r * n + i] = std::exp(x[r * n + i] - mx) / s;
    }
    return y;
}

TEST(Softmax, LargeInputsMatchTheNaiveLoop) {
    // Above the parallel grain; rows (the fast path), columns (dim 0) and a strided input.
    const std::int64_t rows = 300, n = 130;
    Generator gen(11);
    Tensor x = randn({rows, n}, &gen, kFloat64) * 5.0;
    std::vector<double> ref = naive_softmax_rows(x.to_vector<double>(), rows, n);
    auto expect_matches = [&](const Tensor& y, bool log, bool transposed) {
        std::vector<double> got = (transposed ? y.t() : y).contiguous().to_vector<double>();
        for (std::size_t k = 0; k < ref.size(); ++k) {
            double want = log ? std::log(ref[k]) : ref[k];
            ASSERT_NEAR(got[k], want, 1e-12 * std::max(1.0, std::abs(want))) << "element " << k;
        }
    };
    for (bool log : {false, true}) {
        auto op = log ? log_softmax : softmax;
        expect_matches(op(x, -1), log, false);
        expect_matches(op(x.t().contiguous(), 0), log, true);
        expect_matches(op(x.t(), 0), log, true);  // non-contiguous input
    }
}

TEST(Softmax, FusedBackwardMatchesTheComposedFormula) {
    Generator gen(12);
    Tensor x = randn({200, 190}, &gen, kFloat64), g = randn({200, 190}, &gen, kFloat64);
    for (std::int64_t dim : {1, 0}) {
        Tensor a = x.clone().requires_grad_();
        Tensor y = softmax(a, dim);
        y.backward(g);
        Tensor s = y.detach();
        Tensor expected = s * (g - sum(g * s, {dim}, true));
        EXPECT_TRUE(allclose(a.grad(), expected, 1e-10, 1e-14)) << "softmax dim " << dim;

        Tensor b = x.clone().requires_grad_();
        Tensor ly = log_softmax(b, dim);
        ly.backward(g.t().contiguous().t());  // a strided gradient
        Tensor expected_log = g - exp(ly.detach()) * sum(g, {dim}, true);
        EXPECT_TRUE(allclose(b.grad(), expected_log, 1e-10, 1e-14)) << "log_softmax dim " << dim;
    }
}

TEST(Softmax, StableForHugeInputsInFloat32) {
    Tensor x = tensor({{1000, 1000}, {-1000, -1000}, {3.0e38f, 0}});
    EXPECT_EQ(softmax(x, 1).to_vector<float>(), (std::vector<float>{0.5, 0.5, 0.5, 0.5, 1, 0}));
    std::vector<float> ls = log_softmax(x, 1).to_vector<float>();
    EXPECT_NEAR(ls[0], -std::log(2.0), 1e-6);
    EXPECT_NEAR(ls[3], -std::log(2.0), 1e-6);
}

TEST(Softmax, SecondDerivatives) {
    Generator gen(13);
    Tensor x = uniform({3, 4}, -2, 2, &gen, kFloat64), w = uniform({3, 4}, -1, 1, &gen, kFloat64);
    for (std::int64_t dim : {-1, 0}) {
        for (bool log : {false, true}) {
            auto f = [&](const Inputs& xs) {
                autograd::EnableGrad on;
                Tensor y = log ? log_softmax(xs[0], dim) : softmax(xs[0], dim);
                return autograd::grad({sum(mul(y, w))}, xs, {}, false, true)[0];
            };
            auto r = autograd::grad_check(f, {x});
            EXPECT_TRUE(r.ok) << (log ? "log_softmax" : "softmax") << " dim " << dim << ": "
                              << r.message;
        }
    }
}

TEST(Softmax, EmptyInputs) {
    EXPECT_EQ(softmax(zeros({0, 3}), 1).shape(), (Shape{0, 3}));
    EXPECT_EQ(log_softmax(zeros({2, 0}), 1).shape(), (Shape{2, 0}));
}

TEST(Softmax, Errors) {
    Tensor x = zeros({2, 3});
    expect_error([&] { softmax(x, 2); }, "softmax: dimension 2 out of range for a tensor with 2");
    expect_error([&] { softmax(x, -3); }, "softmax: dimension -3 out of range");
    expect_error([&] { log_softmax(x, 5); }, "log_softmax: dimension 5 out of range");
    expect_error([&] { softmax(zeros({3}, kInt64), 0); },
                 "softmax: int64 tensors are not supported");
    expect_error([&] { log_softmax(zeros({3}, kInt64), 0); }, "log_softmax: int64");
    expect_error([&] { softmax(Tensor(), 0); }, "softmax: undefined tensor");
    expect_error([&] { log_softmax(Tensor(), 0); }, "log_softmax: undefined tensor");
}

}  // namespace
}  // namespace soma
