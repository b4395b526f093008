#pragma once
// Recurrent layers, like torch.nn: the cells RNNCell (Elman), GRUCell and LSTMCell compute one
// time step; the sequence layers RNN, GRU and LSTM run a whole (padded) batch of sequences
// through stacked, optionally bidirectional layers.
//
//   nn::GRU gru({.input_size = 1, .hidden_size = 10, .batch_first = true});
//   auto [out, h] = gru(x);           // x: (N, T, 1) -> out: (N, T, 10), h: (1, N, 10)
//   nn::LSTM lstm({.input_size = 28, .hidden_size = 128});
//   auto [out, h, c] = lstm(x);       // x: (T, N, 28); h.select(0, -1): the last layer's
//   nn::GRUCell cell({.input_size = 1, .hidden_size = 10});
//   for (t ...) h = cell(x_t, h);     // x_t: (N, 1), h: (N, 10) (undefined at first = zeros)
//
// Equations, gate order, parameter names and shapes, and the default initialisation are
// PyTorch's, so state dicts (and safetensors files) carry weights over in both directions:
//   RNN   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)  (or relu)
//   GRU   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
//         n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h' = (1 − z) ⊙ n + z ⊙ h
//   LSTM  i, f, o = σ(W_i* x + b_i* + W_h* h + b_h*)  g = tanh(...)
//         c' = f ⊙ c + i ⊙ g   h' = o ⊙ tanh(c')
// weight_ih (G·H, in), weight_hh (G·H, H), bias_ih and bias_hh (G·H), the G gates stacked in
// the order above (G = 1, 3: r z n, 4: i f g o); every parameter drawn from U(−1/√H, 1/√H).
// Sequence layers name them weight_ih_l{k}, ..., with a _reverse suffix for the backward
// direction (weight_ih_l0_reverse).
//
// Speed: the modules call the recurrent ops (soma/ops_rnn.h: rnn_tanh, gru, lstm, lstm_cell,
// ...). Each step is one GEMM and one fused kernel for the gates and the state update, recorded
// as one autograd node with a hand-written backward. Backpropagation through time is autograd
// over these nodes. `.fused = false` composes each step from soma ops instead: the reference
// the fused kernels are tested against, and the way to differentiate twice (the fused backward
// is first-order only and says so if asked for create_graph).
//
// Truncated backpropagation through time. For a long stream cut into chunks, carry the state
// from chunk to chunk detached, so each backward pass stops at the chunk boundary:
//   Tensor h;                                         // undefined: zeros
//   for (const Tensor& chunk : chunks) {
//       auto [out, h_n] = gru(chunk, h);
//       loss = ...; opt.zero_grad(); loss.backward(); opt.step();
//       h = h_n.detach();
//   }
// With cells, detach the state every k steps: `if (t % k == 0) h = h.detach();`. Within one
// call, forward_truncated(x, k, ...) does the same for a sequence layer: the state is detached
// every k steps, while the loss may still use every output. To look at dloss/dh_t itself (how
// gradients vanish over time), unroll a cell and call h.retain_grad() on each step's state;
// a sequence layer's output[t] only receives the part of the gradient that flows through it.
//
// Variable lengths: `lengths` (a list or a 1-D int64 tensor, one entry per sequence, each in
// [0, T], any order) marks the end of each sequence in a padded batch. Past its end a
// sequence's state stops changing (h_n is the state after its last step) and its outputs are
// zero; the backward direction starts at each sequence's own end. Like PyTorch's
// pack_padded_sequence, but the output keeps the full T steps.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "soma/nn/module.h"
#include "soma/ops_rnn.h"

namespace soma::nn {

enum class RNNNonlinearity { Tanh, ReLU };

// Sequence lengths of a padded batch; none (or an empty list) means every sequence runs all T
// steps.
class Lengths {
public:
    Lengths() = default;
    Lengths(std::vector<std::int64_t> values)
        : values_(std::move(values)), given_(!values_.empty()) {}
    Lengths(std::initializer_list<std::int64_t> values)
        : values_(values), given_(values.size() > 0) {}
    Lengths(const Tensor& t);  // 1-D int64 (whole-valued floats accepted); undefined = none
    bool given() const { return given_; }
    const std::vector<std::int64_t>& values() const { return values_; }

private:
    std::vector<std::int64_t> values_;
    bool given_ = false;
};

// ---- cells: one time step. x: (N, input_size) or unbatched (input_size); the state has the
// same batch shape with hidden_size features, and an undefined state means zeros.

struct RNNCellOptions {
    std::int64_t input_size = 0, hidden_size = 0;
    bool bias = true;
    RNNNonlinearity nonlinearity = RNNNonlinearity::Tanh;
    bool fused = true;  // false: composed from soma ops (the reference; twice differentiable)
    Generator* gen = nullptr;  // null: the default generator
};

struct GRUCellOptions {
    std::int64_t input_size = 0, hidden_size = 0;
    bool bias = true;
    bool fused = true;
    Generator* gen = nullptr;
};
using LSTMCellOptions = GRUCellOptions;

// The parameters of one layer and direction of a sequence layer (soma/ops_rnn.h).
using soma::RecurrentWeights;

class RNNCell : public Module {
public:
    explicit RNNCell(RNNCellOptions o);
    Tensor forward(const Tensor& x, const Tensor& h);  // -> h'
    Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
    Tensor operator()(const Tensor& x, const Tensor& h = Tensor()) { return forward(x, h); }
    std::string type_name() const override { return "RNNCell"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override;
    void reset_parameters(Generator* gen = nullptr);

    Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // (H, in), (H, H), (H), (H)

private:
    RNNCellOptions o_;
};

class GRUCell : public Module {
public:
    explicit GRUCell(GRUCellOptions o);
    Tensor forward(const Tensor& x, const Tensor& h);  // -> h'
    Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
    Tensor operator()(const Tensor& x, const Tensor& h = Tensor()) { return forward(x, h); }
    std::string type_name() const override { return "GRUCell"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override;
    void reset_parameters(Generator* gen = nullptr);

    Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // (3H, in), (3H, H), (3H), (3H)

private:
    GRUCellOptions o_;
};

struct LSTMState {
    Tensor h, c;
};

class LSTMCell : public Module {
public:
    explicit LSTMCell(LSTMCellOptions o);
    // -> (h', c'); `auto [h, c] = cell(x, h, c);`
    LSTMState forward(const Tensor& x, const Tensor& h = Tensor(), const Tensor& c = Tensor());
    LSTMState operator()(const Tensor& x, const Tensor& h = Tensor(), const Tensor& c = Tensor()) {
        return forward(x, h, c);
    }
    std::string type_name() const override { return "LSTMCell"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override;
    void reset_parameters(Generator* gen = nullptr);

    Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // (4H, in), (4H, H), (4H), (4H)

private:
    LSTMCellOptions o_;
};

// ---- sequence layers. x: (T, N, input_size), (N, T, input_size) with batch_first, or
// unbatched (T, input_size). output: (T, N, D·H) (or (N, T, D·H)), D = 2 when bidirectional,
// the directions side by side. h0, h_n (and c0, c_n): (num_layers·D, N, H), or (num_layers·D, H)
// unbatched, ordered layer by layer, forward direction first.

struct RNNOptions {
    std::int64_t input_size = 0, hidden_size = 0, num_layers = 1;
    RNNNonlinearity nonlinearity = RNNNonlinearity::Tanh;
    bool bias = true, batch_first = false;
    // Dropout on every layer's output but the last's, in training mode (default generator).
    double dropout = 0;
    bool bidirectional = false;
    bool fused = true;  // false: composed from soma ops (the reference; twice differentiable)
    Generator* gen = nullptr;
};

struct GRUOptions {
    std::int64_t input_size = 0, hidden_size = 0, num_layers = 1;
    bool bias = true, batch_first = false;
    double dropout = 0;
    bool bidirectional = false;
    bool fused = true;
    Generator* gen = nullptr;
};
using LSTMOptions = GRUOptions;

struct RNNResult {
    Tensor output, h_n;
};
struct LSTMResult {
    Tensor output, h_n, c_n;
};

namespace detail {
enum class RecurrentKind { RNNTanh, RNNReLU, GRU, LSTM };

// What RNN, GRU and LSTM share: the stacked, bidirectional recurrence and its parameters.
class RecurrentLayers : public Module {
public:
    std::string extra_repr() const override;
    void visit(Visitor& v) override;
    void reset_parameters(Generator* gen = nullptr);

    std::int64_t input_size() const { return input_size_; }
    std::int64_t hidden_size() const { return hidden_size_; }
    std::int64_t num_layers() const { return num_layers_; }
    int num_directions() const { return bidirectional_ ? 2 : 1; }

    // Indexed [layer * num_directions() + direction].
    std::vector<RecurrentWeights> weights;

protected:
    RecurrentLayers(RecurrentKind kind, std::int64_t input_size, std::int64_t hidden_size,
                    std::int64_t num_layers, bool bias, bool batch_first, double dropout,
                    bool bidirectional, bool fused, Generator* gen);
    // k > 0: detach the state every k steps.
    LSTMResult run(const Tensor& x, const Tensor& h0, const Tensor& c0, const Lengths& lengths,
                   std::int64_t k);

private:
    LSTMResult run_full(const Tensor& x, const Tensor& h0, const Tensor& c0,
                        const std::vector<std::int64_t>& lengths);

    RecurrentKind kind_;
    std::int64_t input_size_, hidden_size_, num_layers_;
    bool bias_, batch_first_;
    double dropout_;
    bool bidirectional_, fused_;
};
}  // namespace detail

class RNN : public detail::RecurrentLayers {
public:
    explicit RNN(RNNOptions o);
    RNNResult forward(const Tensor& x, const Tensor& h0 = Tensor(), const Lengths& lengths = {});
    RNNResult operator()(const Tensor& x, const Tensor& h0 = Tensor(),
                         const Lengths& lengths = {}) {
        return forward(x, h0, lengths);
    }
    // Like forward, but the state is detached every k steps (truncated BPTT); not bidirectional.
    RNNResult forward_truncated(const Tensor& x, std::int64_t k, const Tensor& h0 = Tensor(),
                                const Lengths& lengths = {});
    std::string type_name() const override { return "RNN"; }
};

class GRU : public detail::RecurrentLayers {
public:
    explicit GRU(GRUOptions o);
    RNNResult forward(const Tensor& x, const Tensor& h0 = Tensor(), const Lengths& lengths = {});
    RNNResult operator()(const Tensor& x, const Tensor& h0 = Tensor(),
                         const Lengths& lengths = {}) {
        return forward(x, h0, lengths);
    }
    RNNResult forward_truncated(const Tensor& x, std::int64_t k, const Tensor& h0 = Tensor(),
                                const Lengths& lengths = {});
    std::string type_name() const override { return "GRU"; }
};

class LSTM : public detail::RecurrentLayers {
public:
    explicit LSTM(LSTMOptions o);
    // h0 and c0 may be given alone (the other is zeros).
    LSTMResult forward(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor(),
                       const Lengths& lengths = {});
    LSTMResult operator()(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor(),
                          const Lengths& lengths = {}) {
        return forward(x, h0, c0, lengths);
    }
    LSTMResult forward_truncated(const Tensor& x, std::int64_t k, const Tensor& h0 = Tensor(),
                                 const Tensor& c0 = Tensor(), const Lengths& lengths = {});
    std::string type_name() const override { return "LSTM"; }
};

}  // namespace soma::nn
