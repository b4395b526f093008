// The fused recurrence. Per direction: one GEMM for the input part of all gates (an ordinary
// matmul node), then per step one GEMM for the recurrent part and one fused kernel, recorded as
// one node whose output is the new state (N, S·H), a view into a buffer of all states.
//
// Only the first step's node has edges to gi, W_hh and the biases. The later steps write their
// gate gradients into buffers the steps share; the first step runs last in every backward pass
// (each step consumes the previous one's state), so it hands out the whole buffers then: gi's
// gradient as is, dW_hh as one GEMM over all steps, the bias gradients as column sums. This
// keeps a backward pass O(T), where a per-step slice of gi would cost a full-size gradient per
// step.

#include <algorithm>
#include <cstring>

#include "backend/cpu/gemm.h"
#include "backend/cpu/reduce.h"
#include "backend/cpu/rnn_kernels.h"
#include "nn/rnn_detail.h"
#include "soma/ops.h"

namespace soma::nn::rnn_detail {
namespace {

namespace cpu = backend::cpu;
using autograd::Grads;
using autograd::NeedsGrad;

const char* step_node_name(CellKind k) {
    switch (k) {
        case CellKind::RNNTanh:
            return "RNNTanhStepBackward";
        case CellKind::RNNReLU:
            return "RNNReluStepBackward";
        case CellKind::GRU:
            return "GRUStepBackward";
        case CellKind::LSTM:
            return "LSTMStepBackward";
    }
    return "";
}

// What the steps of one direction share. Widths G, S and SV are in units of H.
struct Recurrence {
    CellKind kind;
    const char* name;
    std::int64_t T, N, H, G, S, SV;
    bool reverse;
    Tensor w_hh, b_ih, b_hh;  // detached data; zero biases for a layer without bias
    Tensor states;            // (T + 1, N, S·H): the initial state and the state after each step
    Tensor saved;             // (T, N, SV·H): gate values for backward, by time step
    Tensor gh;                // (N, G·H): the recurrent GEMM's output, reused by every step
    std::shared_ptr<const Mask> mask;
    // Alive during a backward pass: the gradients of the input part and of the recurrent part
    // (T·N, G·H), one buffer where the two coincide, and which steps have filled their rows.
    Tensor dgi, dgh;
    std::vector<unsigned char> filled;

    std::int64_t GH() const { return G * H; }
    std::int64_t SH() const { return S * H; }
    // The reverse direction walks t = T-1 .. 0 and stores the state after step t in row t.
    std::int64_t row_before(std::int64_t t) const { return reverse ? t + 1 : t; }
    std::int64_t row_after(std::int64_t t) const { return reverse ? t : t + 1; }
    std::int64_t rows_of(std::int64_t t) const { return t * N * GH(); }  // gi is time-major
    const unsigned char* valid(std::int64_t t) const {
        return mask ? mask->data() + t * N : nullptr;
    }
};

// `zero_state`: the state before the step is all zeros, so is its product with W_hh.
template <class T>
void step_forward(Recurrence& R, T* gi, std::int64_t t, bool zero_state) {
    const std::int64_t GH = R.GH(), SH = R.SH();
    T* states = R.states.data<T>();
    const T* sp = states + R.row_before(t) * R.N * SH;
    // h (N, H; rows strided by S·H) W_hh^T: added into the step's rows of gi, except for GRU,
    // whose n gate needs it apart (gh).
    T* git = gi + R.rows_of(t);
    T* gh = R.kind == CellKind::GRU ? R.gh.data<T>() : nullptr;
    if (gh && zero_state)
        std::fill_n(gh, R.N * GH, T(0));
    else if (!zero_state)
        cpu::gemm<T>(false, true, R.N, GH, R.H, T(1), sp, SH, R.w_hh.data<T>(), R.H, T(gh ? 0 : 1),
                     gh ? gh : git, GH);
    cpu::cell_forward<T>({R.kind, R.N, R.H, git, GH, gh, GH, R.b_ih.data<T>(), R.b_hh.data<T>(), sp,
                          states + R.row_after(t) * R.N * SH, SH,
                          R.SV ? R.saved.data<T>() + t * R.N * R.SV * R.H : nullptr, R.valid(t)});
}

// Fills the step's rows of dgi/dgh and returns the gradient of its input state (the recurrent
// GEMM's part only when `through_gemm`).
template <class T>
Tensor step_backward(Recurrence& R, std::int64_t t, Tensor gy, bool through_gemm) {
    check(!autograd::grad_enabled(), R.name,
          ": the fused recurrence has no double backward (create_graph); build the layer with "
          ".fused = false");
    const std::int64_t GH = R.GH(), SH = R.SH(), rows = R.T * R.N;
    if (gy.size(1) > 1 && gy.stride(1) != 1) gy = gy.contiguous();
    if (!R.dgi.defined()) {
        R.dgi = Tensor::empty({rows, GH}, R.states.dtype());
        // GRU's n gate sees W_hn h only through r: its two parts differ.
        R.dgh = R.kind == CellKind::GRU ? Tensor::empty({rows, GH}, R.states.dtype()) : R.dgi;
        R.filled.assign(R.T, 0);
    }
    R.filled[t] = 1;
    const T* states = R.states.data<T>();
    T* dgh = R.dgh.data<T>() + R.rows_of(t);
    Tensor dsp = Tensor::empty({R.N, SH}, R.states.dtype());
    // Where dh_prev's element-wise part is zero, the GEMM below writes it rather than adds.
    const bool gemm_writes_dh = through_gemm && R.kind != CellKind::GRU && !R.mask;
    cpu::cell_backward<T>({R.kind, R.N, R.H, gy.data<T>(), gy.stride(0),
                           states + R.row_before(t) * R.N * SH, states + R.row_after(t) * R.N * SH,
                           SH, R.SV ? R.saved.data<T>() + t * R.N * R.SV * R.H : nullptr,
                           R.valid(t), R.dgi.data<T>() + R.rows_of(t), GH, dgh, GH, dsp.data<T>(),
                           SH, gemm_writes_dh});
    // dh_prev (+)= dgh_t (N, G·H) W_hh (G·H, H)
    if (through_gemm)
        cpu::gemm<T>(false, false, R.N, R.H, GH, T(1), dgh, GH, R.w_hh.data<T>(), R.H,
                     T(gemm_writes_dh ? 0 : 1), dsp.data<T>(), SH);
    return dsp;
}

// The first step's extra gradients: gi, W_hh, b_ih, b_hh (inputs 1..4), from the full buffers.
template <class T>
void hand_out(Recurrence& R, const NeedsGrad& needs, Grads& g) {
    const std::int64_t GH = R.GH(), rows = R.T * R.N;
    // Steps this pass did not reach (the loss does not depend on them) contribute zeros.
    for (std::int64_t t = 0; t < R.T; ++t)
        if (!R.filled[t]) {
            std::fill_n(R.dgi.data<T>() + R.rows_of(t), R.N * GH, T(0));
            std::fill_n(R.dgh.data<T>() + R.rows_of(t), R.N * GH, T(0));
        }
    const T* dgh = R.dgh.data<T>();
    if (needs[2]) {
        // dW_hh (G·H, H) = sum_t dgh_t^T h_{t-1}: the previous states of all steps are the
        // rows [reverse, reverse + T) of `states`, one (T·N, H) matrix with row stride S·H.
        Tensor dw = Tensor::empty({GH, R.H}, R.states.dtype());
        const T* hprev = R.states.data<T>() + (R.reverse ? 1 : 0) * R.N * R.SH();
        cpu::gemm<T>(true, false, GH, R.H, rows, T(1), dgh, GH, hprev, R.SH(), T(0), dw.data<T>(),
                     R.H);
        g[2] = dw;
    }
    if (needs[3]) {
        g[3] = Tensor::empty({GH}, R.states.dtype());
        cpu::column_sums<T>(R.dgi.data<T>(), rows, GH, GH, g[3].data<T>());
    }
    if (needs[4] && needs[3] && R.dgh.same(R.dgi)) {
        g[4] = g[3].clone();
    } else if (needs[4]) {
        g[4] = Tensor::empty({GH}, R.states.dtype());
        cpu::column_sums<T>(dgh, rows, GH, GH, g[4].data<T>());
    }
    if (needs[1]) g[1] = R.dgi;
}

Tensor record_step(const std::shared_ptr<Recurrence>& R, std::int64_t t, bool first,
                   const Tensor& s_prev, const Tensor& gi, const RecurrentWeights& w) {
    const std::int64_t SH = R->SH();
    Tensor out = Tensor::make_view(R->states, {R->N, SH}, {SH, 1}, R->row_after(t) * R->N * SH);
    const char* name = step_node_name(R->kind);
    if (!first)
        return autograd::record(name, out, {s_prev}, [R, t](const Tensor& gy) {
            return dispatch(gy.dtype(), "rnn step", [&](auto tag) {
                return Grads{step_backward<decltype(tag)>(*R, t, gy, true)};
            });
        });
    Tensor inputs[5] = {s_prev, gi, w.weight_hh, w.bias_ih, w.bias_hh};
    return autograd::record(name, out, inputs, 5, [R, t](const Tensor& gy, const NeedsGrad& needs) {
        return dispatch(gy.dtype(), "rnn step", [&](auto tag) {
            using T = decltype(tag);
            Grads g(5);
            Tensor dsp = step_backward<T>(*R, t, gy, needs[0]);
            if (needs[0]) g[0] = dsp;
            hand_out<T>(*R, needs, g);
            R->dgi = R->dgh = Tensor();  // the next backward pass starts from zeros
            return g;
        });
    });
}

struct Direction {
    std::shared_ptr<Recurrence> R;
    std::vector<Tensor> steps;  // the state after each step (N, S·H), in time order
};

// gi: (T·N, G·H), rows time-major; s0: (N, S·H) or undefined (zeros).
Direction run_direction(CellKind kind, const char* name, const Tensor& gi, std::int64_t T,
                        std::int64_t N, const RecurrentWeights& w, const Tensor& s0,
                        const std::shared_ptr<const Mask>& mask, bool reverse) {
    auto R = std::make_shared<Recurrence>();
    const std::int64_t H = w.weight_hh.size(1);
    const DType dt = gi.dtype();
    R->kind = kind, R->name = name, R->T = T, R->N = N, R->H = H;
    R->G = cpu::cell_gates(kind), R->S = cpu::cell_state_width(kind);
    R->SV = cpu::cell_saved_width(kind), R->reverse = reverse;
    const std::int64_t GH = R->GH(), SH = R->SH();
    R->w_hh = w.weight_hh.detach().contiguous();
    R->b_ih = w.bias_ih.defined() ? w.bias_ih.detach().contiguous() : zeros({GH}, dt);
    R->b_hh = w.bias_hh.defined() ? w.bias_hh.detach().contiguous() : zeros({GH}, dt);
    R->states = Tensor::empty({T + 1, N, SH}, dt);
    R->saved = Tensor::empty({R->SV ? T : 0, N, R->SV * H}, dt);
    R->gh = Tensor::empty({N, GH}, dt);
    R->mask = mask;
    Tensor first_row = Tensor::make_view(R->states, {N, SH}, {SH, 1}, (reverse ? T : 0) * N * SH);
    if (s0.defined())
        first_row.copy_(s0);
    else
        first_row.zero_();

    Direction d{R, std::vector<Tensor>(T)};
    Tensor g = gi.is_contiguous() ? gi : gi.contiguous();
    dispatch(dt, name, [&](auto tag) {
        using TT = decltype(tag);
        TT* pg = g.data<TT>();  // gi is this function's own: the steps add into it
        Tensor prev = s0;
        for (std::int64_t k = 0; k < T; ++k) {
            std::int64_t t = reverse ? T - 1 - k : k;
            step_forward<TT>(*R, pg, t, k == 0 && !s0.defined());
            d.steps[t] = record_step(R, t, k == 0, prev, g, w);
            prev = d.steps[t];
        }
    });
    return d;
}

// The layer output (T, N, D·H) or (N, T, D·H): the h part of every step's state, zero past
// each sequence's end; the directions side by side.
Tensor gather_outputs(const std::vector<Direction>& dirs, const LayerSpec& sp) {
    const std::int64_t T = sp.T, N = sp.N, H = sp.H, D = dirs.size();
    const std::int64_t S = dirs[0].R->S, DH = D * H;
    const DType dt = dirs[0].R->states.dtype();
    const std::shared_ptr<const Mask> mask = dirs[0].R->mask;
    const bool bf = sp.output_batch_first;
    // Element offset of (t, n, 0) in the output, and the stride between sequences.
    auto base = [=](std::int64_t t) { return bf ? t * DH : t * N * DH; };
    const std::int64_t ld = bf ? T * DH : DH;
    Tensor out = Tensor::empty(bf ? Shape{N, T, DH} : Shape{T, N, DH}, dt);
    std::vector<Tensor> inputs;
    inputs.reserve(D * T);
    dispatch(dt, sp.name, [&](auto tag) {
        using TT = decltype(tag);
        TT* po = out.data<TT>();
        for (std::int64_t d = 0; d < D; ++d) {
            const Recurrence& R = *dirs[d].R;
            for (std::int64_t t = 0; t < T; ++t) {
                const TT* src = R.states.data<TT>() + R.row_after(t) * N * S * H;
                for (std::int64_t n = 0; n < N; ++n) {
                    TT* dst = po + base(t) + n * ld + d * H;
                    if (mask && !(*mask)[t * N + n])
                        std::fill(dst, dst + H, TT(0));
                    else
                        std::memcpy(dst, src + n * S * H, H * sizeof(TT));
                }
                inputs.push_back(dirs[d].steps[t]);
            }
        }
    });
    return autograd::record("RNNOutputBackward", out, inputs, [=](const Tensor& gy_in) {
        Tensor gy = gy_in.contiguous();
        Grads g(D * T);
        // A step whose outputs get no gradient (all but the last when only output[T-1] is
        // used) hands on none: its state's gradient then comes from the next step alone,
        // without a zero-filled buffer and an add per step.
        auto all_zero = [&](std::int64_t off) {
            return dispatch(dt, "RNNOutputBackward", [&](auto tag) {
                using TT = decltype(tag);
                const TT* src = gy.data<TT>() - gy.offset() + off;
                for (std::int64_t n = 0; n < N; ++n)
                    for (std::int64_t j = 0; j < H; ++j)
                        if (src[n * ld + j] != TT(0)) return false;
                return true;
            });
        };
        for (std::int64_t d = 0; d < D; ++d)
            for (std::int64_t t = 0; t < T; ++t) {
                std::int64_t off = gy.offset() + base(t) + d * H;
                if (all_zero(off)) continue;
                if (S == 1 && !mask) {  // the state is h itself: a view suffices
                    g[d * T + t] = Tensor::make_view(gy, {N, H}, {ld, 1}, off);
                    continue;
                }
                Tensor gs = zeros({N, S * H}, dt);
                dispatch(dt, "RNNOutputBackward", [&](auto tag) {
                    using TT = decltype(tag);
                    const TT* src = gy.data<TT>() - gy.offset() + off;
                    TT* dst = gs.data<TT>();
                    for (std::int64_t n = 0; n < N; ++n)
                        if (!mask || (*mask)[t * N + n])
                            std::memcpy(dst + n * S * H, src + n * ld, H * sizeof(TT));
                });
                g[d * T + t] = gs;
            }
        return g;
    });
}

// The initial state of one direction as the kernels store it: h, or [h | c] for LSTM.
Tensor initial_state(CellKind kind, const Tensor& h, const Tensor& c, std::int64_t N,
                     std::int64_t H, DType dt) {
    if (kind != CellKind::LSTM || (!h.defined() && !c.defined())) return h;
    return cat({h.defined() ? h : zeros({N, H}, dt), c.defined() ? c : zeros({N, H}, dt)}, 1);
}

}  // namespace

LayerResult fused_layer(const LayerSpec& sp, const Tensor& input,
                        const std::vector<const RecurrentWeights*>& w,
                        const std::vector<Tensor>& h0, const std::vector<Tensor>& c0,
                        const std::shared_ptr<const Mask>& mask) {
    const std::int64_t T = sp.T, N = sp.N, H = sp.H;
    // x: (T, N, F) or (N, T, F) -> (T·N, F) time-major. Copying a batch-first x costs T·N·F;
    // batch-major gates would cost more (a second G·H-wide gradient buffer for dW_hh).
    Tensor x = sp.input_batch_first ? input.transpose(0, 1).contiguous() : input;
    Tensor x2 = x.reshape({T * N, x.size(-1)});
    std::vector<Direction> dirs;
    for (std::size_t d = 0; d < w.size(); ++d) {
        Tensor gi = matmul(x2, w[d]->weight_ih.t());  // (T·N, G·H)
        Tensor s0 = initial_state(sp.kind, h0[d], c0[d], N, H, input.dtype());
        dirs.push_back(run_direction(sp.kind, sp.name, gi, T, N, *w[d], s0, mask, d == 1));
    }
    LayerResult r;
    r.output = gather_outputs(dirs, sp);
    for (const Direction& d : dirs) {
        const Tensor& last = d.steps[d.R->reverse ? 0 : T - 1];
        if (sp.kind != CellKind::LSTM) {
            r.h_n.push_back(last);
        } else {
            r.h_n.push_back(last.narrow(1, 0, H));
            r.c_n.push_back(last.narrow(1, H, H));
        }
    }
    return r;
}

CellResult fused_cell(CellKind kind, const char* name, const Tensor& x, const Tensor& h,
                      const Tensor& c, const RecurrentWeights& w) {
    const std::int64_t N = x.size(0), H = w.weight_hh.size(1);
    Tensor gi = matmul(x, w.weight_ih.t());  // (N, G·H)
    Tensor s0 = initial_state(kind, h, c, N, H, x.dtype());
    Direction d = run_direction(kind, name, gi, 1, N, w, s0, nullptr, false);
    if (kind != CellKind::LSTM) return {d.steps[0], Tensor()};
    return {d.steps[0].narrow(1, 0, H), d.steps[0].narrow(1, H, H)};
}

}  // namespace soma::nn::rnn_detail
