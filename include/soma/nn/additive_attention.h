#pragma once
// AdditiveAttention: Bahdanau et al.'s (2015) attention for recurrent decoders. A query (the
// decoder's state) scores every key (the encoder's outputs) with a one-hidden-layer network,
//
//   score(q, k_j) = vᵀ tanh(W_q q + W_k k_j + b),   weights = softmax_j(score),
//   context = Σ_j weights_j value_j,
//
// and the weights pick what the context reads from the values (the keys themselves when no
// value is given).
//
//   nn::AdditiveAttention att({.query_dim = 64, .key_dim = 128, .hidden = 64});
//   auto [context, weights] = att.forward(s, enc, enc, pad);
//   // s: (N, 64), enc: (N, S, 128), pad: (N, S) -> context: (N, 128), weights: (N, S)
//
// A decoder attends to the same keys at every step, so W_k k + b can be computed once:
//   Tensor keys = att.project_keys(enc);                       // (N, S, hidden)
//   for (t ...) auto [ctx, w] = att.attend(s_t, keys, enc, pad);
//
// PyTorch has no such module; the names follow its habits: query_proj (Linear query_dim ->
// hidden, no bias), key_proj (Linear key_dim -> hidden, with the bias b), v (Linear hidden ->
// 1, no bias), each initialised like nn.Linear. Parameters are float32 (to_double() converts).
//
// key_padding_mask follows nn::MultiheadAttention: a boolean mask (int64, soma's stand-in for
// bool) is nonzero where a key is padding and may not be attended; a floating mask (the query's
// dtype) is added to the scores. A query whose keys are all masked gets NaN weights, as in
// PyTorch.

#include <cstdint>
#include <string>

#include "soma/nn/linear.h"
#include "soma/nn/module.h"

namespace soma::nn {

struct AdditiveAttentionOptions {
    std::int64_t query_dim = 0;  // features of the query (the decoder's state)
    std::int64_t key_dim = 0;    // features of the keys (the encoder's outputs)
    std::int64_t hidden = 0;     // width of the scoring network; 0: query_dim
    bool bias = true;            // the bias b (in key_proj)
    Generator* gen = nullptr;    // initialisation; null: the default generator
};

struct AdditiveAttentionOutput {
    Tensor context;  // (N, vdim), or (N, L, vdim) for (N, L, query_dim) queries
    Tensor weights;  // (N, S), or (N, L, S)
};

class AdditiveAttention : public Module {
public:
    explicit AdditiveAttention(AdditiveAttentionOptions o);

    // query: (N, query_dim) (one query per batch row) or (N, L, query_dim) (L of them);
    // key: (N, S, key_dim); value: (N, S, vdim), undefined = key; key_padding_mask: (N, S).
    AdditiveAttentionOutput forward(const Tensor& query, const Tensor& key,
                                    const Tensor& value = Tensor(),
                                    const Tensor& key_padding_mask = Tensor());

    // key: (N, S, key_dim) -> W_k key + b: (N, S, hidden).
    Tensor project_keys(const Tensor& key);
    // forward with keys already projected by project_keys; value is required here.
    AdditiveAttentionOutput attend(const Tensor& query, const Tensor& projected_keys,
                                   const Tensor& value, const Tensor& key_padding_mask = Tensor());

    std::string type_name() const override { return "AdditiveAttention"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override;

    // Draws the parameters again, as the constructor does.
    void reset_parameters(Generator* gen = nullptr);

    std::int64_t query_dim() const { return query_dim_; }
    std::int64_t key_dim() const { return key_dim_; }
    std::int64_t hidden() const { return hidden_; }

    Linear query_proj;  // weight (hidden, query_dim)
    Linear key_proj;    // weight (hidden, key_dim), bias (hidden)
    Linear v;           // weight (1, hidden)

private:
    std::int64_t query_dim_, key_dim_, hidden_;
};

}  // namespace soma::nn
