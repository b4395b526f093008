// What the sequence layers promise beyond PyTorch parity: variable lengths behave like running
// each sequence alone, truncated BPTT cuts gradients and nothing else, dropout only in training,
// unbatched and strided inputs, and the error messages.
#include <gtest/gtest.h>

#include "soma/nn/rnn.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace {

using namespace soma;
using test::expect_close;
using test::expect_error;

TEST(RNNLengths, LikeEachSequenceAlone) {
    manual_seed(1);
    for (bool fused : {true, false}) {
        nn::GRU gru({.input_size = 2,
                     .hidden_size = 3,
                     .num_layers = 2,
                     .batch_first = true,
                     .bidirectional = true,
                     .fused = fused});
        Tensor x = randn({3, 5, 2}).requires_grad_();
        Tensor h0 = randn({4, 3, 3});
        std::vector<std::int64_t> lengths = {3, 5, 1};
        auto [out, h] = gru(x, h0, from_vector(lengths));  // an int64 tensor works too
        sum(out).backward();
        for (std::int64_t n = 0; n < 3; ++n) {
            SCOPED_TRACE("sequence " + std::to_string(n) + (fused ? " fused" : " composed"));
            std::int64_t len = lengths[n];
            auto [o1, h1] = gru(x.select(0, n).narrow(0, 0, len).unsqueeze(0), h0.narrow(1, n, 1));
            expect_close(out.select(0, n).narrow(0, 0, len), o1.squeeze(0), 1e-6, 1e-6,
                         "valid out");
            expect_close(h.narrow(1, n, 1), h1, 1e-6, 1e-6, "h_n at the sequence's end");
            if (len < 5) {
                EXPECT_EQ(max(abs(out.select(0, n).narrow(0, len, 5 - len))).item(), 0.0);
                EXPECT_EQ(max(abs(x.grad().select(0, n).narrow(0, len, 5 - len))).item(), 0.0);
            }
        }
    }
}

TEST(RNNLengths, FullLengthsChangeNothingAndZeroLengthKeepsTheState) {
    manual_seed(2);
    nn::LSTM lstm({.input_size = 2, .hidden_size = 3});
    Tensor x = randn({4, 2, 2}), h0 = randn({1, 2, 3}), c0 = randn({1, 2, 3});
    auto a = lstm(x, h0, c0);
    auto b = lstm(x, h0, c0, {4, 4});
    expect_close(b.output, a.output, 0, 0, "full lengths");
    auto z = lstm(x, h0, c0, {0, 4});
    expect_close(z.h_n.narrow(1, 0, 1), h0.narrow(1, 0, 1), 0, 0, "zero length keeps h0");
    expect_close(z.c_n.narrow(1, 0, 1), c0.narrow(1, 0, 1), 0, 0, "zero length keeps c0");
    EXPECT_EQ(max(abs(z.output.narrow(1, 0, 1))).item(), 0.0);
}

TEST(RNNTruncated, SameValuesGradientsStopAtChunkBoundaries) {
    manual_seed(3);
    for (bool fused : {true, false}) {
        nn::RNN rnn({.input_size = 1,
                     .hidden_size = 4,
                     .num_layers = 2,
                     .batch_first = true,
                     .fused = fused});
        Tensor x = randn({2, 10, 1}).requires_grad_();
        auto full = rnn(x);
        auto cut = rnn.forward_truncated(x, 4);  // chunks [0, 4), [4, 8), [8, 10)
        expect_close(cut.output, full.output, 1e-6, 1e-6, "truncated output");
        expect_close(cut.h_n, full.h_n, 1e-6, 1e-6, "truncated h_n");
        sum(cut.output.select(1, 9)).backward();
        EXPECT_EQ(max(abs(x.grad().narrow(1, 0, 8))).item(), 0.0);
        EXPECT_GT(min(abs(x.grad().narrow(1, 8, 2))).item(), 0.0);
        // Lengths carry over: a sequence that ended in an earlier chunk keeps its state.
        auto full_l = rnn(x, Tensor(), {3, 10});
        auto cut_l = rnn.forward_truncated(x, 4, Tensor(), {3, 10});
        expect_close(cut_l.output, full_l.output, 1e-6, 1e-6, "truncated output with lengths");
        expect_close(cut_l.h_n, full_l.h_n, 1e-6, 1e-6, "truncated h_n with lengths");
    }
    nn::GRU bi({.input_size = 1, .hidden_size = 2, .bidirectional = true});
    expect_error([&] { bi.forward_truncated(randn({5, 1, 1}), 2); }, "bidirectional");
    expect_error([&] { bi.forward_truncated(randn({5, 1, 1}), 0); }, "k > 0");
}

TEST(RNNTruncated, StreamChunksWithDetachedState) {
    // The documented stream loop equals one long forward in value.
    manual_seed(4);
    nn::LSTM lstm({.input_size = 2, .hidden_size = 3});
    Tensor x = randn({9, 2, 2});
    auto whole = lstm(x);
    Tensor h, c;
    std::vector<Tensor> outs;
    for (std::int64_t s = 0; s < 9; s += 3) {
        auto [out, h_n, c_n] = lstm(x.narrow(0, s, 3), h, c);
        outs.push_back(out);
        h = h_n.detach(), c = c_n.detach();
    }
    expect_close(cat(outs, 0), whole.output, 1e-6, 1e-6, "chunked stream");
    expect_close(c, whole.c_n, 1e-6, 1e-6, "final cell state");
}

TEST(RNNLayers, DropoutOnlyBetweenLayersInTraining) {
    manual_seed(5);
    nn::GRU a({.input_size = 2, .hidden_size = 8, .num_layers = 2, .dropout = 0.5});
    nn::GRU b({.input_size = 2, .hidden_size = 8, .num_layers = 2});
    b.load_state_dict(a.state_dict());
    Tensor x = randn({3, 4, 2});
    EXPECT_FALSE(allclose(a(x).output, b(x).output));
    a.eval();
    expect_close(a(x).output, b(x).output, 0, 0, "eval: no dropout");
}

TEST(RNNLayers, UnbatchedAndStridedInputs) {
    manual_seed(6);
    nn::LSTM lstm({.input_size = 3,
                   .hidden_size = 2,
                   .num_layers = 2,
                   .batch_first = true,
                   .bidirectional = true});
    Tensor x = randn({5, 3});  // unbatched (T, F)
    auto u = lstm(x);
    auto b = lstm(x.unsqueeze(0));
    EXPECT_EQ(u.output.shape(), (Shape{5, 4}));
    EXPECT_EQ(u.h_n.shape(), (Shape{4, 2}));
    expect_close(u.output, b.output.squeeze(0), 0, 0, "unbatched output");
    expect_close(u.c_n, b.c_n.squeeze(1), 0, 0, "unbatched c_n");
    Tensor xs = randn({3, 5, 2}).transpose(0, 2);  // (2, 5, 3), not contiguous
    expect_close(lstm(xs).output, lstm(xs.contiguous()).output, 0, 0, "strided input");

    nn::GRUCell cell({.input_size = 3, .hidden_size = 2});
    Tensor h1 = cell(x.select(0, 0));
    EXPECT_EQ(h1.shape(), (Shape{2}));
    expect_close(h1, cell(x.narrow(0, 0, 1)).squeeze(0), 0, 0, "unbatched cell");
}

TEST(RNNLayers, PrintsLikePyTorch) {
    nn::GRU gru({.input_size = 1, .hidden_size = 10, .num_layers = 2, .batch_first = true});
    EXPECT_EQ(gru.extra_repr(), "1, 10, num_layers=2, batch_first=True");
    nn::RNNCell cell(
        {.input_size = 2, .hidden_size = 3, .nonlinearity = nn::RNNNonlinearity::ReLU});
    EXPECT_EQ(cell.extra_repr(), "2, 3, nonlinearity=relu");
}

TEST(RNNErrors, MessagesNameTheProblem) {
    nn::GRU gru({.input_size = 2, .hidden_size = 3, .num_layers = 2});
    expect_error(
        [&] {
            gru(randn({4, 2, 5}));
        },
        "GRU: input of shape (4, 2, 5) has 5 features, expected input_size=2");
    expect_error([&] { gru(randn({4})); }, "GRU: input of shape (4,) should be");
    expect_error(
        [&] {
            gru(randn({4, 2, 2}), randn({1, 2, 3}));
        },
        "GRU: h0 of shape (1, 2, 3) should be (2, 2, 3)");
    expect_error([&] { gru(randn({4, 2, 2}, nullptr, kFloat64)); }, "input dtype float64");
    expect_error([&] { gru(randn({4, 2, 2}), Tensor(), {1, 2, 3}); }, "3 lengths for a batch of 2");
    expect_error([&] { gru(randn({4, 2, 2}), Tensor(), {5, 2}); }, "length 5 outside [0, 4]");
    expect_error([&] { gru(randn({4, 2, 2}), Tensor(), {-1, 2}); }, "outside");
    expect_error([&] { nn::Lengths l(randn({2, 2})); }, "1-D");
    nn::LSTMCell cell({.input_size = 2, .hidden_size = 3});
    expect_error([&] { cell(randn({4, 3})); }, "LSTMCell: input of shape (4, 3) should be (N, 2)");
    expect_error([&] { cell(randn({4, 2}), randn({4, 2})); }, "h of shape (4, 2) should be (4, 3)");
    expect_error([&] { cell(randn({4, 2}), Tensor(), randn({3, 3})); }, "c of shape (3, 3)");
    expect_error([] { nn::LSTM({.input_size = 2, .hidden_size = 0}); }, "must be positive");
    expect_error([] { nn::RNN({.input_size = 2, .hidden_size = 2, .dropout = 1.5}); }, "dropout");
}

}  // namespace
