#pragma once
// Internals of the recurrent ops (rnn.cpp): the fused recurrence of one layer or cell step
// (rnn_fused.cpp) and the composed reference it is tested against (rnn_composed.cpp). Both take
// the same arguments and return the same results; the ops check the arguments first.

#include <memory>
#include <vector>

#include "backend/cpu/rnn_kernels.h"
#include "soma/ops_rnn.h"

namespace soma::ops_detail::rnn {

using backend::cpu::CellKind;

// Per time step and sequence: 1 while t < length. Indexed [t * N + n]; shared by all layers.
using Mask = std::vector<unsigned char>;

struct LayerSpec {
    CellKind kind;
    std::int64_t T, N, H;
    bool input_batch_first;   // input (N, T, F) rather than (T, N, F)
    bool output_batch_first;  // output (N, T, D·H) rather than (T, N, D·H)
    const char* name;         // the op, for messages
};

struct LayerResult {
    Tensor output;                 // (T, N, D·H) or (N, T, D·H); contiguous
    std::vector<Tensor> h_n, c_n;  // per direction: (N, H); c_n only for LSTM
};

struct CellResult {
    Tensor h, c;  // (N, H); c only for LSTM
};

// One layer of a sequence layer; `w` holds one entry per direction (forward, then reverse).
// input: (T, N, F) or (N, T, F), any strides. h0, c0: per direction (N, H) or
// undefined (zeros). mask: null when every sequence runs all T steps.
LayerResult fused_layer(const LayerSpec& spec, const Tensor& input,
                        const std::vector<const RecurrentWeights*>& w,
                        const std::vector<Tensor>& h0, const std::vector<Tensor>& c0,
                        const std::shared_ptr<const Mask>& mask);
LayerResult composed_layer(const LayerSpec& spec, const Tensor& input,
                           const std::vector<const RecurrentWeights*>& w,
                           const std::vector<Tensor>& h0, const std::vector<Tensor>& c0,
                           const std::shared_ptr<const Mask>& mask);

// One step of a cell. x: (N, F); h, c: (N, H) or undefined (zeros).
CellResult fused_cell(CellKind kind, const char* name, const Tensor& x, const Tensor& h,
                      const Tensor& c, const RecurrentWeights& w);
CellResult composed_cell(CellKind kind, const Tensor& x, const Tensor& h, const Tensor& c,
                         const RecurrentWeights& w);

}  // namespace soma::ops_detail::rnn
