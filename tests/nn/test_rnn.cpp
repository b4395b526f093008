// Recurrent cells and layers against PyTorch (tests/fixtures/nn_rnn.json, written by
// tools/fixtures/nn_rnn.py): outputs, final states and every gradient, fused and composed;
// parameter names and shapes as PyTorch's state_dict, and a safetensors round trip.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "soma/io/safetensors.h"
#include "soma/nn/rnn.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using nlohmann::json;
using test::expect_close;
using test::tensor_from_json;

const json& cases() { return test::fixture_cases("nn_rnn.json"); }

Tensor opt(const json& j) { return j.is_null() ? Tensor() : tensor_from_json(j); }

// Calls f(name, tensor&) for every parameter slot of a module (its own visit, no children).
class EachParam : public nn::Visitor {
public:
    explicit EachParam(std::function<void(const std::string&, Tensor&)> f) : f_(std::move(f)) {}
    void param(const std::string& name, Tensor& t) override { f_(name, t); }
    void module(const std::string&, nn::Module&) override {}

private:
    std::function<void(const std::string&, Tensor&)> f_;
};

std::unique_ptr<nn::Module> make_module(const json& c, bool fused) {
    const std::string kind = c["kind"];
    const std::int64_t F = c["input_size"], H = c["hidden_size"], L = c["num_layers"];
    const bool bias = c["bias"], bf = c["batch_first"], bi = c["bidirectional"];
    auto act = kind == "rnn_relu" ? nn::RNNNonlinearity::ReLU : nn::RNNNonlinearity::Tanh;
    if (c["mode"] == "cell") {
        if (kind == "gru")
            return std::make_unique<nn::GRUCell>(nn::GRUCellOptions{F, H, bias, fused});
        if (kind == "lstm")
            return std::make_unique<nn::LSTMCell>(nn::LSTMCellOptions{F, H, bias, fused});
        return std::make_unique<nn::RNNCell>(nn::RNNCellOptions{F, H, bias, act, fused});
    }
    if (kind == "gru")
        return std::make_unique<nn::GRU>(nn::GRUOptions{F, H, L, bias, bf, 0.0, bi, fused});
    if (kind == "lstm")
        return std::make_unique<nn::LSTM>(nn::LSTMOptions{F, H, L, bias, bf, 0.0, bi, fused});
    return std::make_unique<nn::RNN>(nn::RNNOptions{F, H, L, act, bias, bf, 0.0, bi, fused});
}

struct Outputs {
    Tensor out, h_n, c_n;
};

Outputs run(nn::Module& m, const json& c, const Tensor& x, const Tensor& h0, const Tensor& c0) {
    nn::Lengths lengths;
    if (!c["lengths"].is_null()) lengths = c["lengths"].get<std::vector<std::int64_t>>();
    if (auto* l = dynamic_cast<nn::LSTM*>(&m)) {
        auto [out, h, cn] = l->forward(x, h0, c0, lengths);
        return {out, h, cn};
    }
    if (auto* r = dynamic_cast<nn::RNN*>(&m)) {
        auto [out, h] = r->forward(x, h0, lengths);
        return {out, h, Tensor()};
    }
    if (auto* g = dynamic_cast<nn::GRU*>(&m)) {
        auto [out, h] = g->forward(x, h0, lengths);
        return {out, h, Tensor()};
    }
    // A cell over the T steps of x, carrying the state.
    Tensor h = h0, cs = c0;
    std::vector<Tensor> hs;
    for (std::int64_t t = 0; t < x.size(0); ++t) {
        if (auto* l = dynamic_cast<nn::LSTMCell*>(&m)) {
            auto [h2, c2] = (*l)(x.select(0, t), h, cs);
            h = h2, cs = c2;
        } else if (auto* g = dynamic_cast<nn::GRUCell*>(&m)) {
            h = (*g)(x.select(0, t), h);
        } else {
            h = dynamic_cast<nn::RNNCell&>(m)(x.select(0, t), h);
        }
        hs.push_back(h);
    }
    return {stack(hs, 0), h, cs};
}

void check_case(const json& c, bool fused) {
    const std::string name = c["name"].get<std::string>() + (fused ? " fused" : " composed");
    SCOPED_TRACE(name);
    auto m = make_module(c, fused);
    // Names, order and shapes are PyTorch's; then the fixture's values go in, as float64.
    std::size_t i = 0;
    EachParam load([&](const std::string& pname, Tensor& t) {
        if (!t.defined()) return;
        ASSERT_LT(i, c["params"].size());
        const json& p = c["params"][i++];
        EXPECT_EQ(pname, p[0].get<std::string>());
        Tensor v = tensor_from_json(p[1]);
        EXPECT_EQ(t.shape(), v.shape()) << pname;
        t = v.requires_grad_();
    });
    m->visit(load);
    EXPECT_EQ(i, c["params"].size());

    Tensor x = tensor_from_json(c["x"]).requires_grad_();
    Tensor h0 = opt(c["h0"]), c0 = opt(c["c0"]);
    if (h0.defined()) h0.requires_grad_();
    if (c0.defined()) c0.requires_grad_();
    Outputs o = run(*m, c, x, h0, c0);
    const double tol = 1e-10;
    expect_close(o.out, tensor_from_json(c["out"]), tol, tol, name + " out");
    expect_close(o.h_n, tensor_from_json(c["h_n"]), tol, tol, name + " h_n");
    Tensor loss =
        sum(o.out * tensor_from_json(c["w_out"])) + sum(o.h_n * tensor_from_json(c["w_h"]));
    if (!c["c_n"].is_null()) {
        expect_close(o.c_n, tensor_from_json(c["c_n"]), tol, tol, name + " c_n");
        loss = loss + sum(o.c_n * tensor_from_json(c["w_c"]));
    }
    loss.backward();
    const json& g = c["grads"];
    expect_close(x.grad(), tensor_from_json(g["x"]), tol, tol, name + " grad x");
    if (h0.defined())
        expect_close(h0.grad(), tensor_from_json(g["h0"]), tol, tol, name + " grad h0");
    if (c0.defined())
        expect_close(c0.grad(), tensor_from_json(g["c0"]), tol, tol, name + " grad c0");
    for (auto& [pname, p] : m->named_parameters())
        expect_close(p.grad(), tensor_from_json(g[pname]), tol, tol, name + " grad " + pname);

    // float32 through the fused kernels' fast sigmoid/tanh: a few ulp from PyTorch.
    for (auto& [pname, p] : m->named_parameters()) {
        EachParam to32([&](const std::string& n, Tensor& t) {
            if (n == pname) t = t.detach().to(kFloat32);
        });
        m->visit(to32);
    }
    auto f32 = [](const Tensor& t) { return t.defined() ? t.detach().to(kFloat32) : t; };
    Outputs o32 = run(*m, c, f32(x), f32(h0), f32(c0));
    expect_close(o32.out.to(kFloat64), tensor_from_json(c["out"]), 1e-5, 1e-5, name + " f32 out");
    expect_close(o32.h_n.to(kFloat64), tensor_from_json(c["h_n"]), 1e-5, 1e-5, name + " f32 h_n");
}

TEST(RNNFixtures, MatchPyTorchFused) {
    ASSERT_GT(cases().size(), 0u);
    for (const json& c : cases()) check_case(c, true);
}

TEST(RNNFixtures, MatchPyTorchComposed) {
    for (const json& c : cases()) check_case(c, false);
}

TEST(RNNStateDict, NamesAndShapesLikePyTorch) {
    nn::LSTM lstm({.input_size = 3, .hidden_size = 5, .num_layers = 2, .bidirectional = true});
    std::vector<std::string> names;
    for (auto& [n, t] : lstm.state_dict().items()) names.push_back(n);
    std::vector<std::string> expected;
    for (std::string l : {"_l0", "_l0_reverse", "_l1", "_l1_reverse"})
        for (std::string p : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"})
            expected.push_back(p + l);
    EXPECT_EQ(names, expected);
    EXPECT_EQ(lstm.weights[0].weight_ih.shape(), (Shape{20, 3}));
    EXPECT_EQ(lstm.weights[2].weight_ih.shape(), (Shape{20, 10}));  // both directions feed layer 1
    EXPECT_EQ(lstm.weights[3].weight_hh.shape(), (Shape{20, 5}));
    nn::GRUCell cell({.input_size = 2, .hidden_size = 4, .bias = false});
    EXPECT_EQ(cell.state_dict().size(), 2u);
    EXPECT_EQ(cell.weight_hh.shape(), (Shape{12, 4}));
}

TEST(RNNStateDict, DefaultInitIsUniformOneOverSqrtH) {
    nn::GRU gru({.input_size = 30, .hidden_size = 16});
    for (auto& [n, p] : gru.named_parameters()) {
        EXPECT_TRUE(p.requires_grad()) << n;
        EXPECT_LE(max(abs(p)).item(), 0.25) << n;
        EXPECT_GT(max(abs(p)).item(), 0.2) << n;  // fills the range, not a narrower one
    }
}

TEST(RNNStateDict, SafetensorsRoundTrip) {
    manual_seed(3);
    nn::GRU a({.input_size = 2, .hidden_size = 3, .num_layers = 2, .batch_first = true});
    nn::GRU b({.input_size = 2, .hidden_size = 3, .num_layers = 2, .batch_first = true});
    std::string path = testing::TempDir() + "soma_rnn_roundtrip.safetensors";
    io::save_safetensors(path, a.state_dict());
    io::SafetensorsFile f = io::load_safetensors(path);
    b.load_state_dict(f.tensors);
    std::remove(path.c_str());
    Tensor x = randn({4, 5, 2});
    expect_close(b(x).output, a(x).output, 0, 0, "same weights, same output");
}

}  // namespace
