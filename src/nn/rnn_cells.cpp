// RNNCell, GRUCell, LSTMCell: parameters and argument checks; the step is the ops'
// (rnn_tanh_cell, gru_cell, lstm_cell in soma/ops_rnn.h), fused or composed.

#include <cmath>

#include "soma/nn/init.h"
#include "soma/nn/rnn.h"
#include "soma/ops.h"

namespace soma::nn {
namespace {

void make_params(Tensor& w_ih, Tensor& w_hh, Tensor& b_ih, Tensor& b_hh, const char* name,
                 std::int64_t in, std::int64_t hidden, int gates, bool bias) {
    check(in > 0 && hidden > 0, name, ": input_size and hidden_size must be positive, got ", in,
          " and ", hidden);
    w_ih = Tensor::empty({gates * hidden, in});
    w_hh = Tensor::empty({gates * hidden, hidden});
    if (bias) {
        b_ih = Tensor::empty({gates * hidden});
        b_hh = Tensor::empty({gates * hidden});
    }
}

// PyTorch draws every parameter, in declaration order, from U(-1/sqrt(H), 1/sqrt(H)).
void init_params(std::initializer_list<Tensor*> params, std::int64_t hidden, Generator* gen) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
    for (Tensor* p : params) {
        if (!p->defined()) continue;
        init::uniform_(*p, -bound, bound, gen);
        p->requires_grad_();
    }
}

void visit_params(Visitor& v, Tensor& w_ih, Tensor& w_hh, Tensor& b_ih, Tensor& b_hh) {
    v.param("weight_ih", w_ih);
    v.param("weight_hh", w_hh);
    v.param("bias_ih", b_ih);
    v.param("bias_hh", b_hh);
}

std::string cell_repr(std::int64_t in, std::int64_t hidden, bool bias) {
    return std::to_string(in) + ", " + std::to_string(hidden) + (bias ? "" : ", bias=False");
}

// Checks x (N, in) or (in) and h, c against it; returns them batched, and whether x was not.
struct CellInputs {
    Tensor x, h, c;
    bool unbatched;
};

CellInputs cell_inputs(const char* name, const Tensor& x, const Tensor& h, const Tensor& c,
                       const Tensor& w_ih, std::int64_t hidden) {
    check(x.defined(), name, ": undefined input");
    check((x.dim() == 1 || x.dim() == 2) && x.size(-1) == w_ih.size(1), name, ": input of shape ",
          x.shape(), " should be (N, ", w_ih.size(1), ") or (", w_ih.size(1), ")");
    check(x.dtype() == w_ih.dtype(), name, ": input dtype ", x.dtype(), " differs from the ",
          "parameters' ", w_ih.dtype());
    CellInputs r{x, h, c, x.dim() == 1};
    Shape want = r.unbatched ? Shape{hidden} : Shape{x.size(0), hidden};
    for (auto [t, what] : {std::pair{&r.h, "h"}, std::pair{&r.c, "c"}}) {
        if (!t->defined()) continue;
        check(t->shape() == want, name, ": ", what, " of shape ", t->shape(), " should be ", want,
              " for an input of shape ", x.shape());
        check(t->dtype() == x.dtype(), name, ": ", what, " dtype ", t->dtype(),
              " differs from the input's ", x.dtype());
        if (r.unbatched) *t = t->unsqueeze(0);
    }
    if (r.unbatched) r.x = x.unsqueeze(0);
    return r;
}

// The ops' result for batched inputs, without the batch dimension again when x had none.
Tensor unbatch(const CellInputs& in, const Tensor& h) { return in.unbatched ? h.squeeze(0) : h; }

}  // namespace

RNNCell::RNNCell(RNNCellOptions o) : o_(o) {
    make_params(weight_ih, weight_hh, bias_ih, bias_hh, "RNNCell", o.input_size, o.hidden_size, 1,
                o.bias);
    reset_parameters(o.gen);
}
void RNNCell::reset_parameters(Generator* gen) {
    init_params({&weight_ih, &weight_hh, &bias_ih, &bias_hh}, o_.hidden_size, gen);
}
void RNNCell::visit(Visitor& v) { visit_params(v, weight_ih, weight_hh, bias_ih, bias_hh); }
std::string RNNCell::extra_repr() const {
    return cell_repr(o_.input_size, o_.hidden_size, o_.bias) +
           (o_.nonlinearity == RNNNonlinearity::ReLU ? ", nonlinearity=relu" : "");
}
Tensor RNNCell::forward(const Tensor& x, const Tensor& h) {
    CellInputs in = cell_inputs("RNNCell", x, h, Tensor(), weight_ih, o_.hidden_size);
    const RecurrentWeights w{weight_ih, weight_hh, bias_ih, bias_hh};
    return unbatch(in, o_.nonlinearity == RNNNonlinearity::ReLU
                           ? rnn_relu_cell(in.x, in.h, w, o_.fused)
                           : rnn_tanh_cell(in.x, in.h, w, o_.fused));
}

GRUCell::GRUCell(GRUCellOptions o) : o_(o) {
    make_params(weight_ih, weight_hh, bias_ih, bias_hh, "GRUCell", o.input_size, o.hidden_size, 3,
                o.bias);
    reset_parameters(o.gen);
}
void GRUCell::reset_parameters(Generator* gen) {
    init_params({&weight_ih, &weight_hh, &bias_ih, &bias_hh}, o_.hidden_size, gen);
}
void GRUCell::visit(Visitor& v) { visit_params(v, weight_ih, weight_hh, bias_ih, bias_hh); }
std::string GRUCell::extra_repr() const {
    return cell_repr(o_.input_size, o_.hidden_size, o_.bias);
}
Tensor GRUCell::forward(const Tensor& x, const Tensor& h) {
    CellInputs in = cell_inputs("GRUCell", x, h, Tensor(), weight_ih, o_.hidden_size);
    const RecurrentWeights w{weight_ih, weight_hh, bias_ih, bias_hh};
    return unbatch(in, gru_cell(in.x, in.h, w, o_.fused));
}

LSTMCell::LSTMCell(LSTMCellOptions o) : o_(o) {
    make_params(weight_ih, weight_hh, bias_ih, bias_hh, "LSTMCell", o.input_size, o.hidden_size, 4,
                o.bias);
    reset_parameters(o.gen);
}
void LSTMCell::reset_parameters(Generator* gen) {
    init_params({&weight_ih, &weight_hh, &bias_ih, &bias_hh}, o_.hidden_size, gen);
}
void LSTMCell::visit(Visitor& v) { visit_params(v, weight_ih, weight_hh, bias_ih, bias_hh); }
std::string LSTMCell::extra_repr() const {
    return cell_repr(o_.input_size, o_.hidden_size, o_.bias);
}
LSTMState LSTMCell::forward(const Tensor& x, const Tensor& h, const Tensor& c) {
    CellInputs in = cell_inputs("LSTMCell", x, h, c, weight_ih, o_.hidden_size);
    const RecurrentWeights w{weight_ih, weight_hh, bias_ih, bias_hh};
    const LSTMCellOutput r = lstm_cell(in.x, in.h, in.c, w, o_.fused);
    return {unbatch(in, r.h), unbatch(in, r.c)};
}

}  // namespace soma::nn
