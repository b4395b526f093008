// Scaled dot-product attention composed from soma ops: the reference the fused op
// (attention.cpp) is tested against, its dropout path, and nn::MultiheadAttention's path when
// it returns the weights.

#include "ops/attention_args.h"
#include "soma/ops.h"
#include "soma/ops_attention.h"

namespace soma {

namespace {

// q: (N..., L, E), k: (N..., S, E) -> (N..., L, S), with the checked arguments `a`.
Tensor weights_of(const Tensor& q, const Tensor& k, const ops_detail::attention::Args& a,
                  bool is_causal) {
    Tensor s = mul(matmul(q, k.transpose(-2, -1)), a.scale);
    if (a.mask.defined()) s = add(s, a.mask);
    if (is_causal) s = add(s, ops_detail::attention::causal_mask(a.L, a.S, q.dtype()));
    return softmax(s, -1);
}

}  // namespace

Tensor attention_weights(const Tensor& query, const Tensor& key, const Tensor& attn_mask,
                         bool is_causal, std::optional<double> scale) {
    auto a = ops_detail::attention::check_args("attention_weights", query, key, Tensor(), attn_mask,
                                               0.0, scale);
    return weights_of(query, key, a, is_causal);
}

Tensor scaled_dot_product_attention_reference(const Tensor& query, const Tensor& key,
                                              const Tensor& value, const Tensor& attn_mask,
                                              double dropout_p, bool is_causal,
                                              std::optional<double> scale, Generator* gen) {
    check(value.defined(), "scaled_dot_product_attention_reference: undefined value");
    auto a = ops_detail::attention::check_args("scaled_dot_product_attention_reference", query, key,
                                               value, attn_mask, dropout_p, scale);
    Tensor w = weights_of(query, key, a, is_causal);  // (N..., L, S)
    if (dropout_p > 0) w = dropout(w, dropout_p, true, gen);
    return matmul(w, value);  // (N..., L, S) x (N..., S, Ev) -> (N..., L, Ev)
}

}  // namespace soma
