// The recurrent ops: argument checks, stacking layers and directions, dropout between layers
// and the lengths mask. One layer's recurrence is in rnn_fused.cpp (or rnn_composed.cpp, the
// reference, with fused = false).

#include <algorithm>
#include <memory>
#include <string>

#include "ops/rnn_detail.h"
#include "soma/ops.h"
#include "soma/ops_rnn.h"

namespace soma {
namespace {

using ops_detail::rnn::CellKind;
namespace rnn = ops_detail::rnn;

const char* op_name(CellKind k) {
    switch (k) {
        case CellKind::RNNTanh:
            return "rnn_tanh";
        case CellKind::RNNReLU:
            return "rnn_relu";
        case CellKind::GRU:
            return "gru";
        case CellKind::LSTM:
            return "lstm";
    }
    return "";
}

// Throws unless w holds the weights of one layer and direction with `in` inputs and H units,
// in dtype dt. `which` names it in messages ("weights[3]").
void check_weights(const char* op, CellKind kind, const RecurrentWeights& w, std::int64_t in,
                   std::int64_t H, DType dt, const std::string& which) {
    const std::int64_t GH = backend::cpu::cell_gates(kind) * H;
    check(w.weight_ih.defined() && w.weight_hh.defined(), op, ": ", which,
          " has an undefined weight");
    check(w.weight_ih.shape() == Shape{GH, in}, op, ": ", which, ".weight_ih of shape ",
          w.weight_ih.shape(), " should be ", Shape{GH, in});
    check(w.weight_hh.shape() == Shape{GH, H}, op, ": ", which, ".weight_hh of shape ",
          w.weight_hh.shape(), " should be ", Shape{GH, H});
    check(w.bias_ih.defined() == w.bias_hh.defined(), op, ": ", which,
          " needs both biases or neither");
    for (const Tensor* b : {&w.bias_ih, &w.bias_hh})
        if (b->defined())
            check(b->shape() == Shape{GH}, op, ": ", which, " has a bias of shape ", b->shape(),
                  ", expected ", Shape{GH});
    for (const Tensor* t : {&w.weight_ih, &w.weight_hh, &w.bias_ih, &w.bias_hh})
        if (t->defined())
            check(t->dtype() == dt, op, ": ", which, " is ", t->dtype(), " but the input is ", dt);
}

// Throws unless the state t is undefined or of shape `want` and dtype dt.
void check_state(const char* op, const char* what, const Tensor& t, const Shape& want, DType dt) {
    if (!t.defined()) return;
    check(t.shape() == want, op, ": ", what, " of shape ", t.shape(), " should be ", want);
    check(t.dtype() == dt, op, ": ", what, " is ", t.dtype(), " but the input is ", dt);
}

// Per time step and sequence, 1 while t < length; null when every sequence runs all T steps.
std::shared_ptr<const rnn::Mask> make_mask(const char* op, const std::vector<std::int64_t>& lengths,
                                           std::int64_t T, std::int64_t N) {
    if (lengths.empty()) return nullptr;
    check(static_cast<std::int64_t>(lengths.size()) == N, op, ": ", lengths.size(),
          " lengths for a batch of ", N, " sequences");
    for (std::int64_t v : lengths)
        check(v >= 0 && v <= T, op, ": length ", v, " outside [0, ", T, "]");
    if (std::all_of(lengths.begin(), lengths.end(), [T](std::int64_t v) { return v == T; }))
        return nullptr;
    auto mask = std::make_shared<rnn::Mask>(T * N);
    for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t n = 0; n < N; ++n) (*mask)[t * N + n] = t < lengths[n];
    return mask;
}

RecurrentOutput run(CellKind kind, const Tensor& x, const Tensor& h0, const Tensor& c0,
                    const std::vector<RecurrentWeights>& weights,
                    const std::vector<std::int64_t>& lengths, const RecurrentArgs& a) {
    const char* op = op_name(kind);
    check(x.defined(), op, ": undefined input");
    check(x.dim() == 3, op, ": input of shape ", x.shape(), " should be ",
          a.batch_first ? "(N, T, F)" : "(T, N, F)");
    dispatch(x.dtype(), op, [](auto) {});  // float32 or float64
    check(a.num_layers > 0, op, ": num_layers must be positive, got ", a.num_layers);
    check(a.dropout >= 0 && a.dropout <= 1, op, ": dropout must be in [0, 1], got ", a.dropout);
    const std::int64_t L = a.num_layers, D = a.bidirectional ? 2 : 1;
    check(static_cast<std::int64_t>(weights.size()) == L * D, op, ": ", weights.size(),
          " weight sets given, expected ", L * D, " (one per layer and direction)");
    const std::int64_t T = x.size(a.batch_first ? 1 : 0), N = x.size(a.batch_first ? 0 : 1);
    check(T > 0 && N > 0, op, ": input of shape ", x.shape(), " has no steps or sequences");
    check(weights[0].weight_hh.defined() && weights[0].weight_hh.dim() == 2, op,
          ": weights[0].weight_hh should be (G·H, H)");
    const std::int64_t H = weights[0].weight_hh.size(1);
    for (std::int64_t k = 0; k < L * D; ++k)
        check_weights(op, kind, weights[k], k < D ? x.size(2) : D * H, H, x.dtype(),
                      "weights[" + std::to_string(k) + "]");
    check_state(op, "h0", h0, {L * D, N, H}, x.dtype());
    check_state(op, "c0", c0, {L * D, N, H}, x.dtype());
    check(!c0.defined() || kind == CellKind::LSTM, op, ": only lstm takes c0");
    const std::shared_ptr<const rnn::Mask> mask = make_mask(op, lengths, T, N);

    Tensor input = x;
    std::vector<Tensor> hs, cs;
    for (std::int64_t l = 0; l < L; ++l) {
        // Layers in between exchange time-major sequences; only the ends follow batch_first.
        const rnn::LayerSpec spec{
            kind, T, N, H, a.batch_first && l == 0, a.batch_first && l + 1 == L, op};
        std::vector<const RecurrentWeights*> w;
        std::vector<Tensor> h0s(D), c0s(D);
        for (std::int64_t d = 0; d < D; ++d) {
            w.push_back(&weights[l * D + d]);
            if (h0.defined()) h0s[d] = h0.select(0, l * D + d);  // (N, H)
            if (c0.defined()) c0s[d] = c0.select(0, l * D + d);
        }
        rnn::LayerResult r = a.fused ? rnn::fused_layer(spec, input, w, h0s, c0s, mask)
                                     : rnn::composed_layer(spec, input, w, h0s, c0s, mask);
        hs.insert(hs.end(), r.h_n.begin(), r.h_n.end());
        cs.insert(cs.end(), r.c_n.begin(), r.c_n.end());
        input = r.output;
        if (l + 1 < L && a.dropout > 0 && a.train) input = dropout(input, a.dropout, true);
    }
    RecurrentOutput res{input, stack(hs, 0), Tensor()};
    if (!cs.empty()) res.c_n = stack(cs, 0);
    return res;
}

// x: (N, F); h, c: (N, H) or undefined -> h' (and c' for LSTM): (N, H)
rnn::CellResult cell(CellKind kind, const char* op, const Tensor& x, const Tensor& h,
                     const Tensor& c, const RecurrentWeights& w, bool fused) {
    check(x.defined(), op, ": undefined input");
    check(x.dim() == 2, op, ": input of shape ", x.shape(), " should be (N, F)");
    dispatch(x.dtype(), op, [](auto) {});
    check(w.weight_hh.defined() && w.weight_hh.dim() == 2, op, ": weight_hh should be (G·H, H)");
    const std::int64_t N = x.size(0), H = w.weight_hh.size(1);
    check_weights(op, kind, w, x.size(1), H, x.dtype(), "w");
    check_state(op, "h", h, {N, H}, x.dtype());
    check_state(op, "c", c, {N, H}, x.dtype());
    return fused ? rnn::fused_cell(kind, op, x, h, c, w) : rnn::composed_cell(kind, x, h, c, w);
}

}  // namespace

RecurrentOutput rnn_tanh(const Tensor& x, const Tensor& h0,
                         const std::vector<RecurrentWeights>& weights,
                         const std::vector<std::int64_t>& lengths, const RecurrentArgs& args) {
    return run(CellKind::RNNTanh, x, h0, Tensor(), weights, lengths, args);
}

RecurrentOutput rnn_relu(const Tensor& x, const Tensor& h0,
                         const std::vector<RecurrentWeights>& weights,
                         const std::vector<std::int64_t>& lengths, const RecurrentArgs& args) {
    return run(CellKind::RNNReLU, x, h0, Tensor(), weights, lengths, args);
}

RecurrentOutput gru(const Tensor& x, const Tensor& h0, const std::vector<RecurrentWeights>& weights,
                    const std::vector<std::int64_t>& lengths, const RecurrentArgs& args) {
    return run(CellKind::GRU, x, h0, Tensor(), weights, lengths, args);
}

RecurrentOutput lstm(const Tensor& x, const Tensor& h0, const Tensor& c0,
                     const std::vector<RecurrentWeights>& weights,
                     const std::vector<std::int64_t>& lengths, const RecurrentArgs& args) {
    return run(CellKind::LSTM, x, h0, c0, weights, lengths, args);
}

Tensor rnn_tanh_cell(const Tensor& x, const Tensor& h, const RecurrentWeights& w, bool fused) {
    return cell(CellKind::RNNTanh, "rnn_tanh_cell", x, h, Tensor(), w, fused).h;
}

Tensor rnn_relu_cell(const Tensor& x, const Tensor& h, const RecurrentWeights& w, bool fused) {
    return cell(CellKind::RNNReLU, "rnn_relu_cell", x, h, Tensor(), w, fused).h;
}

Tensor gru_cell(const Tensor& x, const Tensor& h, const RecurrentWeights& w, bool fused) {
    return cell(CellKind::GRU, "gru_cell", x, h, Tensor(), w, fused).h;
}

LSTMCellOutput lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c,
                         const RecurrentWeights& w, bool fused) {
    rnn::CellResult r = cell(CellKind::LSTM, "lstm_cell", x, h, c, w, fused);
    return {r.h, r.c};
}

}  // namespace soma
