// var, max/min, argmax/argmin and logsumexp against the PyTorch fixtures; tie handling, NaN,
// empty inputs, large inputs against naive loops, second derivatives and errors.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;
using Dims = std::vector<std::int64_t>;

template <Tensor (*Op)(const Tensor&, std::int64_t, bool)>
Tensor along(const Inputs& x, const json& a) {
    return Op(x[0], a.at("dim").get<std::int64_t>(), a.at("keepdim").get<bool>());
}

TEST(Reduce, Fixtures) {
    test::run_op_group(
        "reduce", {
                      {"var",
                       [](const Inputs& x, const json& a) {
                           if (!a.contains("dims")) return var(x[0]);
                           return var(x[0], a["dims"].get<Dims>(), a.at("keepdim").get<bool>(),
                                      a.at("correction").get<std::int64_t>());
                       }},
                      {"max_all", [](const Inputs& x, const json&) { return max(x[0]); }},
                      {"min_all", [](const Inputs& x, const json&) { return min(x[0]); }},
                      {"max_dim", along<max>},
                      {"min_dim", along<min>},
                      {"argmax", along<argmax>},
                      {"argmin", along<argmin>},
                      {"argmax_all", [](const Inputs& x, const json&) { return argmax(x[0]); }},
                      {"logsumexp",
                       [](const Inputs& x, const json& a) {
                           return logsumexp(x[0], a.at("dims").get<Dims>(),
                                            a.at("keepdim").get<bool>());
                       }},
                  });
}

TEST(Reduce, MaxOverAllSplitsTheGradientAmongTies) {
    Tensor x = tensor({2, 5, 5, 5, 1}, kFloat64).requires_grad_();
    max(x).backward();
    std::vector<double> g = x.grad().to_vector<double>();
    EXPECT_EQ(g[0], 0);
    EXPECT_DOUBLE_EQ(g[1], 1.0 / 3);
    EXPECT_DOUBLE_EQ(g[3], 1.0 / 3);
    EXPECT_EQ(g[4], 0);
    Tensor y = tensor({{-1, 4}, {-1, -1}}).requires_grad_();
    min(y).backward();
    EXPECT_EQ(y.grad().to_vector<float>(), (std::vector<float>{1.f / 3, 0, 1.f / 3, 1.f / 3}));
}

TEST(Reduce, MaxAlongADimRoutesTheGradientToTheFirstExtreme) {
    Tensor x = tensor({{1, 3, 3}, {2, 2, 0}}).requires_grad_();
    max(x, 1).backward(tensor({10, 20}));
    EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 10, 0, 20, 0, 0}));
    Tensor y = tensor({{1, 3, 3}, {1, 3, 0}}).requires_grad_();
    min(y, 0, true).backward(tensor({{1, 2, 3}}));
    EXPECT_EQ(y.grad().to_vector<float>(), (std::vector<float>{1, 2, 0, 0, 0, 3}));
    EXPECT_EQ(argmax(x, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
    EXPECT_EQ(argmin(y, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 1}));
}

TEST(Reduce, NaNIsTheExtremeLikeInTorch) {
    Tensor x = tensor({1, NAN, 3, NAN});
    EXPECT_TRUE(std::isnan(max(x).item()));
    EXPECT_TRUE(std::isnan(min(x, 0).item()));
    EXPECT_EQ(argmax(x).item<std::int64_t>(), 1);
    EXPECT_EQ(argmin(x, 0).item<std::int64_t>(), 1);
}

TEST(Reduce, EmptyInputsWhereTorchAllowsThem) {
    Tensor v = var(zeros({0, 3}), {0});
    ASSERT_EQ(v.shape(), (Shape{3}));
    EXPECT_TRUE(std::isnan(v.to_vector<float>()[0]));
    EXPECT_TRUE(std::isnan(var(ones({1})).item()));  // no degrees of freedom left
    Tensor l = logsumexp(zeros({2, 0}), {1});
    EXPECT_EQ(l.to_vector<float>(), (std::vector<float>{-INFINITY, -INFINITY}));
    EXPECT_EQ(max(zeros({0, 3}), 1).shape(), (Shape{0}));
    EXPECT_EQ(argmax(zeros({0, 3}), 1, true).shape(), (Shape{0, 1}));
}

TEST(Reduce, LargeNonContiguousInputsMatchNaiveLoops) {
    // Above the parallel grain, on a transposed view: x(i, j) = base(j, i).
    const std::int64_t rows = 300, cols = 257;
    Generator gen(3);
    Tensor base = randn({cols, rows}, &gen, kFloat64);
    Tensor x = base.t();
    auto at = [&](std::int64_t i, std::int64_t j) { return base.at<double>({j, i}); };
    Tensor mx = max(x, 0), am = argmin(x, 1), lse = logsumexp(x, {1}), vr = var(x, {0});
    for (std::int64_t j : {0, 100, 256}) {
        double best = -INFINITY, mean = 0, ss = 0;
        for (std::int64_t i = 0; i < rows; ++i) best = std::max(best, at(i, j)), mean += at(i, j);
        mean /= rows;
        for (std::int64_t i = 0; i < rows; ++i) ss += (at(i, j) - mean) * (at(i, j) - mean);
        EXPECT_EQ(mx.at<double>({j}), best);
        EXPECT_NEAR(vr.at<double>({j}), ss / (rows - 1), 1e-12);
    }
    for (std::int64_t i : {0, 150, 299}) {
        std::int64_t arg = 0;
        double acc = 0;
        for (std::int64_t j = 0; j < cols; ++j) {
            if (at(i, j) < at(i, arg)) arg = j;
            acc += std::exp(at(i, j));
        }
        EXPECT_EQ(am.at<std::int64_t>({i}), arg);
        EXPECT_NEAR(lse.at<double>({i}), std::log(acc), 1e-12);
    }
    EXPECT_EQ(argmax(x).item<std::int64_t>(), argmax(x.contiguous()).item<std::int64_t>());
}

template <class F>
std::function<Tensor(const Inputs&)> first_grad(F f, Tensor w) {
    return [f, w](const Inputs& xs) {
        autograd::EnableGrad on;
        return autograd::grad({sum(mul(f(xs[0]), w))}, {xs[0]}, {}, false, true)[0];
    };
}

TEST(Reduce, SecondDerivatives) {
    Generator gen(5);
    Tensor x = uniform({3, 4}, -2, 2, &gen, kFloat64);
    auto check2 = [&](auto f, const Shape& out_shape) {
        Tensor w = uniform(out_shape, -1, 1, &gen, kFloat64);
        auto r = autograd::grad_check(first_grad(f, w), {x});
        EXPECT_TRUE(r.ok) << r.message;
    };
    check2([](const Tensor& t) { return var(t, {1}); }, {3});
    check2([](const Tensor& t) { return var(t, {}, true, 0); }, {1, 1});
    check2([](const Tensor& t) { return logsumexp(t, {0}); }, {4});
    check2([](const Tensor& t) { return logsumexp(t, {-1}, true); }, {3, 1});
}

TEST(Reduce, Errors) {
    Tensor x = zeros({2, 3}), i = zeros({2, 3}, kInt64);
    expect_error([&] { var(x, {2}); },
                 "var: dimension 2 out of range for a tensor with 2 dimensions");
    expect_error([&] { var(x, {0, -2}); }, "var: dimension -2 appears more than once");
    expect_error([&] { max(x, -3); }, "max: dimension -3 out of range");
    expect_error([&] { min(x, 2, true); }, "min: dimension 2 out of range");
    expect_error([&] { argmax(x, 5); }, "argmax: dimension 5 out of range");
    expect_error([&] { argmin(x, -3); }, "argmin: dimension -3 out of range");
    expect_error([&] { logsumexp(x, {3}); }, "logsumexp: dimension 3 out of range");
    expect_error([&] { max(zeros({0})); }, "max: cannot reduce an empty tensor of shape (0,)");
    expect_error([&] { min(zeros({2, 0})); }, "min: cannot reduce an empty tensor");
    expect_error(
        [&] {
            argmax(zeros({0, 2}));
        },
        "argmax: cannot take the argmax of an empty tensor");
    expect_error([&] { max(zeros({2, 0}), 1); }, "max: cannot reduce over dimension 1 of size 0");
    expect_error([&] { argmin(zeros({2, 0}), -1); }, "argmin: cannot reduce over dimension -1");
    for (auto* op : {"var", "max", "min", "argmax", "argmin", "logsumexp"}) {
        std::string name = op;
        expect_error(
            [&] {
                if (name == "var") var(i);
                if (name == "max") max(i, 0);
                if (name == "min") min(i);
                if (name == "argmax") argmax(i);
                if (name == "argmin") argmin(i, 1);
                if (name == "logsumexp") logsumexp(i, {0});
            },
            name + ": int64 tensors are not supported");
    }
    expect_error([&] { var(Tensor()); }, "var: undefined tensor");
    expect_error([&] { max(Tensor()); }, "max: undefined tensor");
}

}  // namespace
}  // namespace soma
