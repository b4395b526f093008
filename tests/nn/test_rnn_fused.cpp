// The fused recurrence against the composed reference (values and every gradient, float64),
// central-difference gradient checks through unrolled steps, and the fast float gate functions.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "backend/cpu/rnn_kernels.h"
#include "soma/nn/rnn.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using test::expect_close;

class EachParam : public nn::Visitor {
public:
    explicit EachParam(std::function<void(Tensor&)> f) : f_(std::move(f)) {}
    void param(const std::string&, Tensor& t) override {
        if (t.defined()) f_(t);
    }
    void module(const std::string&, nn::Module&) override {}

private:
    std::function<void(Tensor&)> f_;
};

void to_float64(nn::Module& m) {
    EachParam v([](Tensor& t) { t = t.detach().to(kFloat64).requires_grad_(); });
    m.visit(v);
}

// A layer configuration, built twice from one seed: fused and composed.
struct Config {
    std::string kind;  // "rnn_tanh", "rnn_relu", "gru", "lstm"
    std::int64_t layers = 1;
    bool bidirectional = false, batch_first = false, bias = true, init_state = false;
    std::vector<std::int64_t> lengths;
};

std::unique_ptr<nn::detail::RecurrentLayers> make(const Config& c, bool fused) {
    manual_seed(11);
    const std::int64_t F = 3, H = 4;
    if (c.kind == "gru")
        return std::make_unique<nn::GRU>(
            nn::GRUOptions{F, H, c.layers, c.bias, c.batch_first, 0.0, c.bidirectional, fused});
    if (c.kind == "lstm")
        return std::make_unique<nn::LSTM>(
            nn::LSTMOptions{F, H, c.layers, c.bias, c.batch_first, 0.0, c.bidirectional, fused});
    auto act = c.kind == "rnn_relu" ? nn::RNNNonlinearity::ReLU : nn::RNNNonlinearity::Tanh;
    return std::make_unique<nn::RNN>(
        nn::RNNOptions{F, H, c.layers, act, c.bias, c.batch_first, 0.0, c.bidirectional, fused});
}

nn::LSTMResult forward(nn::detail::RecurrentLayers& m, const Tensor& x, const Tensor& h0,
                       const Tensor& c0, const nn::Lengths& lengths) {
    if (auto* l = dynamic_cast<nn::LSTM*>(&m)) return l->forward(x, h0, c0, lengths);
    if (auto* g = dynamic_cast<nn::GRU*>(&m)) {
        auto [out, h] = g->forward(x, h0, lengths);
        return {out, h, Tensor()};
    }
    auto [out, h] = dynamic_cast<nn::RNN&>(m).forward(x, h0, lengths);
    return {out, h, Tensor()};
}

// After a backward pass: x's gradient, then those of the parameters that require one, as
// float64.
std::vector<Tensor> grads_of(const Tensor& x, nn::Module& m) {
    std::vector<Tensor> g{x.grad().to(kFloat64)};
    for (const Tensor& p : m.parameters())
        if (p.requires_grad()) g.push_back(p.grad().to(kFloat64));
    return g;
}

void expect_same_grads(const std::vector<Tensor>& got, const std::vector<Tensor>& want, double rtol,
                       double atol) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        expect_close(got[i], want[i], rtol, atol, "gradient " + std::to_string(i));
}

TEST(RNNFused, AgreesWithComposedValuesAndGradients) {
    std::vector<Config> configs;
    for (std::string k : {"rnn_tanh", "rnn_relu", "gru", "lstm"}) {
        configs.push_back({k, 1, false, false, true, false, {}});
        configs.push_back({k, 2, true, false, true, true, {}});
        configs.push_back({k, 1, false, true, false, true, {5, 2, 4}});
        configs.push_back({k, 2, true, true, true, false, {1, 5, 3}});
    }
    const std::int64_t T = 5, N = 3;
    for (const Config& c : configs) {
        SCOPED_TRACE(c.kind + " layers=" + std::to_string(c.layers) +
                     (c.bidirectional ? " bidirectional" : "") +
                     (c.batch_first ? " batch_first" : "") + (c.lengths.empty() ? "" : " lengths"));
        manual_seed(5);
        Tensor x0 = randn(c.batch_first ? Shape{N, T, 3} : Shape{T, N, 3}, nullptr, kFloat64);
        const std::int64_t LD = c.layers * (c.bidirectional ? 2 : 1);
        Tensor hs = randn({LD, N, 4}, nullptr, kFloat64), cs = randn({LD, N, 4}, nullptr, kFloat64);
        Tensor w_out =
            randn({c.batch_first ? N : T, c.batch_first ? T : N, c.bidirectional ? 8 : 4}, nullptr,
                  kFloat64);
        Tensor w_h = randn({LD, N, 4}, nullptr, kFloat64);
        std::vector<std::vector<Tensor>> grads(2);
        std::vector<nn::LSTMResult> results(2);
        for (int fused = 0; fused < 2; ++fused) {
            auto m = make(c, fused);
            to_float64(*m);
            Tensor x = x0.clone().detach().requires_grad_();
            Tensor h0 = c.init_state ? hs.clone().detach().requires_grad_() : Tensor();
            Tensor c0 =
                c.init_state && c.kind == "lstm" ? cs.clone().detach().requires_grad_() : Tensor();
            nn::LSTMResult r = forward(*m, x, h0, c0, c.lengths);
            Tensor loss = sum(r.output * w_out) + sum(r.h_n * w_h);
            if (r.c_n.defined()) loss = loss + sum(r.c_n * r.c_n);
            loss.backward();
            results[fused] = r;
            grads[fused].push_back(x.grad());
            if (h0.defined()) grads[fused].push_back(h0.grad());
            if (c0.defined()) grads[fused].push_back(c0.grad());
            for (const Tensor& p : m->parameters()) grads[fused].push_back(p.grad());
        }
        expect_close(results[1].output, results[0].output, 1e-10, 1e-12, "output");
        expect_close(results[1].h_n, results[0].h_n, 1e-10, 1e-12, "h_n");
        if (c.kind == "lstm") expect_close(results[1].c_n, results[0].c_n, 1e-10, 1e-12, "c_n");
        ASSERT_EQ(grads[0].size(), grads[1].size());
        for (std::size_t i = 0; i < grads[0].size(); ++i)
            expect_close(grads[1][i], grads[0][i], 1e-8, 1e-10, "gradient " + std::to_string(i));
    }
}

// Only the last step's output in the loss (a classifier's read-out): the steps before it get
// no gradient from the output gather, only from the step after them.
TEST(RNNFused, LastOutputOnlyMatchesComposed) {
    const std::int64_t T = 6, N = 3;
    for (std::string k : {"rnn_tanh", "gru", "lstm"})
        for (bool batch_first : {false, true})
            for (bool lengths : {false, true}) {
                SCOPED_TRACE(k + (batch_first ? " batch_first" : "") + (lengths ? " lengths" : ""));
                Config c{k, 2, false, batch_first, true, false, {}};
                if (lengths) c.lengths = {6, 2, 4};
                manual_seed(9);
                Tensor x0 = randn(batch_first ? Shape{N, T, 3} : Shape{T, N, 3}, nullptr, kFloat64);
                std::vector<std::vector<Tensor>> grads(2);
                for (int fused = 0; fused < 2; ++fused) {
                    auto m = make(c, fused);
                    to_float64(*m);
                    Tensor x = x0.clone().detach().requires_grad_();
                    nn::LSTMResult r = forward(*m, x, Tensor(), Tensor(), c.lengths);
                    sum(tanh(r.output.select(batch_first ? 1 : 0, T - 1))).backward();
                    grads[fused].push_back(x.grad());
                    for (const Tensor& p : m->parameters()) grads[fused].push_back(p.grad());
                }
                for (std::size_t i = 0; i < grads[0].size(); ++i)
                    expect_close(grads[1][i], grads[0][i], 1e-8, 1e-10,
                                 "gradient " + std::to_string(i));
            }
}

// A frozen input or recurrent weight: the fused layer then takes each weight gradient by its
// own GEMM instead of one over [x | h_prev].
TEST(RNNFused, FrozenWeightsLeaveTheOtherGradientsExact) {
    for (std::string k : {"gru", "lstm"})
        for (bool freeze_ih : {false, true}) {
            SCOPED_TRACE(k + (freeze_ih ? " weight_ih frozen" : " weight_hh frozen"));
            Config c{k, 1, true, true, true, false, {}};
            std::vector<std::vector<Tensor>> grads(2);
            for (int fused = 0; fused < 2; ++fused) {
                auto m = make(c, fused);
                to_float64(*m);
                for (nn::RecurrentWeights& w : m->weights) {
                    Tensor& frozen = freeze_ih ? w.weight_ih : w.weight_hh;
                    frozen = frozen.detach();
                }
                manual_seed(5);
                Tensor x = randn({3, 5, 3}, nullptr, kFloat64).requires_grad_();
                nn::LSTMResult r = forward(*m, x, Tensor(), Tensor(), {});
                sum(r.output * r.output).backward();
                grads[fused] = grads_of(x, *m);
            }
            expect_same_grads(grads[1], grads[0], 1e-8, 1e-10);
        }
}

// Enough rows (T·N = 1280) that the weight gradients are added in several chunks of steps,
// in both directions, also when the backward pass starts in the middle of the sequence.
TEST(RNNFused, LongSequencesAgreeWithComposed) {
    for (std::string k : {"gru", "lstm"})
        for (bool middle : {false, true}) {
            SCOPED_TRACE(k + (middle ? " loss at step 12" : " loss at every step"));
            Config c{k, 1, true, false, true, false, {}};
            std::vector<std::vector<Tensor>> grads(2);
            for (int fused = 0; fused < 2; ++fused) {
                auto m = make(c, fused);
                to_float64(*m);
                manual_seed(5);
                Tensor x = randn({20, 64, 3}, nullptr, kFloat64).requires_grad_();
                nn::LSTMResult r = forward(*m, x, Tensor(), Tensor(), {});
                Tensor y = middle ? r.output.select(0, 12) : r.output;
                sum(y * y).backward();
                grads[fused] = grads_of(x, *m);
            }
            expect_same_grads(grads[1], grads[0], 1e-8, 1e-10);
        }
}

// float32 through the packed step products (packed_gemm.h, an AVX2 kernel where the build has
// it: the float64 tests above take the plain GEMM) against the composed layer in float64:
// 13 rows (two 6-row tiles and one left over), 20 units (GRU's 60 gates end in a part panel),
// 50 steps (several weight-gradient chunks), both directions; and a single step, which
// multiplies the weights unpacked.
TEST(RNNFused, Float32PackedProductsAgreeWithFloat64) {
    for (std::string k : {"rnn_tanh", "gru", "lstm"})
        for (std::int64_t T : {50, 1}) {
            SCOPED_TRACE(k + " T=" + std::to_string(T));
            auto make_layer = [&](bool fused) -> std::unique_ptr<nn::detail::RecurrentLayers> {
                manual_seed(11);
                if (k == "gru")
                    return std::make_unique<nn::GRU>(
                        nn::GRUOptions{5, 20, 1, true, false, 0.0, true, fused});
                if (k == "lstm")
                    return std::make_unique<nn::LSTM>(
                        nn::LSTMOptions{5, 20, 1, true, false, 0.0, true, fused});
                return std::make_unique<nn::RNN>(nn::RNNOptions{5, 20, 1, nn::RNNNonlinearity::Tanh,
                                                                true, false, 0.0, true, fused});
            };
            manual_seed(3);
            Tensor x0 = randn({T, 13, 5}, nullptr, kFloat64);
            Tensor w_out = randn({T, 13, 40}, nullptr, kFloat64);
            std::vector<Tensor> grads[2];
            for (int fused = 0; fused < 2; ++fused) {
                auto m = make_layer(fused);
                if (!fused) to_float64(*m);
                const DType dt = fused ? kFloat32 : kFloat64;
                Tensor x = x0.to(dt).detach().requires_grad_();
                nn::LSTMResult r = forward(*m, x, Tensor(), Tensor(), {});
                sum(r.output * w_out.to(dt)).backward();
                grads[fused] = grads_of(x, *m);
            }
            expect_same_grads(grads[1], grads[0], 1e-4, 1e-4);
        }
}

// Central differences through 5 unrolled steps of each cell (fused), every input and weight.
TEST(RNNFused, CellsGradCheckFiveSteps) {
    for (std::string kind : {"rnn_tanh", "rnn_relu", "gru", "lstm"}) {
        SCOPED_TRACE(kind);
        const std::int64_t T = 5, N = 2, F = 3, H = 3;
        const bool lstm = kind == "lstm";
        std::unique_ptr<nn::Module> cell;
        if (kind == "gru")
            cell = std::make_unique<nn::GRUCell>(nn::GRUCellOptions{F, H});
        else if (lstm)
            cell = std::make_unique<nn::LSTMCell>(nn::LSTMCellOptions{F, H});
        else
            cell = std::make_unique<nn::RNNCell>(nn::RNNCellOptions{
                F, H, true,
                kind == "rnn_relu" ? nn::RNNNonlinearity::ReLU : nn::RNNNonlinearity::Tanh});
        manual_seed(2);
        std::vector<Tensor> inputs = {randn({T, N, F}, nullptr, kFloat64),
                                      randn({N, H}, nullptr, kFloat64),
                                      randn({N, H}, nullptr, kFloat64)};
        for (Tensor& p : cell->parameters()) inputs.push_back(p.detach().to(kFloat64));
        auto f = [&](const std::vector<Tensor>& in) {
            std::size_t i = 3;
            EachParam set([&](Tensor& t) { t = in[i++]; });
            cell->visit(set);
            Tensor h = in[1], c = in[2];
            std::vector<Tensor> hs;
            for (std::int64_t t = 0; t < T; ++t) {
                Tensor xt = in[0].select(0, t);
                if (auto* l = dynamic_cast<nn::LSTMCell*>(cell.get())) {
                    auto [h2, c2] = (*l)(xt, h, c);
                    h = h2, c = c2;
                } else if (auto* g = dynamic_cast<nn::GRUCell*>(cell.get())) {
                    h = (*g)(xt, h);
                } else {
                    h = dynamic_cast<nn::RNNCell&>(*cell)(xt, h);
                }
                hs.push_back(lstm ? cat({h, c}, 1) : h);
            }
            return stack(hs, 0);
        };
        auto r = autograd::grad_check(f, inputs);
        EXPECT_TRUE(r.ok) << r.message;
    }
}

TEST(RNNFused, SequenceGradCheckWithLengths) {
    manual_seed(4);
    nn::LSTM lstm({.input_size = 2,
                   .hidden_size = 3,
                   .num_layers = 2,
                   .batch_first = true,
                   .bidirectional = true});
    std::vector<Tensor> inputs = {randn({3, 4, 2}, nullptr, kFloat64),
                                  randn({4, 3, 3}, nullptr, kFloat64)};
    for (Tensor& p : lstm.parameters()) inputs.push_back(p.detach().to(kFloat64));
    auto f = [&](const std::vector<Tensor>& in) {
        std::size_t i = 2;
        EachParam set([&](Tensor& t) { t = in[i++]; });
        lstm.visit(set);
        auto [out, h, c] = lstm(in[0], in[1], Tensor(), {2, 4, 1});
        return cat({out.flatten(), h.flatten(), c.flatten()}, 0);
    };
    auto r = autograd::grad_check(f, inputs);
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(RNNFused, BackwardPassesCanRepeatAndStartAnywhere) {
    manual_seed(6);
    nn::GRU gru({.input_size = 2, .hidden_size = 3});
    to_float64(gru);
    Tensor x = randn({4, 2, 2}, nullptr, kFloat64).requires_grad_();
    auto [out, h] = gru(x);
    // From h_n alone (the output gather not involved), twice: gradients accumulate exactly.
    sum(h).backward(Tensor(), true);
    Tensor g1 = x.grad().clone(), w1 = gru.weights[0].weight_hh.grad().clone();
    sum(h).backward(Tensor(), true);
    expect_close(x.grad(), g1 * 2.0, 1e-12, 1e-12, "second pass x");
    expect_close(gru.weights[0].weight_hh.grad(), w1 * 2.0, 1e-12, 1e-12, "second pass W_hh");
    // From one early output: later steps get nothing, and x after it has no gradient.
    x.set_grad(Tensor());
    sum(out.select(0, 1)).backward();
    EXPECT_EQ(sum(abs(x.grad().narrow(0, 2, 2))).item(), 0.0);
    EXPECT_GT(sum(abs(x.grad().narrow(0, 0, 2))).item(), 0.0);
}

TEST(RNNFused, DoubleBackwardNeedsTheComposedPath) {
    for (bool fused : {true, false}) {
        nn::RNNCell cell({.input_size = 2, .hidden_size = 2, .fused = fused});
        Tensor x = randn({1, 2}).requires_grad_();
        Tensor y = sum(cell(x) * cell(x));
        auto run = [&] {
            auto g = autograd::grad({y}, {x}, {}, true, true);
            sum(g[0]).backward();
        };
        if (fused)
            test::expect_error(run, "no double backward");
        else
            EXPECT_NO_THROW(run());
    }
}

TEST(RNNFused, FastGateFunctionsAreAccurate) {
    double worst_s = 0, worst_t = 0;
    for (double v = -30; v <= 30; v += 0.001) {
        float x = static_cast<float>(v);
        double s = 1.0 / (1.0 + std::exp(-double(x))), t = std::tanh(double(x));
        worst_s = std::max(worst_s, std::abs(backend::cpu::fast_sigmoid(x) - s) / s);
        worst_t = std::max(worst_t,
                           std::abs(backend::cpu::fast_tanh(x) - t) / std::max(std::abs(t), 1e-30));
    }
    EXPECT_LT(worst_s, 5e-7);
    EXPECT_LT(worst_t, 5e-7);
    EXPECT_LT(backend::cpu::fast_sigmoid(-1000.0f), 1e-30f);
    EXPECT_EQ(backend::cpu::fast_sigmoid(1000.0f), 1.0f);
    EXPECT_EQ(backend::cpu::fast_tanh(1000.0f), 1.0f);
    EXPECT_EQ(backend::cpu::fast_tanh(-1000.0f), -1.0f);
    EXPECT_EQ(backend::cpu::fast_tanh(0.0f), 0.0f);
    EXPECT_TRUE(std::isnan(backend::cpu::fast_sigmoid(NAN)));  // divergence stays visible
    EXPECT_TRUE(std::isnan(backend::cpu::fast_tanh(NAN)));
}

}  // namespace
