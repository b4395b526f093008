#pragma once
// Fused scaled dot-product attention, forward and backward, FlashAttention's way on a CPU: per
// (batch·head, block of query rows) the scores against one block of keys at a time, folded into
// the output by an online softmax (a running row maximum and sum), so no L×S matrix is ever held;
// only the log-sum-exp of each query row is kept for the backward pass, which recomputes each
// block's probabilities from q, k and that lse. The block products go through gemm() (BLAS).
//
// Shapes: q (*, L, E), k (*, S, E), v (*, S, Ev) with the same batch dims *, read in place:
// any batch strides (the heads of an (N, H, L, hd) view of (N, L, H·hd) data), but rows of unit
// column stride, at least a row apart;
// mask: undefined, or additive, of q's dtype, broadcastable to (*, L, S), any strides.
// Scores are q kᵀ · scale + mask, and with `causal` query i sees only keys j <= i (top-left
// aligned, like PyTorch's tril when L != S). A row whose every score is -inf comes out NaN, as
// the composed softmax gives.
//
// Threads split the batch·heads (and in forward the query blocks too); every output element is
// written by one thread in a fixed order, so results do not depend on the thread count.

#include <cstdint>

#include "soma/tensor.h"

namespace soma::backend::cpu {

// Rows per query block and per key block. Tests pass small blocks to walk the block logic on
// small shapes.
struct AttentionBlocks {
    std::int64_t q = 64, kv = 128;
};

struct AttentionForward {
    Tensor out;  // (*, L, Ev)
    Tensor lse;  // (*, L): log sum_j exp(score_ij), -inf for a fully masked row
};

AttentionForward attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                   const Tensor& mask, double scale, bool causal,
                                   AttentionBlocks blocks = {});

struct AttentionGrads {
    Tensor dq, dk, dv;  // shapes of q, k, v
    Tensor dmask;       // (*, L, S), the scores' gradient, when asked for; else undefined
};

// dout: (*, L, Ev), any strides. `out` and `lse` are the forward's.
AttentionGrads attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& mask, double scale, bool causal, const Tensor& out,
                                  const Tensor& lse, const Tensor& dout, bool want_dmask,
                                  AttentionBlocks blocks = {});

}  // namespace soma::backend::cpu
