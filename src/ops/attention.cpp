// scaled_dot_product_attention: the fused op (kernels in backend/cpu/attention.h), recorded as
// one node with a hand-written backward.

#include "backend/cpu/attention.h"

#include <algorithm>

#include "ops/attention_args.h"
#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/ops_attention.h"

namespace soma {

namespace {

using autograd::Grads;
using autograd::NeedsGrad;

// The same gradients in differentiable ops, for create_graph: with P = softmax(S),
// dV = Pᵀ g, dS = P ∘ (g Vᵀ - rowsum(P ∘ g Vᵀ)), dQ = scale dS K, dK = scale dSᵀ Q, dmask = dS.
Grads composed_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                        bool is_causal, double scale, const Tensor& gy, bool mask_input) {
    Tensor p = attention_weights(q, k, mask, is_causal, scale);  // (N..., L, S)
    Tensor dp = matmul(gy, v.transpose(-2, -1));
    Tensor ds = mul(p, sub(dp, sum(mul(dp, p), {-1}, true)));
    Grads g{mul(matmul(ds, k), scale), mul(matmul(ds.transpose(-2, -1), q), scale),
            matmul(p.transpose(-2, -1), gy)};
    if (mask_input) g.push_back(ds);
    return g;
}

// The kernels read rows of unit column stride in place, whatever the batch strides (so the
// heads of nn::MultiheadAttention's (N, H, L, hd) views are not copied); anything else is.
Tensor data_of(const Tensor& t) {
    Tensor d = t.detach();
    const std::int64_t rows = d.size(-2), cols = d.size(-1);
    const bool in_place = (cols <= 1 || d.stride(-1) == 1) &&
                          (rows <= 1 || d.stride(-2) >= std::max<std::int64_t>(cols, 1));
    return in_place ? d : d.contiguous();
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask, double dropout_p, bool is_causal,
                                    std::optional<double> scale, Generator* gen) {
    check(value.defined(), "scaled_dot_product_attention: undefined value");
    const auto a = ops_detail::attention::check_args("scaled_dot_product_attention", query, key,
                                                     value, attn_mask, dropout_p, scale);
    // Dropout acts on the weights, which the fused kernels never hold.
    if (dropout_p > 0)
        return scaled_dot_product_attention_reference(query, key, value, attn_mask, dropout_p,
                                                      is_causal, scale, gen);
    Tensor qd = data_of(query), kd = data_of(key), vd = data_of(value);
    Tensor md = a.mask.defined() ? a.mask.detach() : Tensor();  // any strides: the kernel reads
    // q: (N..., L, E), k: (N..., S, E), v: (N..., S, Ev) -> out: (N..., L, Ev), lse: (N..., L)
    auto f = backend::cpu::attention_forward(qd, kd, vd, md, a.scale, is_causal);
    // A floating mask is an input with a gradient; a boolean one is not differentiable.
    const bool mask_input = attn_mask.defined() && attn_mask.dtype() != kInt64;
    std::vector<Tensor> inputs{query, key, value};
    if (mask_input) inputs.push_back(attn_mask);
    return autograd::record(
        "ScaledDotProductAttentionBackward", f.out, inputs,
        [q = query, k = key, v = value, mask = attn_mask, qd, kd, vd, md, scale = a.scale,
         is_causal, mask_input, out = f.out.detach(),
         lse = f.lse](const Tensor& gy, const NeedsGrad& needs) {
            if (autograd::grad_enabled())
                return composed_backward(q, k, v, mask, is_causal, scale, gy, mask_input);
            auto g = backend::cpu::attention_backward(qd, kd, vd, md, scale, is_causal, out, lse,
                                                      gy, mask_input && needs[3]);
            Grads r{g.dq, g.dk, g.dv};
            if (mask_input) r.push_back(g.dmask);
            return r;
        });
}

}  // namespace soma
