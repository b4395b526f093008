// The fused recurrence. Per direction and step: one GEMM for the gates' pre-activations and one
// fused kernel for the gate functions and the state update, recorded as one node whose output
// is the new state (N, S·H), a view into a buffer of all states.
//
// Each row of that buffer holds a step's input next to the state it starts from, [x_t | h | c].
// A step's GEMM is then [x_t | h] [W_ih | W_hh]^T, the input and recurrent parts at once, with
// the weights packed once per sequence (packed_gemm.h); and the weight gradients are dgates^T
// [x | h_prev] over many steps at once, dW_ih and dW_hh together. GRU, whose n gate needs the
// recurrent part apart, takes its input part from one GEMM over the whole sequence instead.
//
// Only the first step's node has edges to the layer input and the weights. The later steps
// write their gate gradients into buffers the steps share, and add them to the weight and bias
// gradients in chunks of steps while they are in cache; the first step runs last in every
// backward pass (each step consumes the previous one's state), so it hands out the results
// then, and dx as one GEMM over all steps. This keeps a backward pass O(T).

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <variant>

#include "backend/cpu/gemm.h"
#include "backend/cpu/packed_gemm.h"
#include "backend/cpu/reduce.h"
#include "backend/cpu/rnn_kernels.h"
#include "ops/rnn_detail.h"
#include "soma/ops.h"

namespace soma::ops_detail::rnn {
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
    std::int64_t T, N, F, H, G, S, SV;
    bool reverse;
    bool input_batch_first;
    Shape input_shape;
    Tensor w_ih, w_hh, b_ih, b_hh;  // detached data; zero biases for a layer without bias
    // The recurrent products' right-hand operands, packed once for all steps (packed_gemm.h)
    // when there are several: a single step (the cells) multiplies the weights as they are.
    bool packs = false;
    template <class T>
    struct Packed {
        // Forward: [W_ih | W_hh]^T (F + H, G·H), or for GRU W_hh^T (H, G·H).
        cpu::PackedRhs<T> forward;
        // Backward: W_hh (G·H, H), packed by the first step of a backward pass.
        cpu::PackedRhs<T> backward;
    };
    std::variant<Packed<float>, Packed<double>> packed;
    template <class T>
    Packed<T>& packed_as() {
        return std::get<Packed<T>>(packed);
    }
    // (T + 1, N, F + S·H): rows of [x_t | state before step t], the last state with no input
    Tensor states;
    Tensor saved;  // (T, N, SV·H): gate values for backward, by time step
    // (N, G·H), reused by every step: the gates' pre-activations, or for GRU the recurrent part
    Tensor gates;
    std::shared_ptr<const Mask> mask;
    // Which weights wanted gradients when the steps were recorded; `joint`: both, and one
    // gate gradient serves both (all but GRU), so one product gives [dW_ih | dW_hh].
    bool grad_w_ih = false, grad_w_hh = false, joint = false;
    bool zero_initial = false;  // no initial state given: the first step starts from zeros
    // Alive during a backward pass: the gradients of the input part and of the recurrent part
    // (T·N, G·H), one buffer where the two coincide, and which steps have filled their rows.
    Tensor dgi, dgh;
    std::vector<unsigned char> filled;
    // The weight and bias gradients so far ([dW_ih | dW_hh] when joint, else dW_ih and dW_hh
    // apart; db_hh only for GRU), and the filled steps [pend_begin, pend_end) not yet added.
    Tensor dw, dw_hh, db_ih, db_hh;
    std::int64_t pend_begin = 0, pend_end = 0;

    std::int64_t GH() const { return G * H; }
    std::int64_t SH() const { return S * H; }
    std::int64_t W() const { return F + S * H; }  // row width of `states`
    // The reverse direction walks t = T-1 .. 0 and stores the state after step t in row t.
    std::int64_t row_before(std::int64_t t) const { return reverse ? t + 1 : t; }
    std::int64_t row_after(std::int64_t t) const { return reverse ? t : t + 1; }
    // The rows before steps 0 .. T-1 are consecutive: the steps' [x_t | h_prev] as one matrix.
    std::int64_t first_row() const { return reverse ? 1 : 0; }
    std::int64_t rows_of(std::int64_t t) const { return t * N * GH(); }  // gi is time-major
    template <class T>
    T* row(std::int64_t r) const {
        return states.data<T>() + r * N * W();
    }
    template <class T>
    T* state(std::int64_t r) const {
        return row<T>(r) + F;
    }
    const unsigned char* valid(std::int64_t t) const {
        return mask ? mask->data() + t * N : nullptr;
    }
};

// `zero_state`: the state before the step is all zeros, so is its product with W_hh.
// gi: GRU's input part of all steps' gates, from one GEMM over the sequence.
template <class T>
void step_forward(Recurrence& R, const T* gi, std::int64_t t, bool zero_state) {
    const std::int64_t GH = R.GH();
    const T* sp = R.state<T>(R.row_before(t));
    T* gates = R.gates.data<T>();
    const T* git;
    if (R.kind == CellKind::GRU) {
        // The n gate needs h W_hn^T apart: gates holds the recurrent part.
        git = gi + R.rows_of(t);
        if (zero_state)
            std::fill_n(gates, R.N * GH, T(0));
        else if (R.packs)
            cpu::gemm_packed<T>(R.N, R.H, sp, R.W(), R.packed_as<T>().forward, T(0), gates, GH);
        else
            cpu::gemm<T>(false, true, R.N, GH, R.H, T(1), sp, R.W(), R.w_hh.data<T>(), R.H, T(0),
                         gates, GH);
    } else {
        // [x_t | h] (N, F + H; rows strided by W) [W_ih | W_hh]^T: one GEMM for both parts.
        const T* xh = R.row<T>(R.row_before(t));
        const std::int64_t K = zero_state ? R.F : R.F + R.H;
        if (R.packs) {
            cpu::gemm_packed<T>(R.N, K, xh, R.W(), R.packed_as<T>().forward, T(0), gates, GH);
        } else {
            cpu::gemm<T>(false, true, R.N, GH, R.F, T(1), xh, R.W(), R.w_ih.data<T>(), R.F, T(0),
                         gates, GH);
            if (!zero_state)
                cpu::gemm<T>(false, true, R.N, GH, R.H, T(1), sp, R.W(), R.w_hh.data<T>(), R.H,
                             T(1), gates, GH);
        }
        git = gates;
    }
    cpu::cell_forward<T>({R.kind, R.N, R.H, git, GH, R.kind == CellKind::GRU ? gates : nullptr, GH,
                          R.b_ih.data<T>(), R.b_hh.data<T>(), sp, R.state<T>(R.row_after(t)), R.W(),
                          R.SV ? R.saved.data<T>() + t * R.N * R.SV * R.H : nullptr, R.valid(t)});
}

// Adds steps [t0, t1)'s part of the weight gradients, dgates^T (G·H, rows) [x | h_prev] (rows,
// F + H) with the states rows before those steps read with row stride W, and of the bias
// gradients, dgates' column sums.
template <class T>
void add_weight_grads(Recurrence& R, std::int64_t t0, std::int64_t t1) {
    const std::int64_t GH = R.GH(), F = R.F, H = R.H, rows = (t1 - t0) * R.N;
    if (rows <= 0) return;
    const T* xh = R.row<T>(R.first_row() + t0);
    const T* dgi = R.dgi.data<T>() + R.rows_of(t0);
    const T* dgh = R.dgh.data<T>() + R.rows_of(t0);
    const DType dt = R.states.dtype();
    auto add = [&](Tensor& dw, const T* dg, const T* xs, std::int64_t cols) {
        const T beta = dw.defined() ? T(1) : T(0);
        if (!dw.defined()) dw = Tensor::empty({GH, cols}, dt);
        cpu::gemm<T>(true, false, GH, cols, rows, T(1), dg, GH, xs, R.W(), beta, dw.data<T>(),
                     cols);
    };
    auto add_sums = [&](Tensor& db, const T* dg) {
        const bool accumulate = db.defined();
        if (!accumulate) db = Tensor::empty({GH}, dt);
        cpu::column_sums<T>(dg, rows, GH, GH, db.data<T>(), accumulate);
    };
    add_sums(R.db_ih, dgi);
    if (!R.dgh.same(R.dgi)) add_sums(R.db_hh, dgh);
    if (R.joint) {
        // The first step's h_prev is zero when no initial state was given: its rows add to the
        // dW_ih columns alone (one step fewer in the long product).
        const std::int64_t first = R.reverse ? R.T - 1 : 0;
        if (R.zero_initial && first >= t0 && first < t1) {
            const std::int64_t before = (first - t0) * R.N, after = (t1 - first - 1) * R.N;
            const T* dgf = R.dgi.data<T>() + R.rows_of(first);
            const T* xf = R.row<T>(R.first_row() + first);
            if (!R.dw.defined()) R.dw = zeros({GH, F + H}, dt);
            cpu::gemm<T>(true, false, GH, F, R.N, T(1), dgf, GH, xf, R.W(), T(1), R.dw.data<T>(),
                         F + H);
            // The other steps of the run: before the first step's rows and after them.
            if (before > 0)
                cpu::gemm<T>(true, false, GH, F + H, before, T(1), dgi, GH, xh, R.W(), T(1),
                             R.dw.data<T>(), F + H);
            if (after > 0)
                cpu::gemm<T>(true, false, GH, F + H, after, T(1), dgf + R.N * GH, GH,
                             xf + R.N * R.W(), R.W(), T(1), R.dw.data<T>(), F + H);
            return;
        }
        add(R.dw, dgi, xh, F + H);
        return;
    }
    if (R.grad_w_ih) add(R.dw, dgi, xh, F);
    if (R.grad_w_hh) add(R.dw_hh, dgh, xh + F, H);
}

// The weight-gradient products go in chunks of about this many rows, consecutive steps whose
// gate gradients are still in cache: 110 GF/s for one product over all 28 steps of the
// fmnist-lstm workload, 118 in chunks of 512 or 896 rows.
constexpr std::int64_t kWeightGradRows = 512;

// Step t has filled its rows: extends the pending run of steps, and adds it to the weight
// gradients once it is long enough (or when t does not continue it).
template <class T>
void pend_weight_grads(Recurrence& R, std::int64_t t) {
    if (R.pend_begin == R.pend_end) {
        R.pend_begin = t, R.pend_end = t + 1;
    } else if (t + 1 == R.pend_begin) {
        R.pend_begin = t;
    } else if (t == R.pend_end) {
        R.pend_end = t + 1;
    } else {
        add_weight_grads<T>(R, R.pend_begin, R.pend_end);
        R.pend_begin = t, R.pend_end = t + 1;
    }
    if ((R.pend_end - R.pend_begin) * R.N >= kWeightGradRows) {
        add_weight_grads<T>(R, R.pend_begin, R.pend_end);
        R.pend_begin = R.pend_end = 0;
    }
}

// Fills the step's rows of dgi/dgh and returns the gradient of its input state (the recurrent
// GEMM's part only when `through_gemm`).
template <class T>
Tensor step_backward(Recurrence& R, std::int64_t t, Tensor gy, bool through_gemm) {
    check(!autograd::grad_enabled(), R.name,
          ": the fused recurrence has no double backward (create_graph); use the composed "
          "one (fused = false, in the op or the layer's options)");
    const std::int64_t GH = R.GH(), SH = R.SH(), rows = R.T * R.N;
    if (gy.size(1) > 1 && gy.stride(1) != 1) gy = gy.contiguous();
    if (!R.dgi.defined()) {
        R.dgi = Tensor::empty({rows, GH}, R.states.dtype());
        // GRU's n gate sees W_hn h only through r: its two parts differ.
        R.dgh = R.kind == CellKind::GRU ? Tensor::empty({rows, GH}, R.states.dtype()) : R.dgi;
        R.filled.assign(R.T, 0);
    }
    R.filled[t] = 1;
    T* dgh = R.dgh.data<T>() + R.rows_of(t);
    Tensor dsp = Tensor::empty({R.N, SH}, R.states.dtype());
    // Where dh_prev's element-wise part is zero, the GEMM below writes it rather than adds.
    const bool gemm_writes_dh = through_gemm && R.kind != CellKind::GRU && !R.mask;
    cpu::cell_backward<T>({R.kind, R.N, R.H, gy.data<T>(), gy.stride(0),
                           R.state<T>(R.row_before(t)), R.state<T>(R.row_after(t)), R.W(),
                           R.SV ? R.saved.data<T>() + t * R.N * R.SV * R.H : nullptr, R.valid(t),
                           R.dgi.data<T>() + R.rows_of(t), GH, dgh, GH, dsp.data<T>(), SH,
                           gemm_writes_dh});
    // dh_prev (+)= dgh_t (N, G·H) W_hh (G·H, H)
    const T beta = gemm_writes_dh ? T(0) : T(1);
    if (through_gemm && R.packs) {
        cpu::PackedRhs<T>& w_hh = R.packed_as<T>().backward;
        if (w_hh.empty()) w_hh = cpu::PackedRhs<T>(R.w_hh.data<T>(), GH, R.H, R.H, false);
        cpu::gemm_packed<T>(R.N, GH, dgh, GH, w_hh, beta, dsp.data<T>(), SH);
    } else if (through_gemm) {
        cpu::gemm<T>(false, false, R.N, R.H, GH, T(1), dgh, GH, R.w_hh.data<T>(), R.H, beta,
                     dsp.data<T>(), SH);
    }
    pend_weight_grads<T>(R, t);
    return dsp;
}

// dx (T, N, F) or (N, T, F), the input's layout, contiguous: dgi (T·N, G·H) W_ih (G·H, F).
template <class T>
Tensor input_grad(const Recurrence& R) {
    const std::int64_t GH = R.GH();
    Tensor dx = Tensor::empty(R.input_shape, R.states.dtype());
    if (!R.input_batch_first) {
        cpu::gemm<T>(false, false, R.T * R.N, R.F, GH, T(1), R.dgi.data<T>(), GH, R.w_ih.data<T>(),
                     R.F, T(0), dx.data<T>(), R.F);
        return dx;
    }
    // Batch-first: step t's rows go to dx[:, t], rows T·F apart.
    for (std::int64_t t = 0; t < R.T; ++t)
        cpu::gemm<T>(false, false, R.N, R.F, GH, T(1), R.dgi.data<T>() + R.rows_of(t), GH,
                     R.w_ih.data<T>(), R.F, T(0), dx.data<T>() + t * R.F, R.T * R.F);
    return dx;
}

// The first step's extra gradients: x, W_ih, W_hh, b_ih, b_hh (inputs 1..5), from the full
// buffers and the sums so far.
template <class T>
void hand_out(Recurrence& R, const NeedsGrad& needs, Grads& g) {
    const std::int64_t F = R.F, H = R.H;
    if (needs[1]) {
        // Steps this pass did not reach (the loss does not depend on them) contribute zeros.
        for (std::int64_t t = 0; t < R.T; ++t)
            if (!R.filled[t]) std::fill_n(R.dgi.data<T>() + R.rows_of(t), R.N * R.GH(), T(0));
        g[1] = input_grad<T>(R);
    }
    add_weight_grads<T>(R, R.pend_begin, R.pend_end);
    check((!needs[2] || R.grad_w_ih) && (!needs[3] || R.grad_w_hh), R.name,
          ": a weight needs a gradient it did not ask for when the steps were recorded");
    if (R.joint) {
        if (needs[2]) g[2] = R.dw.narrow(1, 0, F).contiguous();
        if (needs[3]) g[3] = R.dw.narrow(1, F, H).contiguous();
    } else {
        if (needs[2]) g[2] = R.dw;
        if (needs[3]) g[3] = R.dw_hh;
    }
    if (needs[4]) g[4] = R.db_ih;
    if (needs[5]) g[5] = R.dgh.same(R.dgi) ? (needs[4] ? R.db_ih.clone() : R.db_ih) : R.db_hh;
}

Tensor record_step(const std::shared_ptr<Recurrence>& R, std::int64_t t, bool first,
                   const Tensor& s_prev, const Tensor& x, const RecurrentWeights& w) {
    Tensor out = Tensor::make_view(R->states, {R->N, R->SH()}, {R->W(), 1},
                                   R->row_after(t) * R->N * R->W() + R->F);
    const char* name = step_node_name(R->kind);
    if (!first)
        return autograd::record(name, out, {s_prev}, [R, t](const Tensor& gy) {
            return dispatch(gy.dtype(), "rnn step", [&](auto tag) {
                return Grads{step_backward<decltype(tag)>(*R, t, gy, true)};
            });
        });
    Tensor inputs[6] = {s_prev, x, w.weight_ih, w.weight_hh, w.bias_ih, w.bias_hh};
    return autograd::record(name, out, inputs, 6, [R, t](const Tensor& gy, const NeedsGrad& needs) {
        return dispatch(gy.dtype(), "rnn step", [&](auto tag) {
            using T = decltype(tag);
            Grads g(6);
            Tensor dsp = step_backward<T>(*R, t, gy, needs[0]);
            if (needs[0]) g[0] = dsp;
            hand_out<T>(*R, needs, g);
            // The next backward pass starts from zeros.
            R->dgi = R->dgh = R->dw = R->dw_hh = R->db_ih = R->db_hh = Tensor();
            R->packed_as<T>().backward = {};
            R->pend_begin = R->pend_end = 0;
            return g;
        });
    });
}

struct Direction {
    std::shared_ptr<Recurrence> R;
    std::vector<Tensor> steps;  // the state after each step (N, S·H), in time order
};

// x: (T, N, F), or (N, T, F) when `batch_first`; s0: (N, S·H) or undefined (zeros).
Direction run_direction(CellKind kind, const char* name, const Tensor& x, bool batch_first,
                        const RecurrentWeights& w, const Tensor& s0,
                        const std::shared_ptr<const Mask>& mask, bool reverse) {
    auto R = std::make_shared<Recurrence>();
    const std::int64_t T = x.size(batch_first ? 1 : 0), N = x.size(batch_first ? 0 : 1);
    const std::int64_t F = x.size(2), H = w.weight_hh.size(1);
    const DType dt = x.dtype();
    R->kind = kind, R->name = name, R->T = T, R->N = N, R->F = F, R->H = H;
    R->G = cpu::cell_gates(kind), R->S = cpu::cell_state_width(kind);
    R->SV = cpu::cell_saved_width(kind), R->reverse = reverse;
    R->input_batch_first = batch_first, R->input_shape = x.shape();
    const std::int64_t GH = R->GH(), SH = R->SH();
    R->w_ih = w.weight_ih.detach().contiguous();
    R->w_hh = w.weight_hh.detach().contiguous();
    R->b_ih = w.bias_ih.defined() ? w.bias_ih.detach().contiguous() : zeros({GH}, dt);
    R->b_hh = w.bias_hh.defined() ? w.bias_hh.detach().contiguous() : zeros({GH}, dt);
    R->states = Tensor::empty({T + 1, N, R->W()}, dt);
    R->saved = Tensor::empty({R->SV ? T : 0, N, R->SV * H}, dt);
    R->gates = Tensor::empty({N, GH}, dt);
    R->mask = mask;
    R->grad_w_ih = w.weight_ih.requires_grad(), R->grad_w_hh = w.weight_hh.requires_grad();
    R->joint = R->grad_w_ih && R->grad_w_hh && kind != CellKind::GRU;
    R->zero_initial = !s0.defined();
    // Packing costs about one step's product: a single step pays it for nothing (an LSTMCell
    // step, 64 -> 128 units, took 60 us packed against 22 plain), two steps already gain.
    R->packs = T >= 2;
    Tensor first_state =
        Tensor::make_view(R->states, {N, SH}, {R->W(), 1}, (reverse ? T : 0) * N * R->W() + F);
    if (s0.defined())
        first_state.copy_(s0);
    else
        first_state.zero_();

    Direction d{R, std::vector<Tensor>(T)};
    const Tensor xc = x.contiguous();
    Tensor gi;  // GRU: the input part of every step's gates
    dispatch(dt, name, [&](auto tag) {
        using TT = decltype(tag);
        // x_t goes next to the state step t starts from.
        const TT* px = xc.data<TT>();
        for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t n = 0; n < N; ++n)
                std::memcpy(R->row<TT>(R->row_before(t)) + n * R->W(),
                            px + (batch_first ? n * T + t : t * N + n) * F, F * sizeof(TT));
        if (kind == CellKind::GRU) {
            gi = Tensor::empty({T * N, GH}, dt);
            cpu::gemm<TT>(false, true, T * N, GH, F, TT(1), R->row<TT>(R->first_row()), R->W(),
                          R->w_ih.data<TT>(), F, TT(0), gi.data<TT>(), GH);
        }
        const TT* pg = gi.defined() ? gi.data<TT>() : nullptr;
        auto& packed = R->packed.template emplace<Recurrence::Packed<TT>>();
        if (R->packs && kind == CellKind::GRU) {
            packed.forward = cpu::PackedRhs<TT>(R->w_hh.data<TT>(), H, GH, H, true);
        } else if (R->packs) {  // [W_ih | W_hh]^T
            packed.forward = cpu::PackedRhs<TT>(
                {{R->w_ih.data<TT>(), F, F}, {R->w_hh.data<TT>(), H, H}}, GH, true);
        }
        Tensor prev = s0;
        for (std::int64_t k = 0; k < T; ++k) {
            std::int64_t t = reverse ? T - 1 - k : k;
            step_forward<TT>(*R, pg, t, k == 0 && !s0.defined());
            d.steps[t] = record_step(R, t, k == 0, prev, x, w);
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
                const TT* src = R.state<TT>(R.row_after(t));
                for (std::int64_t n = 0; n < N; ++n) {
                    TT* dst = po + base(t) + n * ld + d * H;
                    if (mask && !(*mask)[t * N + n])
                        std::fill(dst, dst + H, TT(0));
                    else
                        std::memcpy(dst, src + n * R.W(), H * sizeof(TT));
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
                // OR of the bits without the sign, per row: an integer loop that vectorises,
                // nonzero exactly where some entry != 0 (NaN included, -0 not).
                using Bits = std::conditional_t<sizeof(TT) == 4, std::uint32_t, std::uint64_t>;
                const Bits magnitude = ~Bits(0) >> 1;
                for (std::int64_t n = 0; n < N; ++n) {
                    Bits bits = 0;
                    for (std::int64_t j = 0; j < H; ++j)
                        bits |= std::bit_cast<Bits>(src[n * ld + j]) & magnitude;
                    if (bits != 0) return false;
                }
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
    std::vector<Direction> dirs;
    for (std::size_t d = 0; d < w.size(); ++d) {
        Tensor s0 = initial_state(sp.kind, h0[d], c0[d], N, H, input.dtype());
        dirs.push_back(
            run_direction(sp.kind, sp.name, input, sp.input_batch_first, *w[d], s0, mask, d == 1));
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
    Tensor s0 = initial_state(kind, h, c, N, H, x.dtype());
    Direction d = run_direction(kind, name, x.unsqueeze(0), false, w, s0, nullptr, false);
    if (kind != CellKind::LSTM) return {d.steps[0], Tensor()};
    return {d.steps[0].narrow(1, 0, H), d.steps[0].narrow(1, H, H)};
}

}  // namespace soma::ops_detail::rnn
