#pragma once
// Scaled dot-product attention, like torch.nn.functional.scaled_dot_product_attention:
//
//   out = softmax(q kᵀ · scale + mask) v
//
//   Tensor out = scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true);
//   // q: (N..., L, E), k: (N..., S, E), v: (N..., S, Ev) -> out: (N..., L, Ev)
//
// attn_mask, broadcastable to (N..., L, S), is either
//   boolean: an int64 tensor (soma has no bool dtype), nonzero = the key takes part, zero = it
//            is masked out (PyTorch's SDPA convention; nn::MultiheadAttention's is the opposite);
//   additive: a floating tensor of q's dtype added to the scores (-inf masks out); it gets a
//            gradient when it requires one.
// is_causal: query i sees keys j <= i only (top-left aligned when L != S, like PyTorch's tril).
// Unlike PyTorch, is_causal may be combined with attn_mask: both apply.
// scale: default 1 / sqrt(E). q, k and v share a floating dtype and the same batch dims N...
// (no broadcasting between them). S and E must be positive.
//
// A query row that sees no key at all (every score -inf) comes out NaN, as softmax over an
// all -inf row does in PyTorch's composed form; its gradients are NaN too.
//
// Without dropout the op is fused (backend/cpu/attention.h): an online softmax over blocks of
// keys, so memory stays O(L + S) per head rather than O(L·S), and a hand-written backward that
// recomputes the probabilities from the saved log-sum-exp. With dropout_p > 0 (PyTorch applies
// it whenever dropout_p > 0; pass 0 in eval mode) it takes the composed path, dropping weights
// with `gen` (null: soma's default generator). Under create_graph the backward is composed from
// soma ops, so the op is twice differentiable either way.

#include <optional>

#include "soma/tensor.h"

namespace soma {

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0,
                                    bool is_causal = false,
                                    std::optional<double> scale = std::nullopt,
                                    Generator* gen = nullptr);

// The same, composed from soma ops (matmul, add, softmax, dropout, matmul): the reference the
// fused kernels are tested against. It keeps the (N..., L, S) weights.
Tensor scaled_dot_product_attention_reference(const Tensor& query, const Tensor& key,
                                              const Tensor& value,
                                              const Tensor& attn_mask = Tensor(),
                                              double dropout_p = 0.0, bool is_causal = false,
                                              std::optional<double> scale = std::nullopt,
                                              Generator* gen = nullptr);

// The attention weights alone, softmax(q kᵀ · scale + mask) (N..., L, S), composed and
// differentiable, for callers that return them (nn::MultiheadAttention with need_weights).
// Arguments as above.
Tensor attention_weights(const Tensor& query, const Tensor& key, const Tensor& attn_mask = Tensor(),
                         bool is_causal = false, std::optional<double> scale = std::nullopt);

}  // namespace soma
