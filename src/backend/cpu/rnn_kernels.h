#pragma once
// Fused recurrent-cell kernels: the gate nonlinearities and state update of one time step for a
// batch of rows, forward and backward, on raw row-major data (unit column stride, row strides
// `ld_*` in elements). The GEMMs around them (input part once per sequence, recurrent part once
// per step) are the caller's, through gemm.h.
//
// Gate layout along a row of G*H pre-activations is PyTorch's: RNN (h), GRU (r, z, n),
// LSTM (i, f, g, o). The state row is [h] (RNN, GRU) or [h | c] (LSTM).

#include <cstdint>

namespace soma::backend::cpu {

enum class CellKind { RNNTanh, RNNReLU, GRU, LSTM };

// Gates per hidden unit (G), state width in units of H (1 or 2), saved values per hidden unit.
constexpr int cell_gates(CellKind k) {
    return k == CellKind::GRU ? 3 : k == CellKind::LSTM ? 4 : 1;
}
constexpr int cell_state_width(CellKind k) { return k == CellKind::LSTM ? 2 : 1; }
// GRU keeps (r, z, n, W_hn h + b_hn), LSTM (i, f, g, o, tanh c'); RNN needs only h'.
constexpr int cell_saved_width(CellKind k) {
    return k == CellKind::GRU ? 4 : k == CellKind::LSTM ? 5 : 0;
}

template <class T>
struct CellForwardArgs {
    CellKind kind;
    std::int64_t N, H;
    const T* gi;  // (N, G*H) input part x W_ih^T, biases not included
    std::int64_t ld_gi;
    // (N, G*H) recurrent part h W_hh^T, biases not included; null when gi holds both parts
    // (one GEMM over [x | h]; not for GRU, whose n gate needs the recurrent part apart)
    const T* gh;
    std::int64_t ld_gh;
    const T* b_ih;  // (G*H); never null (zeros for a layer without bias)
    const T* b_hh;
    const T* s_prev;  // (N, S*H) state before the step
    T* s_next;        // (N, S*H) state after it; same row stride as s_prev
    std::int64_t ld_s;
    T* saved;                    // (N, saved*H) contiguous; unused for RNN
    const unsigned char* valid;  // per row, or null for all: an invalid row keeps its state
};

template <class T>
struct CellBackwardArgs {
    CellKind kind;
    std::int64_t N, H;
    const T* ds_next;  // (N, S*H) gradient of the state after the step
    std::int64_t ld_ds;
    const T* s_prev;
    const T* s_next;
    std::int64_t ld_s;
    const T* saved;
    const unsigned char* valid;
    T* dgi;  // (N, G*H) gradient of the input part (and of b_ih)
    std::int64_t ld_dgi;
    T* dgh;  // (N, G*H) gradient of the recurrent part (and of b_hh); may equal dgi except for GRU
    std::int64_t ld_dgh;
    T* ds_prev;  // (N, S*H) the element-wise part of the gradient of s_prev; the caller adds
    std::int64_t ld_dsp;  // dgh W_hh to its h columns
    // RNN and LSTM without a mask: the element-wise part of dh_prev is zero, and the caller's
    // GEMM writes (beta = 0) rather than adds, so the kernel leaves the h columns alone.
    bool gemm_writes_dh = false;
};

template <class T>
void cell_forward(const CellForwardArgs<T>& a);
template <class T>
void cell_backward(const CellBackwardArgs<T>& a);

// The float sigmoid/tanh the kernels use (branch-free, vectorisable, within a few ulp);
// exposed for tests.
float fast_sigmoid(float x);
float fast_tanh(float x);

}  // namespace soma::backend::cpu
