#pragma once
// MultiheadAttention, like torch.nn.MultiheadAttention: the heads attend in parallel over
// projections of query, key and value, and their outputs are concatenated and projected.
//
//   nn::MultiheadAttention mha({.embed_dim = 64, .num_heads = 4, .batch_first = true});
//   auto [out, weights] = mha.forward(x, x, x);
//   // x: (N, L, 64) -> out: (N, L, 64), weights: (N, L, L) averaged over the heads
//
// Parameters carry PyTorch's names, so a PyTorch state dict loads as it is:
//   in_proj_weight (3E, E) when kdim == vdim == embed_dim, else q_proj_weight (E, E),
//   k_proj_weight (E, kdim), v_proj_weight (E, vdim); in_proj_bias (3E) with bias;
//   out_proj.weight (E, E), out_proj.bias (E) (out_proj is a Linear).
// Initialised like PyTorch: Xavier-uniform input projections, zero biases, out_proj.weight as
// Linear's default. Parameters are float32.
//
// Masks follow nn.MultiheadAttention, not scaled_dot_product_attention: a boolean mask (int64,
// soma's stand-in for bool) marks with nonzero the positions that may NOT be attended; a
// floating mask (the query's dtype) is added to the scores. A query row left with no key gives
// NaN, as in PyTorch.

#include <cstdint>
#include <string>

#include "soma/nn/linear.h"
#include "soma/nn/module.h"

namespace soma::nn {

struct MultiheadAttentionOptions {
    std::int64_t embed_dim = 0;
    std::int64_t num_heads = 1;  // must divide embed_dim
    double dropout = 0.0;        // on the attention weights, in training mode
    bool bias = true;            // in_proj_bias and out_proj.bias
    std::int64_t kdim = 0;       // key features; 0: embed_dim
    std::int64_t vdim = 0;       // value features; 0: embed_dim
    bool batch_first = false;    // (N, L, E) rather than (L, N, E)
    Generator* gen = nullptr;    // initialisation and dropout; null: the default generator
};

struct MultiheadAttentionOutput {
    Tensor output;   // like query: (L, N, E), (N, L, E) with batch_first, or (L, E) unbatched
    Tensor weights;  // (N, L, S), or (N, heads, L, S) unaveraged; no N unbatched; undefined
                     // when need_weights is false
};

class MultiheadAttention : public Module {
public:
    explicit MultiheadAttention(MultiheadAttentionOptions o);

    // query: (L, N, E), key: (S, N, kdim), value: (S, N, vdim) (batch first with batch_first;
    // or unbatched (L, E), (S, kdim), (S, vdim)).
    // key_padding_mask: (N, S) or (S) unbatched, nonzero/-inf where a key is padding.
    // attn_mask: (L, S) or (N·num_heads, L, S).
    // need_weights: also return the attention weights (computed by the composed path; without
    // them the fused scaled_dot_product_attention runs). average_attn_weights: average them
    // over the heads. is_causal: query i attends to keys j <= i only; unlike PyTorch it needs
    // no attn_mask beside it (if one is given, both apply).
    MultiheadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                     const Tensor& key_padding_mask = Tensor(),
                                     bool need_weights = true, const Tensor& attn_mask = Tensor(),
                                     bool average_attn_weights = true, bool is_causal = false);

    std::string type_name() const override { return "MultiheadAttention"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override;

    // Draws the parameters again, as the constructor does.
    void reset_parameters(Generator* gen = nullptr);

    std::int64_t embed_dim() const { return o_.embed_dim; }
    std::int64_t num_heads() const { return o_.num_heads; }
    std::int64_t head_dim() const { return o_.embed_dim / o_.num_heads; }

    Tensor in_proj_weight;                               // (3E, E), or undefined
    Tensor q_proj_weight, k_proj_weight, v_proj_weight;  // or these, when kdim/vdim differ
    Tensor in_proj_bias;                                 // (3E), undefined without bias
    Linear out_proj;

private:
    MultiheadAttentionOptions o_;
};

}  // namespace soma::nn
