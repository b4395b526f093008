// The recurrent ops on their own (soma/ops_rnn.h): the modules are thin over them, the fused
// path agrees with the composed reference, and the ops check what they are given. The fused
// kernels' thorough comparisons run through the modules in tests/nn/test_rnn_fused.cpp.
#include <gtest/gtest.h>

#include "soma/nn/rnn.h"
#include "soma/ops.h"
#include "soma/ops_rnn.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_close;
using test::expect_error;

// float64 copies of the module's weights that require gradients.
std::vector<RecurrentWeights> float64_weights(const std::vector<RecurrentWeights>& w) {
    auto copy = [](const Tensor& t) {
        return t.defined() ? t.detach().to(kFloat64).requires_grad_() : Tensor();
    };
    std::vector<RecurrentWeights> out;
    for (const RecurrentWeights& v : w)
        out.push_back({copy(v.weight_ih), copy(v.weight_hh), copy(v.bias_ih), copy(v.bias_hh)});
    return out;
}

TEST(RNNOps, ModuleIsTheOp) {
    manual_seed(3);
    nn::LSTM m({.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true});
    Tensor x = randn({5, 2, 3}), h0 = randn({4, 2, 4}), c0 = randn({4, 2, 4});
    nn::LSTMResult want = m(x, h0, c0, {5, 3});
    // x: (5, 2, 3) -> output (5, 2, 8), h_n and c_n (4, 2, 4)
    RecurrentOutput got =
        lstm(x, h0, c0, m.weights, {5, 3}, {.num_layers = 2, .bidirectional = true});
    EXPECT_EQ(got.output.shape(), Shape({5, 2, 8}));
    expect_close(got.output, want.output, 0, 0, "output");
    expect_close(got.h_n, want.h_n, 0, 0, "h_n");
    expect_close(got.c_n, want.c_n, 0, 0, "c_n");
}

TEST(RNNOps, FusedAgreesWithComposed) {
    manual_seed(5);
    nn::GRU m({.input_size = 3, .hidden_size = 4, .num_layers = 2, .batch_first = true});
    const Tensor base = randn({2, 6, 3}, nullptr, kFloat64);  // (N, T, F)
    std::vector<Tensor> outs, grads;
    for (bool fused : {true, false}) {
        std::vector<RecurrentWeights> w = float64_weights(m.weights);
        Tensor x = base.clone().requires_grad_();
        RecurrentOutput r =
            gru(x, Tensor(), w, {6, 4}, {.num_layers = 2, .batch_first = true, .fused = fused});
        sum(r.output * r.output).backward();
        outs.push_back(r.output.detach());
        grads.push_back(x.grad());
        grads.push_back(w[1].weight_hh.grad());
    }
    expect_close(outs[0], outs[1], 1e-12, 1e-14, "output");
    expect_close(grads[0], grads[2], 1e-12, 1e-14, "dx");
    expect_close(grads[1], grads[3], 1e-12, 1e-14, "d weight_hh_l1");
}

TEST(RNNOps, CellsFusedAgreeWithComposed) {
    manual_seed(7);
    nn::LSTMCell m({.input_size = 2, .hidden_size = 3});
    const RecurrentWeights w{m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh};
    Tensor x = randn({4, 2}), h = randn({4, 3}), c = randn({4, 3});
    LSTMCellOutput a = lstm_cell(x, h, c, w), b = lstm_cell(x, h, c, w, false);
    expect_close(a.h, b.h, 1e-5, 1e-6, "h'");
    expect_close(a.c, b.c, 1e-5, 1e-6, "c'");
    Tensor hr = rnn_relu_cell(x, Tensor(),
                              {m.weight_ih.narrow(0, 0, 3), m.weight_hh.narrow(0, 0, 3),
                               m.bias_ih.narrow(0, 0, 3), m.bias_hh.narrow(0, 0, 3)});
    // relu needs no approximation: the fused kernel and the composition agree to rounding.
    expect_close(hr,
                 relu(matmul(x, m.weight_ih.narrow(0, 0, 3).t()) + m.bias_ih.narrow(0, 0, 3) +
                      m.bias_hh.narrow(0, 0, 3)),
                 1e-6, 1e-6, "rnn_relu_cell from zeros");
}

TEST(RNNOps, ArgumentsAreChecked) {
    manual_seed(9);
    nn::RNN m({.input_size = 2, .hidden_size = 3});
    Tensor x = randn({4, 2, 2});
    expect_error([&] { rnn_tanh(x, Tensor(), m.weights, {}, {.num_layers = 2}); },
                 "rnn_tanh: 1 weight sets given, expected 2");
    expect_error(
        [&] {
            rnn_tanh(randn({4, 2}), Tensor(), m.weights);
        },
        "rnn_tanh: input of shape (4, 2) should be (T, N, F)");
    expect_error(
        [&] {
            rnn_tanh(randn({4, 2, 5}), Tensor(), m.weights);
        },
        "weights[0].weight_ih of shape (3, 2) should be (3, 5)");
    expect_error(
        [&] {
            rnn_relu(x, randn({1, 3, 3}), m.weights);
        },
        "rnn_relu: h0 of shape (1, 3, 3) should be (1, 2, 3)");
    expect_error([&] { rnn_tanh(x, Tensor(), m.weights, {5, 1}); }, "length 5 outside [0, 4]");
    expect_error([&] { gru(x, Tensor(), m.weights); }, "gru: weights[0].weight_ih of shape");
    expect_error(
        [&] {
            rnn_tanh_cell(randn({2, 2}), randn({3, 3}), m.weights[0]);
        },
        "rnn_tanh_cell: h of shape (3, 3) should be (2, 3)");
}

}  // namespace
}  // namespace soma
