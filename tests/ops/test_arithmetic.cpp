// add, sub, mul, div and neg against the PyTorch fixtures, plus their errors.

#include <gtest/gtest.h>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

// op(tensor, scalar) as a function call; scalar-first through the operators.
template <class Fn, class Op>
test::OpFn scalar_op(Fn fn, Op op) {
    return [fn, op](const Inputs& x, const json& a) {
        double s = a.at("scalar");
        return a.at("reverse").get<bool>() ? op(s, x[0]) : fn(x[0], s);
    };
}

TEST(Arithmetic, Fixtures) {
    test::run_op_group(
        "arithmetic",
        {
            {"add", [](const Inputs& x, const json&) { return add(x[0], x[1]); }},
            {"sub", [](const Inputs& x, const json&) { return sub(x[0], x[1]); }},
            {"mul", [](const Inputs& x, const json&) { return mul(x[0], x[1]); }},
            {"div", [](const Inputs& x, const json&) { return div(x[0], x[1]); }},
            {"add_self", [](const Inputs& x, const json&) { return x[0] + x[0]; }},
            {"sub_self", [](const Inputs& x, const json&) { return x[0] - x[0]; }},
            {"mul_self", [](const Inputs& x, const json&) { return x[0] * x[0]; }},
            {"div_self", [](const Inputs& x, const json&) { return x[0] / x[0]; }},
            {"add_scalar", scalar_op([](const Tensor& t, double s) { return add(t, s); },
                                     [](double s, const Tensor& t) { return s + t; })},
            {"sub_scalar", scalar_op([](const Tensor& t, double s) { return sub(t, s); },
                                     [](double s, const Tensor& t) { return s - t; })},
            {"mul_scalar", scalar_op([](const Tensor& t, double s) { return mul(t, s); },
                                     [](double s, const Tensor& t) { return s * t; })},
            {"div_scalar", scalar_op([](const Tensor& t, double s) { return div(t, s); },
                                     [](double s, const Tensor& t) { return s / t; })},
            {"neg", [](const Inputs& x, const json&) { return -x[0]; }},
        });
}

TEST(Arithmetic, OperatorsMatchFunctions) {
    Tensor a = tensor({{1, 2}, {3, 4}}), b = tensor({0.5, -2});
    EXPECT_TRUE(allclose(a + b, add(a, b)));
    EXPECT_TRUE(allclose(a - b, sub(a, b)));
    EXPECT_TRUE(allclose(a * b, mul(a, b)));
    EXPECT_TRUE(allclose(a / b, div(a, b)));
    EXPECT_TRUE(allclose(a - 1.0, sub(a, 1.0)));
    EXPECT_TRUE(allclose(1.0 - a, sub(1.0, a)));
    EXPECT_TRUE(allclose(neg(a), -a));
    EXPECT_EQ((a + b).grad_fn_name(), "");  // nothing requires grad: no graph
}

TEST(Arithmetic, Errors) {
    Tensor a = zeros({2, 3}), b = zeros({4}), d = zeros({2, 3}, kFloat64);
    expect_error([&] { add(a, b); }, "add: shapes (2, 3) and (4,) cannot be broadcast");
    expect_error([&] { sub(a, b); }, "sub: shapes (2, 3) and (4,)");
    expect_error([&] { mul(zeros({3, 1}), zeros({2, 4, 2})); }, "mul: shapes (3, 1) and (2, 4, 2)");
    expect_error([&] { div(a, b); }, "div: shapes");
    expect_error([&] { add(a, d); }, "add: dtypes differ (float32 and float64)");
    expect_error([&] { mul(d, a); }, "mul: dtypes differ (float64 and float32)");
    expect_error([&] { add(Tensor(), a); }, "add: undefined tensor");
    expect_error([&] { neg(Tensor()); }, "neg: undefined tensor");
    expect_error([&] { mul(Tensor(), 2.0); }, "undefined tensor");
    Tensor idx = zeros({3}, kInt64);
    expect_error([&] { add(idx, idx); }, "add: int64 tensors are not supported");
    expect_error([&] { neg(idx); }, "neg: int64 tensors are not supported");
}

}  // namespace
}  // namespace soma
