// pow, maximum/minimum, comparisons and where against the PyTorch fixtures, plus their errors
// and second derivatives.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

template <Tensor (*Op)(const Tensor&, const Tensor&)>
Tensor binary(const Inputs& x, const json&) {
    return Op(x[0], x[1]);
}

template <Tensor (*Op)(const Tensor&, double)>
Tensor with_scalar(const Inputs& x, const json& a) {
    return Op(x[0], a.at("scalar").get<double>());
}

TEST(BinaryExtra, Fixtures) {
    test::run_op_group(
        "binary_extra",
        {
            {"pow", binary<pow>},
            {"pow_scalar", [](const Inputs& x,
                              const json& a) { return pow(x[0], a.at("exponent").get<double>()); }},
            {"rpow",
             [](const Inputs& x, const json& a) { return pow(a.at("base").get<double>(), x[0]); }},
            {"maximum", binary<maximum>},
            {"minimum", binary<minimum>},
            {"eq", binary<eq>},
            {"ne", binary<ne>},
            {"lt", binary<lt>},
            {"le", binary<le>},
            {"gt", binary<gt>},
            {"ge", binary<ge>},
            {"eq_scalar", with_scalar<eq>},
            {"ne_scalar", with_scalar<ne>},
            {"lt_scalar", with_scalar<lt>},
            {"le_scalar", with_scalar<le>},
            {"gt_scalar", with_scalar<gt>},
            {"ge_scalar", with_scalar<ge>},
            {"where", [](const Inputs& x, const json&) { return where(x[0], x[1], x[2]); }},
            {"where_gt",
             [](const Inputs& x, const json&) { return where(gt(x[0], 0.0), x[1], x[2]); }},
        });
}

TEST(BinaryExtra, ComparisonsAreNeverRecorded) {
    Tensor x = tensor({1, 2, 3}).requires_grad_();
    Tensor c = lt(x, 2.5);
    EXPECT_FALSE(c.requires_grad());
    EXPECT_EQ(c.dtype(), kFloat32);
    EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{1, 1, 0}));
    EXPECT_FALSE(ge(x, x).requires_grad());
}

TEST(BinaryExtra, ScalarIsComparedInTheTensorDtype) {
    // 0.1 rounded to float32 equals the float32 element, as in torch.
    EXPECT_EQ(eq(tensor({0.1}), 0.1).item(), 1.0);
    EXPECT_EQ(eq(tensor({0.1}, kFloat64), 0.1).item(), 1.0);
}

TEST(BinaryExtra, MaximumAndMinimumPropagateNaN) {
    Tensor a = tensor({NAN, 1, 5}), b = tensor({0, NAN, 2});
    std::vector<float> mx = maximum(a, b).to_vector<float>(), mn = minimum(a, b).to_vector<float>();
    EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
    EXPECT_EQ(mx[2], 5);
    EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]));
    EXPECT_EQ(mn[2], 2);
}

TEST(BinaryExtra, WhereConditionOfAnyFloatingDtype) {
    Tensor cond = tensor({0, -1, 0.5}, kFloat64).requires_grad_();
    Tensor a = tensor({1, 2, 3}), b = tensor({10, 20, 30});
    EXPECT_EQ(where(cond, a, b).to_vector<float>(), (std::vector<float>{10, 2, 3}));
    // Only the condition requires grad: nothing to differentiate.
    EXPECT_FALSE(where(cond, a, b).requires_grad());
    Tensor av = a.clone().requires_grad_();
    sum(where(cond, av, b)).backward();
    EXPECT_EQ(av.grad().to_vector<float>(), (std::vector<float>{0, 1, 1}));
    EXPECT_FALSE(cond.grad().defined());
}

// d/dx sum(f(x) * w), recorded so that grad_check can differentiate it once more.
template <class F>
std::function<Tensor(const Inputs&)> first_grad(F f, Tensor w) {
    return [f, w](const Inputs& xs) {
        autograd::EnableGrad on;
        Tensor y = sum(mul(f(xs), w));
        return autograd::grad({y}, {xs[0]}, {}, false, true)[0];
    };
}

TEST(BinaryExtra, SecondDerivatives) {
    Generator gen(7);
    Tensor a = uniform({2, 3}, 0.5, 2.0, &gen, kFloat64),
           b = uniform({2, 3}, -1, 2, &gen, kFloat64);
    Tensor w = uniform({2, 3}, -1, 1, &gen, kFloat64);
    auto check2 = [](const std::function<Tensor(const Inputs&)>& f, const Inputs& xs) {
        auto r = autograd::grad_check(f, xs);
        EXPECT_TRUE(r.ok) << r.message;
    };
    check2(first_grad([](const Inputs& x) { return pow(x[0], x[1]); }, w), {a, b});
    check2(first_grad([](const Inputs& x) { return pow(x[1], x[0]); }, w), {a, b});
    check2(first_grad([](const Inputs& x) { return pow(x[0], 3.0); }, w), {b});
    check2(first_grad([](const Inputs& x) { return pow(x[0], 2.0); }, w), {b});
    check2(first_grad([](const Inputs& x) { return pow(x[0], -1.5); }, w), {a});
    check2(first_grad([](const Inputs& x) { return pow(2.0, x[0]); }, w), {b});
    check2(
        first_grad([](const Inputs& x) { return where(gt(x[1], 0.5), mul(x[0], x[0]), x[0]); }, w),
        {a, b});
}

TEST(BinaryExtra, Errors) {
    Tensor f = zeros({2, 3}), d = zeros({2, 3}, kFloat64), i = zeros({2, 3}, kInt64);
    expect_error([&] { pow(f, d); }, "pow: dtypes differ (float32 and float64)");
    expect_error([&] { maximum(f, d); }, "maximum: dtypes differ");
    expect_error([&] { minimum(d, f); }, "minimum: dtypes differ");
    expect_error([&] { eq(f, d); }, "eq: dtypes differ");
    expect_error([&] { where(f, f, d); }, "where: dtypes differ");
    expect_error([&] { pow(f, zeros({4})); }, "pow: shapes (2, 3) and (4,) cannot be broadcast");
    expect_error([&] { maximum(f, zeros({3, 3})); }, "maximum: shapes (2, 3) and (3, 3)");
    expect_error([&] { lt(f, zeros({2, 2})); }, "lt: shapes");
    expect_error([&] { where(zeros({4}), f, f); }, "where: shapes");
    expect_error([&] { pow(i, i); }, "pow: int64 tensors are not supported");
    expect_error([&] { pow(i, 2.0); }, "pow: int64");
    expect_error([&] { pow(2.0, i); }, "pow: int64");
    expect_error([&] { maximum(i, i); }, "maximum: int64");
    expect_error([&] { gt(i, 0.0); }, "gt: int64");
    expect_error([&] { where(i, f, f); }, "where: the condition must be a floating 0/1 tensor");
    expect_error([&] { where(Tensor(), f, f); }, "where: undefined tensor");
    expect_error([&] { pow(Tensor(), 2.0); }, "pow: undefined tensor");
}

}  // namespace
}  // namespace soma
