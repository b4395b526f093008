// nn::LayerNorm: parameters, names and printing, the forward is the layer_norm op, training and
// eval behave alike, state-dict round trip, errors. The op's numbers are checked against
// PyTorch in tests/ops/test_layer_norm.cpp.

#include <gtest/gtest.h>

#include "soma/nn/norm.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::nn {
namespace {

using test::expect_close;
using test::expect_error;

std::vector<std::string> state_names(Module& m) {
    std::vector<std::string> names;
    for (const auto& [n, t] : m.state_dict().items()) names.push_back(n);
    return names;
}

TEST(LayerNorm, ParametersAndPrinting) {
    LayerNorm ln({.normalized_shape = {3, 4}});
    EXPECT_EQ(state_names(ln), (std::vector<std::string>{"weight", "bias"}));
    EXPECT_EQ(ln.weight.shape(), (Shape{3, 4}));
    EXPECT_TRUE(ln.weight.requires_grad() && ln.bias.requires_grad());
    EXPECT_TRUE(allclose(ln.weight, ones({3, 4}), 0, 0) && allclose(ln.bias, zeros({3, 4}), 0, 0));
    EXPECT_EQ(ln.extra_repr(), "(3, 4), eps=1e-05, elementwise_affine=True");
    LayerNorm no_bias({.normalized_shape = {5}, .bias = false});
    EXPECT_EQ(state_names(no_bias), (std::vector<std::string>{"weight"}));
    LayerNorm plain({.normalized_shape = {5}, .eps = 1e-6, .elementwise_affine = false});
    EXPECT_EQ(plain.parameters().size(), 0u);
    EXPECT_EQ(plain.extra_repr(), "(5,), eps=1e-06, elementwise_affine=False");
}

TEST(LayerNorm, ForwardIsTheOpInTrainingAndEval) {
    Generator gen(2);
    LayerNorm ln({.normalized_shape = {6}});
    {
        NoGrad no_grad;
        ln.weight.copy_(uniform({6}, 0.5, 1.5, &gen));
        ln.bias.copy_(uniform({6}, -1, 1, &gen));
    }
    Tensor x = uniform({2, 3, 6}, -2, 2, &gen);
    Tensor want = layer_norm(x, {6}, ln.weight, ln.bias, 1e-5);
    EXPECT_TRUE(allclose(ln(x), want, 0, 0));
    ln.eval();  // no running statistics: eval changes nothing
    EXPECT_TRUE(allclose(ln(x), want, 0, 0));
    // Each row normalised: mean 0, biased variance ~1 before the affine part.
    LayerNorm bare({.normalized_shape = {6}, .elementwise_affine = false});
    Tensor y = bare(x);
    expect_close(mean(y, {-1}), zeros({2, 3}), 0, 1e-6, "row means");
    expect_close(var(y, {-1}, false, 0), ones({2, 3}), 1e-4, 0, "row variances");
    // Gradients reach both parameters.
    sum(ln(x) * x).backward();
    EXPECT_TRUE(ln.weight.grad().defined() && ln.bias.grad().defined());
}

TEST(LayerNorm, StateDictRoundTripAndDouble) {
    LayerNorm a({.normalized_shape = {4}}), b({.normalized_shape = {4}});
    {
        NoGrad no_grad;
        a.weight.fill_(2.0);
        a.bias.fill_(-1.0);
    }
    b.load_state_dict(a.state_dict());
    EXPECT_TRUE(allclose(b.weight, a.weight, 0, 0) && allclose(b.bias, a.bias, 0, 0));
    b.to_double();
    EXPECT_EQ(b(zeros({2, 4}, kFloat64)).dtype(), kFloat64);
}

TEST(LayerNorm, Errors) {
    expect_error([] { LayerNorm({.normalized_shape = {}}); },
                 "LayerNorm: normalized_shape must have at least one dimension");
    expect_error([] { LayerNorm({.normalized_shape = {3, 0}}); }, "must have positive sizes");
    expect_error([] { LayerNorm({.normalized_shape = {3}, .eps = -1}); }, "eps must be");
    LayerNorm ln({.normalized_shape = {4}});
    expect_error(
        [&] {
            ln(zeros({2, 5}));
        },
        "normalized_shape (4,) does not match the trailing dimensions of the input (2, 5)");
    expect_error(
        [&] {
            ln(zeros({2, 4}, kFloat64));
        },
        "weight is float32 but the input is float64");
    expect_error([&] { ln(Tensor()); }, "LayerNorm: undefined input");
}

}  // namespace
}  // namespace soma::nn
