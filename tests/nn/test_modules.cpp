// Module base (names, buffers, modes, state dicts, printing), Sequential and Linear.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using nn::Linear;
using nn::Sequential;
using test::expect_close;
using test::expect_error;

// A hand-written module: two child layers and a buffer, declared once in visit().
class TwoLayer : public nn::Module {
public:
    explicit TwoLayer(Generator* gen = nullptr)
        : fc1({.in = 3, .out = 4, .gen = gen}), fc2({.in = 4, .out = 2, .gen = gen}) {}
    void visit(nn::Visitor& v) override {
        v.module("fc1", fc1);
        v.buffer("running", running);
        v.module("fc2", fc2);
    }
    Tensor forward(const Tensor& x) override { return fc2(tanh(fc1(x))); }
    std::string type_name() const override { return "TwoLayer"; }

    Linear fc1, fc2;
    Tensor running = zeros({2});
};

std::vector<std::string> names(const std::vector<std::pair<std::string, Tensor>>& items) {
    std::vector<std::string> out;
    for (const auto& [n, t] : items) out.push_back(n);
    return out;
}

std::shared_ptr<Linear> linear(std::int64_t in, std::int64_t out, bool bias = true) {
    return std::make_shared<Linear>(nn::LinearOptions{.in = in, .out = out, .bias = bias});
}

TEST(Module, DottedNamesInNestedSequentials) {
    Sequential inner{linear(8, 4), std::make_shared<nn::ReLU>()};
    Sequential net{linear(2, 8), std::make_shared<nn::Tanh>(), std::make_shared<Sequential>(inner),
                   std::make_shared<TwoLayer>()};
    // Tanh has no parameters, so names skip "1"; nesting adds a level per container.
    std::vector<std::string> expected = {"0.weight",     "0.bias",       "2.0.weight",
                                         "2.0.bias",     "3.fc1.weight", "3.fc1.bias",
                                         "3.fc2.weight", "3.fc2.bias"};
    EXPECT_EQ(names(net.named_parameters()), expected);
    EXPECT_EQ(net.parameters().size(), expected.size());
    EXPECT_EQ(net.num_parameters(), 2 * 8 + 8 + 8 * 4 + 4 + 3 * 4 + 4 + 4 * 2 + 2);
    EXPECT_EQ(names(net.named_buffers()), std::vector<std::string>{"3.running"});
    EXPECT_EQ(names(net.state_dict().items()).size(), expected.size() + 1);
    auto children = net.named_children();
    ASSERT_EQ(children.size(), 4u);
    EXPECT_EQ(children[3].first, "3");
    EXPECT_EQ(children[3].second->type_name(), "TwoLayer");
}

TEST(Module, CustomModuleNamesAndBuffers) {
    TwoLayer m;
    EXPECT_EQ(names(m.named_parameters()),
              (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
    // Buffers are saved, not trained.
    EXPECT_EQ(
        names(m.state_dict().items()),
        (std::vector<std::string>{"fc1.weight", "fc1.bias", "running", "fc2.weight", "fc2.bias"}));
    for (const auto& p : m.parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Module, SharedModuleListedOnce) {
    auto shared = linear(3, 3);
    Sequential net{shared, std::make_shared<nn::Tanh>(), shared};
    EXPECT_EQ(names(net.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias"}));
    EXPECT_EQ(net.num_parameters(), 12);
    EXPECT_EQ(net.state_dict().size(), 4u);  // both names, as in PyTorch
}

TEST(Module, TrainEvalPropagate) {
    auto two = std::make_shared<TwoLayer>();
    Sequential net{linear(3, 3), std::make_shared<Sequential>(Sequential{two})};
    EXPECT_TRUE(net.is_training());
    net.eval();
    EXPECT_FALSE(net.is_training());
    EXPECT_FALSE(net[1].is_training());
    EXPECT_FALSE(two->is_training());
    EXPECT_FALSE(two->fc2.is_training());
    net.train();
    EXPECT_TRUE(two->fc2.is_training());
}

TEST(Module, ZeroGradForgetsGradients) {
    TwoLayer m;
    sum(m(ones({5, 3}))).backward();
    for (const auto& p : m.parameters()) EXPECT_TRUE(p.grad().defined());
    m.zero_grad();
    for (const auto& p : m.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Module, StateDictRoundTrip) {
    Generator g1(1), g2(2);
    TwoLayer a(&g1), b(&g2);
    a.running.fill_(0.5);
    Tensor x = uniform({4, 3}, -1, 1);
    ASSERT_FALSE(allclose(a(x), b(x)));
    b.load_state_dict(a.state_dict());
    EXPECT_TRUE(allclose(a(x), b(x), 0, 0));
    EXPECT_TRUE(allclose(b.running, full({2}, 0.5)));
    // Values are copied, not aliased, and b's parameters stay trainable leaves.
    EXPECT_FALSE(b.fc1.weight.shares_storage(a.fc1.weight));
    EXPECT_TRUE(b.fc1.weight.requires_grad() && b.fc1.weight.is_leaf());
    // state_dict() shares the tensors: writing through it changes the module.
    {
        NoGrad ng;
        Tensor w = *a.state_dict().find("fc2.bias");
        w.fill_(3.0);
    }
    EXPECT_TRUE(allclose(a.fc2.bias, full({2}, 3.0)));
}

TEST(Module, LoadStateDictStrictListsEveryProblem) {
    TwoLayer a, b;
    nn::StateDict d;
    for (const auto& [n, t] : a.state_dict().items())
        if (n != "fc2.bias" && n != "running") d.insert(n == "fc1.weight" ? "fc1.wieght" : n, t);
    d.insert("fc3.weight", zeros({2, 2}));
    expect_error([&] { b.load_state_dict(d); }, "missing: fc1.weight, running, fc2.bias");
    expect_error([&] { b.load_state_dict(d); }, "unexpected: fc1.wieght, fc3.weight");

    nn::StateDict wrong = a.state_dict();
    nn::StateDict reshaped;
    for (const auto& [n, t] : wrong.items())
        reshaped.insert(n, n == "fc1.bias" ? zeros({5}) : n == "fc2.weight" ? zeros({4, 2}) : t);
    expect_error([&] { b.load_state_dict(reshaped); },
                 "shape mismatch: fc1.bias: expected (4,), got (5,), fc2.weight: expected (2, 4), "
                 "got (4, 2)");
    // Nothing was loaded by the failed calls.
    EXPECT_FALSE(allclose(a.fc1.bias, b.fc1.bias));

    // Non-strict: missing and unexpected names are tolerated, the rest loads; shapes still
    // must match.
    b.load_state_dict(d, /*strict=*/false);
    EXPECT_TRUE(allclose(a.fc1.bias, b.fc1.bias, 0, 0));
    EXPECT_FALSE(allclose(a.fc1.weight, b.fc1.weight));
    expect_error([&] { b.load_state_dict(reshaped, false); }, "shape mismatch: fc1.bias");
}

TEST(Module, PrintsLayersAndParameterCounts) {
    Sequential net{linear(2, 8), std::make_shared<nn::Tanh>()};
    net.push_back(std::make_shared<Sequential>(
        Sequential{linear(8, 1, false), std::make_shared<nn::LeakyReLU>(0.2)}));
    std::ostringstream s;
    s << net;
    EXPECT_EQ(s.str(),
              "Sequential(\n"
              "  (0): Linear(in_features=2, out_features=8, bias=True)  # 24 parameters\n"
              "  (1): Tanh()\n"
              "  (2): Sequential(\n"
              "    (0): Linear(in_features=8, out_features=1, bias=False)  # 8 parameters\n"
              "    (1): LeakyReLU(negative_slope=0.2)\n"
              "  )\n"
              ")\n"
              "Total parameters: 32");
    net.at<Linear>(0).weight.requires_grad_(false);
    std::ostringstream big;
    big << Linear({.in = 1000, .out = 1000}) << "\n" << net;
    EXPECT_NE(big.str().find("# 1,001,000 parameters\nTotal parameters: 1,001,000\n"),
              std::string::npos);
    EXPECT_NE(big.str().find("Total parameters: 32 (16 trainable)"), std::string::npos);
}

TEST(Sequential, ChainsAndIndexes) {
    auto fc = linear(3, 2);
    Sequential net{fc, std::make_shared<nn::Sigmoid>()};
    Tensor x = uniform({4, 3}, -1, 1);
    EXPECT_TRUE(allclose(net(x), sigmoid(fc->forward(x)), 0, 0));
    EXPECT_EQ(net.size(), 2u);
    EXPECT_EQ(&net[0], fc.get());
    EXPECT_EQ(net[-1].type_name(), "Sigmoid");
    EXPECT_EQ(&net.at<Linear>(0), fc.get());
    expect_error([&] { net.at<Linear>(1); }, "Sequential::at: module 1 is a Sigmoid");
    expect_error([&] { (void)net[2]; }, "index 2 is out of range for 2 modules");
    expect_error([&] { net.push_back(nullptr); }, "module 2 is null");
    EXPECT_TRUE(Sequential{}(x).same(x));
}

TEST(Sequential, ShapeModules) {
    Tensor x = arange(24).reshape({2, 3, 4});
    EXPECT_TRUE(nn::Identity()(x).same(x));
    EXPECT_EQ(nn::Flatten()(x).shape(), Shape({2, 12}));
    EXPECT_EQ(nn::Flatten(0, 1)(x).shape(), Shape({6, 4}));
    EXPECT_EQ(nn::Flatten().extra_repr(), "start_dim=1, end_dim=-1");
}

TEST(Activation, ModulesMatchOps) {
    Tensor x = tensor({{-2.0, -0.5, 0.0}, {0.5, 1.0, 3.0}});
    EXPECT_TRUE(allclose(nn::Sigmoid()(x), sigmoid(x)));
    EXPECT_TRUE(allclose(nn::Tanh()(x), tanh(x)));
    EXPECT_TRUE(allclose(nn::ReLU()(x), relu(x)));
    EXPECT_TRUE(allclose(nn::LeakyReLU(0.1)(x), leaky_relu(x, 0.1)));
    EXPECT_TRUE(allclose(nn::Softmax(1)(x), softmax(x, 1)));
    EXPECT_TRUE(allclose(nn::Softmax(0)(x), softmax(x, 0)));
    EXPECT_TRUE(allclose(nn::LogSoftmax(-1)(x), log_softmax(x, -1)));
    // The lecture's sign and step: 0 maps to +1 and 1.
    EXPECT_TRUE(allclose(nn::Sign()(x), tensor({{-1, -1, 1}, {1, 1, 1}})));
    EXPECT_TRUE(allclose(nn::Step()(x), tensor({{0, 0, 1}, {1, 1, 1}})));
    EXPECT_EQ(nn::LeakyReLU().extra_repr(), "negative_slope=0.01");
    EXPECT_EQ(nn::LogSoftmax(1).extra_repr(), "dim=1");
}

TEST(Linear, DefaultInitLikePyTorch) {
    Generator g(7);
    Linear fc({.in = 784, .out = 10, .gen = &g});
    EXPECT_EQ(fc.weight.shape(), Shape({10, 784}));
    EXPECT_EQ(fc.bias.shape(), Shape({10}));
    const double bound = 1.0 / std::sqrt(784.0);
    EXPECT_LE(max(abs(fc.weight)).item(), bound * (1 + 1e-6));
    EXPECT_GE(max(abs(fc.weight)).item(), bound * 0.99);  // fills the whole interval
    EXPECT_LE(max(abs(fc.bias)).item(), bound * (1 + 1e-6));
    EXPECT_NEAR(mean(fc.weight).item(), 0.0, bound * 0.05);
    EXPECT_NEAR(std::sqrt(var(fc.weight).item()), bound / std::sqrt(3.0), bound * 0.02);

    Generator same(7);
    Linear again({.in = 784, .out = 10, .gen = &same});
    EXPECT_TRUE(allclose(fc.weight, again.weight, 0, 0));
    manual_seed(11);
    Linear d1({.in = 3, .out = 2});
    manual_seed(11);
    Linear d2({.in = 3, .out = 2});
    EXPECT_TRUE(allclose(d1.bias, d2.bias, 0, 0));
    EXPECT_EQ(d1.extra_repr(), "in_features=3, out_features=2, bias=True");
}

TEST(Linear, ShapesAndErrors) {
    Linear fc({.in = 3, .out = 5, .bias = false});
    EXPECT_FALSE(fc.bias.defined());
    EXPECT_EQ(names(fc.named_parameters()), std::vector<std::string>{"weight"});
    EXPECT_EQ(fc(zeros({2, 4, 3})).shape(), Shape({2, 4, 5}));
    EXPECT_EQ(fc(zeros({3})).shape(), Shape({5}));
    expect_error(
        [&] {
            fc(zeros({2, 4}));
        },
        "Linear: input of shape (2, 4) does not end in in_features=3");
}

// y = x W^T + b and its gradients against torch.nn.Linear, in float64 (parameters set
// directly) and float32 (parameters loaded through load_state_dict).
TEST(Linear, MatchesPyTorch) {
    std::ifstream f(SOMA_FIXTURE_DIR "/nn_linear.json");
    ASSERT_TRUE(f) << "missing fixture nn_linear.json";
    auto doc = nlohmann::json::parse(f);
    for (const auto& c : doc["cases"]) {
        const std::string name = c["name"];
        const bool has_bias = c["bias"];
        Linear fc({.in = c["in"].get<std::int64_t>(),
                   .out = c["out"].get<std::int64_t>(),
                   .bias = has_bias});
        Tensor x = test::tensor_from_json(c["x"]).requires_grad_();
        Tensor up = test::tensor_from_json(c["upstream"]);
        fc.weight = test::tensor_from_json(c["weight"]).requires_grad_();
        if (has_bias) fc.bias = test::tensor_from_json(c["bias_value"]).requires_grad_();
        Tensor y = fc(x);
        sum(y * up).backward();
        expect_close(y, test::tensor_from_json(c["y"]), 1e-12, 1e-12, name + " y");
        expect_close(x.grad(), test::tensor_from_json(c["grad_x"]), 1e-12, 1e-12, name + " dx");
        expect_close(fc.weight.grad(), test::tensor_from_json(c["grad_weight"]), 1e-12, 1e-12,
                     name + " dW");
        if (has_bias)
            expect_close(fc.bias.grad(), test::tensor_from_json(c["grad_bias"]), 1e-12, 1e-12,
                         name + " db");

        Linear f32({.in = c["in"].get<std::int64_t>(),
                    .out = c["out"].get<std::int64_t>(),
                    .bias = has_bias});
        f32.load_state_dict(fc.state_dict());
        Tensor y32 = f32(test::tensor_from_json(c["x"]).to(kFloat32));
        expect_close(y32.to(kFloat64), test::tensor_from_json(c["y"]), 1e-5, 1e-5, name + " f32");
    }
}

TEST(Linear, GradCheckThroughMlp) {
    Generator g(3);
    Sequential net{std::make_shared<Linear>(nn::LinearOptions{.in = 3, .out = 5, .gen = &g}),
                   std::make_shared<nn::Tanh>(),
                   std::make_shared<Linear>(nn::LinearOptions{.in = 5, .out = 2, .gen = &g})};
    auto& fc1 = net.at<Linear>(0);
    auto& fc2 = net.at<Linear>(2);
    auto f = [&](const std::vector<Tensor>& in) {
        fc1.weight = in[1], fc1.bias = in[2], fc2.weight = in[3], fc2.bias = in[4];
        return net(in[0]);
    };
    auto r = autograd::grad_check(
        f, {uniform({4, 3}, -1, 1, &g), fc1.weight, fc1.bias, fc2.weight, fc2.bias});
    EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
