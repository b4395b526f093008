// gelu against PyTorch (tests/fixtures/ops_gelu.json from tools/fixtures/ops_gelu.py), its
// second derivative (a kernel of its own), the module, and errors.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/nn/activation.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;
using Inputs = std::vector<Tensor>;

TEST(Gelu, Fixtures) {
    test::run_op_group("gelu", {{"gelu", [](const Inputs& x, const json& a) {
                                     return gelu(x[0], a["approximate"].get<std::string>());
                                 }}});
}

TEST(Gelu, SecondDerivative) {
    Generator gen(4);
    Tensor x = uniform({3, 4}, -3, 3, &gen, kFloat64);
    Tensor up = uniform({3, 4}, -1, 1, &gen, kFloat64);
    for (const char* approximate : {"none", "tanh"}) {
        // The gradient of sum(gelu'(x) * up * x) needs gelu''.
        auto r = autograd::grad_check(
            [&](const std::vector<Tensor>& in) {
                autograd::EnableGrad enable;
                Tensor l = sum(gelu(in[0], approximate) * up);
                Tensor g = autograd::grad({l}, {in[0]}, {}, true, true)[0];
                return g * in[0];
            },
            {x});
        EXPECT_TRUE(r.ok) << approximate << ": " << r.message;
    }
}

TEST(Gelu, KnownValuesAndModule) {
    // gelu(1) = Phi(1) = 0.841344746...; the tanh form is within 1e-3 of it.
    Tensor one = tensor({1.0}, kFloat64);
    EXPECT_NEAR(gelu(one).item<double>(), 0.8413447460685429, 1e-15);
    EXPECT_NEAR(gelu(one, "tanh").item<double>(), 0.8411919906082768, 1e-15);
    nn::GELU plain, approx("tanh");
    Tensor x = tensor({-1.5, 0.0, 2.0});
    EXPECT_TRUE(allclose(plain(x), gelu(x), 0, 0));
    EXPECT_TRUE(allclose(approx(x), gelu(x, "tanh"), 0, 0));
    EXPECT_EQ(plain.extra_repr(), "approximate='none'");
    EXPECT_EQ(approx.extra_repr(), "approximate='tanh'");
}

TEST(Gelu, Errors) {
    expect_error([] { gelu(zeros({2}), "erf"); },
                 "gelu: approximate must be \"none\" or \"tanh\", got \"erf\"");
    expect_error([] { nn::GELU bad("Tanh"); }, "GELU: approximate must be");
    expect_error([] { gelu(zeros({2}, kInt64)); }, "gelu");
}

}  // namespace
}  // namespace soma
