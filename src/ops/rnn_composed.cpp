// The composed recurrence: every step written with differentiable soma ops, straight from the
// equations in rnn.h. Slow (a dozen nodes per step, gi sliced per step) but obviously right,
// and twice differentiable: the reference the fused kernels are tested against.

#include "ops/rnn_detail.h"
#include "soma/ops.h"

namespace soma::ops_detail::rnn {
namespace {

Tensor affine(const Tensor& x, const Tensor& w, const Tensor& b) {
    Tensor y = matmul(x, w.t());
    return b.defined() ? y + b : y;
}

// gi, gh: (N, G·H) input and recurrent parts, biases included; h, c: (N, H).
CellResult step(CellKind kind, const Tensor& gi, const Tensor& gh, const Tensor& h,
                const Tensor& c) {
    switch (kind) {
        case CellKind::RNNTanh:
            return {tanh(gi + gh), Tensor()};
        case CellKind::RNNReLU:
            return {relu(gi + gh), Tensor()};
        case CellKind::GRU: {
            std::vector<Tensor> i = chunk(gi, 3, 1), r_z_n = chunk(gh, 3, 1);
            Tensor r = sigmoid(i[0] + r_z_n[0]);
            Tensor z = sigmoid(i[1] + r_z_n[1]);
            Tensor n = tanh(i[2] + r * r_z_n[2]);
            return {(1.0 - z) * n + z * h, Tensor()};
        }
        case CellKind::LSTM: {
            std::vector<Tensor> gates = chunk(gi + gh, 4, 1);
            Tensor i = sigmoid(gates[0]), f = sigmoid(gates[1]);
            Tensor g = tanh(gates[2]), o = sigmoid(gates[3]);
            Tensor c2 = f * c + i * g;
            return {o * tanh(c2), c2};
        }
    }
    return {};
}

Tensor or_zeros(const Tensor& t, std::int64_t N, std::int64_t H, DType dt) {
    return t.defined() ? t : zeros({N, H}, dt);
}

}  // namespace

CellResult composed_cell(CellKind kind, const Tensor& x, const Tensor& h, const Tensor& c,
                         const RecurrentWeights& w) {
    const std::int64_t N = x.size(0), H = w.weight_hh.size(1);
    Tensor h0 = or_zeros(h, N, H, x.dtype());
    Tensor c0 = kind == CellKind::LSTM ? or_zeros(c, N, H, x.dtype()) : Tensor();
    return step(kind, affine(x, w.weight_ih, w.bias_ih), affine(h0, w.weight_hh, w.bias_hh), h0,
                c0);
}

LayerResult composed_layer(const LayerSpec& sp, const Tensor& input,
                           const std::vector<const RecurrentWeights*>& w,
                           const std::vector<Tensor>& h0, const std::vector<Tensor>& c0,
                           const std::shared_ptr<const Mask>& mask) {
    const std::int64_t T = sp.T, N = sp.N, H = sp.H;
    const DType dt = input.dtype();
    const bool lstm = sp.kind == CellKind::LSTM;
    Tensor x = sp.input_batch_first ? input.transpose(0, 1) : input;  // (T, N, F)
    LayerResult r;
    std::vector<Tensor> outputs;
    for (std::size_t d = 0; d < w.size(); ++d) {
        Tensor gi = affine(x, w[d]->weight_ih, w[d]->bias_ih);  // (T, N, G·H)
        Tensor h = or_zeros(h0[d], N, H, dt);
        Tensor c = lstm ? or_zeros(c0[d], N, H, dt) : Tensor();
        std::vector<Tensor> out(T);
        for (std::int64_t k = 0; k < T; ++k) {
            std::int64_t t = d == 1 ? T - 1 - k : k;
            CellResult s =
                step(sp.kind, gi.select(0, t), affine(h, w[d]->weight_hh, w[d]->bias_hh), h, c);
            if (!mask) {
                h = s.h, c = s.c, out[t] = s.h;
                continue;
            }
            // Past a sequence's end its state stays and its output is zero.
            std::vector<double> valid(N);
            for (std::int64_t n = 0; n < N; ++n) valid[n] = (*mask)[t * N + n];
            Tensor m = from_vector(valid, {N, 1}, dt);
            h = where(m, s.h, h);
            if (lstm) c = where(m, s.c, c);
            out[t] = s.h * m;
        }
        outputs.push_back(stack(out, 0));  // (T, N, H)
        r.h_n.push_back(h);
        if (lstm) r.c_n.push_back(c);
    }
    r.output = outputs.size() == 1 ? outputs[0] : cat(outputs, 2);
    if (sp.output_batch_first) r.output = r.output.transpose(0, 1).contiguous();
    return r;
}

}  // namespace soma::ops_detail::rnn
