// Binary neurons (gates, the slide's XOR network, logic_network on every function of 2 and 3
// inputs) and the perceptron with its loss and learning rule.
#include <gtest/gtest.h>

#include <sstream>

#include "soma/nn/neuron.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using nn::BinaryNeuron;
using test::expect_error;

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

TEST(BinaryNeuron, FiresAtThreshold) {
    BinaryNeuron n({1, -1, 1}, 1);
    // w^T x for the rows: 0, 1, -1, 2 -> fires when >= 1.
    Tensor x = tensor({{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 0, 1}});
    EXPECT_EQ(values(n(x)), (std::vector<float>{0, 1, 0, 1}));
    EXPECT_EQ(n(x).shape(), Shape({4}));
    EXPECT_EQ(n(tensor({0, 1, 0})).dim(), 0);
    EXPECT_EQ(n(tensor({1, 0, 1}, kFloat64)).item(), 1.0);
    EXPECT_EQ(n.extra_repr(), "weights=[1, -1, 1], theta=1");
    EXPECT_TRUE(n.parameters().empty());
    EXPECT_EQ(n.state_dict().size(), 0u);  // fixed: nothing to learn or load
}

TEST(BinaryNeuron, RejectsBadWeightsAndInputs) {
    expect_error(
        [] {
            BinaryNeuron({1, 0.5}, 1);
        },
        "weights must be -1 or +1, got 0.5 in [1, 0.5]");
    expect_error([] { BinaryNeuron({1, 0}, 1); }, "weights must be -1 or +1, got 0");
    expect_error([] { BinaryNeuron({}, 0); }, "at least one weight");
    BinaryNeuron n({1, 1}, 2);
    expect_error([&] { n(tensor({{0, 0.5}})); }, "inputs must be 0 or 1, got 0.5");
    expect_error([&] { n(tensor({{0, 1, 1}})); }, "input of shape (1, 3) is not (N, 2) or (2,)");
}

TEST(BinaryNeuron, Gates) {
    Tensor x2 = nn::binary_inputs(2);  // 00 01 10 11
    EXPECT_EQ(values(nn::and_gate(2)(x2)), (std::vector<float>{0, 0, 0, 1}));
    EXPECT_EQ(values(nn::or_gate(2)(x2)), (std::vector<float>{0, 1, 1, 1}));
    EXPECT_EQ(values(nn::not_gate()(nn::binary_inputs(1))), (std::vector<float>{1, 0}));
    Tensor x3 = nn::binary_inputs(3);
    EXPECT_EQ(values(nn::and_gate(3)(x3)), (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 1}));
    EXPECT_EQ(values(nn::or_gate(3)(x3)), (std::vector<float>{0, 1, 1, 1, 1, 1, 1, 1}));
}

// The slide: h1 = OR (θ=1), h2 = AND (θ=2), y = [h1 - h2 >= 1].
TEST(BinaryNetwork, SlideXor) {
    nn::BinaryNetwork net(
        {{BinaryNeuron({1, 1}, 1), BinaryNeuron({1, 1}, 2)}, {BinaryNeuron({1, -1}, 1)}});
    Tensor x = tensor({{0, 0}, {1, 0}, {0, 1}, {1, 1}});  // the slide's row order
    auto outs = net.forward_all(x);
    ASSERT_EQ(outs.size(), 2u);
    EXPECT_EQ(values(outs[0]), (std::vector<float>{0, 0, 1, 0, 1, 0, 1, 1}));  // h1 h2 per row
    EXPECT_EQ(values(outs[1]), (std::vector<float>{0, 1, 1, 0}));
    EXPECT_EQ(net(x).shape(), Shape({4, 1}));
    std::ostringstream s;
    s << net;
    EXPECT_EQ(s.str(),
              "BinaryNetwork(\n"
              "  (0): BinaryLayer(\n"
              "    (0): BinaryNeuron(weights=[1, 1], theta=1)\n"
              "    (1): BinaryNeuron(weights=[1, 1], theta=2)\n"
              "  )\n"
              "  (1): BinaryLayer(\n"
              "    (0): BinaryNeuron(weights=[1, -1], theta=1)\n"
              "  )\n"
              ")\n"
              "Total parameters: 0");
    expect_error(
        [] {
            nn::BinaryNetwork({{nn::or_gate(2)}, {nn::and_gate(2)}});
        },
        "layer 1 reads 2 inputs but layer 0 has 1 neurons");
}

// Every boolean function of n inputs: function f's truth table is the bits of f.
void check_all_functions(std::int64_t n) {
    const int rows = 1 << n;
    Tensor x = nn::binary_inputs(n);
    for (int f = 0; f < (1 << rows); ++f) {
        std::vector<int> table(rows);
        for (int r = 0; r < rows; ++r) table[r] = (f >> r) & 1;
        nn::BinaryNetwork net = nn::logic_network(table);
        ASSERT_EQ(net.layers().size(), 2u);
        std::vector<float> y = values(net(x));
        for (int r = 0; r < rows; ++r)
            ASSERT_EQ(y[r], table[r]) << "function " << f << " of " << n << " inputs, row " << r;
    }
}

TEST(LogicNetwork, AllFunctionsOfTwoInputs) { check_all_functions(2); }
TEST(LogicNetwork, AllFunctionsOfThreeInputs) { check_all_functions(3); }

TEST(LogicNetwork, ShapeAndErrors) {
    nn::BinaryNetwork xor_net = nn::logic_network({0, 1, 1, 0});
    EXPECT_EQ(xor_net.layers()[0].size(), 2);  // one hidden neuron per true row
    EXPECT_EQ(xor_net.layers()[0][0].extra_repr(), "weights=[-1, 1], theta=1");
    EXPECT_EQ(values(nn::logic_network({0, 0})(nn::binary_inputs(1))), (std::vector<float>{0, 0}));
    expect_error([] { nn::logic_network({0, 1, 1}); }, "needs 2^n entries (n >= 1), got 3");
    expect_error([] { nn::logic_network({0, 2}); }, "entry 1 is 2, not 0 or 1");
}

TEST(Perceptron, PredictsSignOfScore) {
    nn::Perceptron p(2);
    EXPECT_EQ(p.weight.shape(), Shape({2}));
    EXPECT_EQ(p.bias.dim(), 0);
    EXPECT_EQ(p.num_parameters(), 3);
    {
        NoGrad ng;
        p.weight.copy_(tensor({1, -2}));
        p.bias.fill_(0.5);
    }
    Tensor x = tensor({{1, 1}, {1, 0}, {0.5, 0.5}, {-1, -1}});  // scores -0.5, 1.5, 0, 1.5
    EXPECT_EQ(values(p.score(x)), (std::vector<float>{-0.5, 1.5, 0, 1.5}));
    EXPECT_EQ(values(p(x)), (std::vector<float>{-1, 1, 1, 1}));  // sign(0) = +1
    EXPECT_EQ(p(tensor({1, 1})).item(), -1.0);
    EXPECT_EQ(p.extra_repr(), "in_features=2, bias=True");
    EXPECT_EQ(nn::Perceptron(3, false).parameters().size(), 1u);
}

TEST(PerceptronLoss, ValueGradientAndErrors) {
    Tensor s = tensor({2, -1, 0.5, -3}).requires_grad_();
    Tensor y = tensor({1, 1, -1, -1});
    Tensor loss = nn::perceptron_loss(s, y);  // margins 2, -1, -0.5, 3 -> 1 + 0.5
    EXPECT_EQ(loss.item(), 1.5);
    loss.backward();
    EXPECT_EQ(values(s.grad()), (std::vector<float>{0, -1, 1, 0}));
    auto f = [&](const std::vector<Tensor>& in) {
        return nn::perceptron_loss(in[0], y.to(kFloat64));
    };
    auto r = autograd::grad_check(f, {tensor({2, -1, 0.5, -3})});
    EXPECT_TRUE(r.ok) << r.message;
    expect_error(
        [&] {
            nn::perceptron_loss(s, tensor({1, 0, 1, 1}));
        },
        "labels must be -1 or +1, got 0");
    expect_error([&] { nn::perceptron_loss(s.unsqueeze(1), y); },
                 "scores (4, 1) and labels (4,) differ");
}

// One SGD step on perceptron_loss for a single sample is Rosenblatt's rule.
TEST(Perceptron, SgdStepIsRosenblattRule) {
    const double eta = 0.25;
    auto sgd_step = [&](nn::Perceptron& p, const Tensor& x, double label) {
        p.zero_grad();
        nn::perceptron_loss(p.score(x), scalar_tensor(label)).backward();
        NoGrad ng;
        for (auto& w : p.parameters())
            if (w.grad().defined()) w.add_(w.grad(), -eta);
    };
    Generator g(5);
    int updated = 0, kept = 0;
    for (int trial = 0; trial < 20; ++trial) {
        nn::Perceptron p(3, true, &g);
        Tensor x = uniform({3}, -2, 2, &g);
        const double s = p.score(x).item();
        const double label = trial % 2 ? 1.0 : -1.0;
        Tensor w0 = p.weight.detach().clone(), b0 = p.bias.detach().clone();
        sgd_step(p, x, label);
        if (s * label < 0) {  // misclassified: w + η x y, b + η y
            ++updated;
            EXPECT_TRUE(allclose(p.weight, w0 + x * (eta * label), 1e-6, 1e-7)) << trial;
            EXPECT_NEAR(p.bias.item(), b0.item() + eta * label, 1e-6) << trial;
        } else {  // correct: nothing changes
            ++kept;
            EXPECT_TRUE(allclose(p.weight, w0, 0, 0)) << trial;
            EXPECT_EQ(p.bias.item(), b0.item()) << trial;
        }
    }
    EXPECT_GT(updated, 0);
    EXPECT_GT(kept, 0);
}

}  // namespace
