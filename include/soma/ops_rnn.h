#pragma once
// Recurrent ops, like torch::rnn_tanh / rnn_relu / gru / lstm and their *_cell steps: the
// functional form of the recurrent layers in soma/nn/rnn.h, which hold the parameters and
// call these. Equations, gate order (GRU: r z n, LSTM: i f g o) and weight shapes are
// PyTorch's; see soma/nn/rnn.h.
//
//   std::vector<RecurrentWeights> w = ...;              // one per layer and direction
//   auto [out, h_n, c_n] = lstm(x, h0, c0, w, {}, {.num_layers = 2});
//   // x: (T, N, F) -> out: (T, N, H), h_n, c_n: (2, N, H)
//
// The fused path (the default) runs each step as one GEMM and one fused gate kernel, recorded
// as one autograd node with a hand-written, first-order backward. fused = false composes every
// step from soma ops instead: the reference the fused kernels are tested against, and twice
// differentiable.

#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma {

// The parameters of one layer and direction; G gates of H units each (G = 1, 3, 4 for RNN,
// GRU, LSTM).
struct RecurrentWeights {
    Tensor weight_ih;  // (G·H, in)
    Tensor weight_hh;  // (G·H, H)
    Tensor bias_ih;    // (G·H); undefined without bias (then so is bias_hh)
    Tensor bias_hh;
};

struct RecurrentArgs {
    std::int64_t num_layers = 1;
    bool bidirectional = false;
    bool batch_first = false;  // x and output (N, T, ·) rather than (T, N, ·)
    double dropout = 0;        // on every layer's output but the last's, when `train`
    bool train = false;
    bool fused = true;  // false: composed from soma ops (the reference; twice differentiable)
};

struct RecurrentOutput {
    Tensor output;  // (T, N, D·H), or (N, T, D·H) with batch_first; the directions side by side
    Tensor h_n;     // (L·D, N, H), layer by layer, forward direction first
    Tensor c_n;     // likewise; LSTM only
};

// ---- sequences. x: (T, N, F) or (N, T, F) with batch_first, float32 or float64.
// weights: L·D entries (D = 2 when bidirectional) indexed [layer · D + direction]; layer 0's
// weight_ih is (G·H, F), later layers' (G·H, D·H). h0, c0: (L·D, N, H) or undefined (zeros).
// lengths: empty, or one per sequence in [0, T]: past its end a sequence's state stops
// changing and its outputs are zero, and the reverse direction starts at its own end.
// Dropout uses the default generator.
RecurrentOutput rnn_tanh(const Tensor& x, const Tensor& h0,
                         const std::vector<RecurrentWeights>& weights,
                         const std::vector<std::int64_t>& lengths = {},
                         const RecurrentArgs& args = {});
RecurrentOutput rnn_relu(const Tensor& x, const Tensor& h0,
                         const std::vector<RecurrentWeights>& weights,
                         const std::vector<std::int64_t>& lengths = {},
                         const RecurrentArgs& args = {});
RecurrentOutput gru(const Tensor& x, const Tensor& h0, const std::vector<RecurrentWeights>& weights,
                    const std::vector<std::int64_t>& lengths = {}, const RecurrentArgs& args = {});
RecurrentOutput lstm(const Tensor& x, const Tensor& h0, const Tensor& c0,
                     const std::vector<RecurrentWeights>& weights,
                     const std::vector<std::int64_t>& lengths = {}, const RecurrentArgs& args = {});

// ---- one step. x: (N, F); h, c: (N, H) or undefined (zeros) -> h' (N, H) (and c' for LSTM).
struct LSTMCellOutput {
    Tensor h, c;
};
Tensor rnn_tanh_cell(const Tensor& x, const Tensor& h, const RecurrentWeights& w,
                     bool fused = true);
Tensor rnn_relu_cell(const Tensor& x, const Tensor& h, const RecurrentWeights& w,
                     bool fused = true);
Tensor gru_cell(const Tensor& x, const Tensor& h, const RecurrentWeights& w, bool fused = true);
LSTMCellOutput lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c,
                         const RecurrentWeights& w, bool fused = true);

}  // namespace soma
