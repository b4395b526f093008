// The sequence layers RNN, GRU and LSTM: parameters, argument checks, unbatched inputs and
// truncated BPTT. The recurrence itself, layers, directions and lengths included, is the ops'
// (soma/ops_rnn.h, src/ops/rnn.cpp).

#include "soma/nn/rnn.h"

#include <algorithm>
#include <cmath>

#include "soma/nn/init.h"
#include "soma/ops.h"

namespace soma::nn {

Lengths::Lengths(const Tensor& t) {
    if (!t.defined()) return;
    check(t.dim() == 1, "lengths: expected a 1-D tensor, got shape ", t.shape());
    given_ = true;
    if (t.dtype() == kInt64) {
        values_ = t.to_vector<std::int64_t>();
        return;
    }
    for (double v : t.to_vector<double>()) {
        check(v == std::floor(v), "lengths: ", v, " is not a whole number");
        values_.push_back(static_cast<std::int64_t>(v));
    }
}

namespace detail {
namespace {

// Gates per hidden unit: the row blocks of weight_ih and weight_hh.
std::int64_t gates(RecurrentKind k) {
    return k == RecurrentKind::GRU ? 3 : k == RecurrentKind::LSTM ? 4 : 1;
}

const char* kind_name(RecurrentKind k) {
    return k == RecurrentKind::GRU ? "GRU" : k == RecurrentKind::LSTM ? "LSTM" : "RNN";
}

}  // namespace

RecurrentLayers::RecurrentLayers(RecurrentKind kind, std::int64_t input_size,
                                 std::int64_t hidden_size, std::int64_t num_layers, bool bias,
                                 bool batch_first, double dropout, bool bidirectional, bool fused,
                                 Generator* gen)
    : kind_(kind),
      input_size_(input_size),
      hidden_size_(hidden_size),
      num_layers_(num_layers),
      bias_(bias),
      batch_first_(batch_first),
      dropout_(dropout),
      bidirectional_(bidirectional),
      fused_(fused) {
    const char* name = kind_name(kind);
    check(input_size > 0 && hidden_size > 0, name,
          ": input_size and hidden_size must be positive, got ", input_size, " and ", hidden_size);
    check(num_layers > 0, name, ": num_layers must be positive, got ", num_layers);
    check(dropout >= 0 && dropout <= 1, name, ": dropout must be in [0, 1], got ", dropout);
    const std::int64_t G = gates(kind) * hidden_size;
    for (std::int64_t l = 0; l < num_layers; ++l)
        for (int d = 0; d < num_directions(); ++d) {
            std::int64_t in = l == 0 ? input_size : num_directions() * hidden_size;
            RecurrentWeights w{Tensor::empty({G, in}), Tensor::empty({G, hidden_size}), Tensor(),
                               Tensor()};
            if (bias) w.bias_ih = Tensor::empty({G}), w.bias_hh = Tensor::empty({G});
            weights.push_back(w);
        }
    reset_parameters(gen);
}

void RecurrentLayers::visit(Visitor& v) {
    for (std::int64_t l = 0; l < num_layers_; ++l)
        for (int d = 0; d < num_directions(); ++d) {
            std::string suffix = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
            RecurrentWeights& w = weights[l * num_directions() + d];
            v.param("weight_ih" + suffix, w.weight_ih);
            v.param("weight_hh" + suffix, w.weight_hh);
            v.param("bias_ih" + suffix, w.bias_ih);
            v.param("bias_hh" + suffix, w.bias_hh);
        }
}

void RecurrentLayers::reset_parameters(Generator* gen) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size_));
    for (Tensor& p : parameters()) {
        init::uniform_(p, -bound, bound, gen);
        p.requires_grad_();
    }
}

std::string RecurrentLayers::extra_repr() const {
    std::string s = std::to_string(input_size_) + ", " + std::to_string(hidden_size_);
    if (num_layers_ != 1) s += ", num_layers=" + std::to_string(num_layers_);
    if (kind_ == RecurrentKind::RNNReLU) s += ", nonlinearity=relu";
    if (!bias_) s += ", bias=False";
    if (batch_first_) s += ", batch_first=True";
    if (dropout_ != 0) s += ", dropout=" + std::to_string(dropout_);
    if (bidirectional_) s += ", bidirectional=True";
    return s;
}

LSTMResult RecurrentLayers::run_full(const Tensor& x, const Tensor& h0, const Tensor& c0,
                                     const std::vector<std::int64_t>& lengths) {
    // x: (T, N, F) or (N, T, F) -> output (T, N, D·H) or (N, T, D·H), h_n and c_n (L·D, N, H)
    const RecurrentArgs args{.num_layers = num_layers_,
                             .bidirectional = bidirectional_,
                             .batch_first = batch_first_,
                             .dropout = dropout_,
                             .train = is_training(),
                             .fused = fused_};
    RecurrentOutput r;
    switch (kind_) {
        case RecurrentKind::RNNTanh:
            r = rnn_tanh(x, h0, weights, lengths, args);
            break;
        case RecurrentKind::RNNReLU:
            r = rnn_relu(x, h0, weights, lengths, args);
            break;
        case RecurrentKind::GRU:
            r = gru(x, h0, weights, lengths, args);
            break;
        case RecurrentKind::LSTM:
            r = lstm(x, h0, c0, weights, lengths, args);
            break;
    }
    return {r.output, r.h_n, r.c_n};
}

LSTMResult RecurrentLayers::run(const Tensor& x_in, const Tensor& h0_in, const Tensor& c0_in,
                                const Lengths& lengths, std::int64_t k) {
    const char* name = kind_name(kind_);
    const Tensor& w0 = weights[0].weight_ih;
    check(x_in.defined(), name, ": undefined input");
    check(x_in.dim() == 2 || x_in.dim() == 3, name, ": input of shape ", x_in.shape(),
          " should be (T, N, input_size), (N, T, input_size) with batch_first, or unbatched "
          "(T, input_size)");
    check(x_in.size(-1) == input_size_, name, ": input of shape ", x_in.shape(), " has ",
          x_in.size(-1), " features, expected input_size=", input_size_);
    check(x_in.dtype() == w0.dtype(), name, ": input dtype ", x_in.dtype(),
          " differs from the parameters' ", w0.dtype());
    const bool unbatched = x_in.dim() == 2;
    Tensor x = unbatched ? x_in.unsqueeze(1) : x_in;  // unbatched runs as (T, 1, F)
    if (unbatched && batch_first_) x = x.transpose(0, 1);
    const std::int64_t T = x.size(batch_first_ ? 1 : 0), N = x.size(batch_first_ ? 0 : 1);
    check(T > 0 && N > 0, name, ": input of shape ", x_in.shape(), " has no steps or sequences");

    const Shape want = unbatched ? Shape{num_layers_ * num_directions(), hidden_size_}
                                 : Shape{num_layers_ * num_directions(), N, hidden_size_};
    Tensor h0 = h0_in, c0 = c0_in;
    for (auto [t, what] : {std::pair{&h0, "h0"}, std::pair{&c0, "c0"}}) {
        if (!t->defined()) continue;
        check(t->shape() == want, name, ": ", what, " of shape ", t->shape(), " should be ", want,
              " (num_layers * num_directions, ", unbatched ? "" : "batch, ", "hidden_size)");
        check(t->dtype() == x.dtype(), name, ": ", what, " dtype ", t->dtype(),
              " differs from the input's ", x.dtype());
        if (unbatched) *t = t->unsqueeze(1);
    }
    std::vector<std::int64_t> lens = lengths.values();
    if (lengths.given()) {
        check(static_cast<std::int64_t>(lens.size()) == N, name, ": ", lens.size(),
              " lengths for a batch of ", N, " sequences");
        for (std::int64_t v : lens)
            check(v >= 0 && v <= T, name, ": length ", v, " outside [0, ", T, "]");
        if (std::all_of(lens.begin(), lens.end(), [T](std::int64_t v) { return v == T; }))
            lens.clear();
    }

    LSTMResult res;
    if (k <= 0 || k >= T) {
        res = run_full(x, h0, c0, lens);
    } else {
        check(!bidirectional_, name,
              ": truncated BPTT runs forward in time; a bidirectional layer cannot");
        const int time_dim = batch_first_ ? 1 : 0;
        std::vector<Tensor> outs;
        for (std::int64_t s = 0; s < T; s += k) {
            std::int64_t len = std::min(k, T - s);
            std::vector<std::int64_t> part;
            for (std::int64_t v : lens) part.push_back(std::clamp<std::int64_t>(v - s, 0, len));
            res = run_full(x.narrow(time_dim, s, len), h0, c0, part);
            outs.push_back(res.output);
            h0 = res.h_n.detach();
            if (res.c_n.defined()) c0 = res.c_n.detach();
        }
        res.output = cat(outs, time_dim);
    }
    if (unbatched) {
        res.output = res.output.squeeze(batch_first_ ? 0 : 1);
        res.h_n = res.h_n.squeeze(1);
        if (res.c_n.defined()) res.c_n = res.c_n.squeeze(1);
    }
    return res;
}

}  // namespace detail

namespace {
detail::RecurrentKind rnn_kind(RNNNonlinearity n) {
    return n == RNNNonlinearity::ReLU ? detail::RecurrentKind::RNNReLU
                                      : detail::RecurrentKind::RNNTanh;
}
}  // namespace

RNN::RNN(RNNOptions o)
    : RecurrentLayers(rnn_kind(o.nonlinearity), o.input_size, o.hidden_size, o.num_layers, o.bias,
                      o.batch_first, o.dropout, o.bidirectional, o.fused, o.gen) {}
RNNResult RNN::forward(const Tensor& x, const Tensor& h0, const Lengths& lengths) {
    LSTMResult r = run(x, h0, Tensor(), lengths, 0);
    return {r.output, r.h_n};
}
RNNResult RNN::forward_truncated(const Tensor& x, std::int64_t k, const Tensor& h0,
                                 const Lengths& lengths) {
    check(k > 0, "RNN: forward_truncated needs k > 0, got ", k);
    LSTMResult r = run(x, h0, Tensor(), lengths, k);
    return {r.output, r.h_n};
}

GRU::GRU(GRUOptions o)
    : RecurrentLayers(detail::RecurrentKind::GRU, o.input_size, o.hidden_size, o.num_layers, o.bias,
                      o.batch_first, o.dropout, o.bidirectional, o.fused, o.gen) {}
RNNResult GRU::forward(const Tensor& x, const Tensor& h0, const Lengths& lengths) {
    LSTMResult r = run(x, h0, Tensor(), lengths, 0);
    return {r.output, r.h_n};
}
RNNResult GRU::forward_truncated(const Tensor& x, std::int64_t k, const Tensor& h0,
                                 const Lengths& lengths) {
    check(k > 0, "GRU: forward_truncated needs k > 0, got ", k);
    LSTMResult r = run(x, h0, Tensor(), lengths, k);
    return {r.output, r.h_n};
}

LSTM::LSTM(LSTMOptions o)
    : RecurrentLayers(detail::RecurrentKind::LSTM, o.input_size, o.hidden_size, o.num_layers,
                      o.bias, o.batch_first, o.dropout, o.bidirectional, o.fused, o.gen) {}
LSTMResult LSTM::forward(const Tensor& x, const Tensor& h0, const Tensor& c0,
                         const Lengths& lengths) {
    return run(x, h0, c0, lengths, 0);
}
LSTMResult LSTM::forward_truncated(const Tensor& x, std::int64_t k, const Tensor& h0,
                                   const Tensor& c0, const Lengths& lengths) {
    check(k > 0, "LSTM: forward_truncated needs k > 0, got ", k);
    return run(x, h0, c0, lengths, k);
}

}  // namespace soma::nn
