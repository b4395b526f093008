#include "soma/nn/attention.h"

#include <limits>
#include <vector>

#include "soma/nn/init.h"
#include "soma/ops.h"
#include "soma/ops_attention.h"

namespace soma::nn {

namespace {

constexpr const char* kName = "MultiheadAttention";

MultiheadAttentionOptions resolved(MultiheadAttentionOptions o) {
    check(o.embed_dim > 0, kName, ": embed_dim must be positive, got ", o.embed_dim);
    check(o.num_heads > 0 && o.embed_dim % o.num_heads == 0, kName, ": embed_dim (", o.embed_dim,
          ") must be divisible by num_heads (", o.num_heads, ")");
    check(o.dropout >= 0 && o.dropout < 1, kName, ": dropout must be in [0, 1), got ", o.dropout);
    check(o.kdim >= 0 && o.vdim >= 0, kName, ": kdim and vdim must be positive (0: embed_dim)");
    if (o.kdim == 0) o.kdim = o.embed_dim;
    if (o.vdim == 0) o.vdim = o.embed_dim;
    return o;
}

// An nn.MultiheadAttention mask in additive form: boolean (int64) nonzero means "may not
// attend" (-inf), a floating mask is added as it is.
Tensor additive(const Tensor& m, DType dt, const char* name) {
    if (m.dtype() == kInt64)
        return where(m.to(dt), scalar_tensor(-std::numeric_limits<double>::infinity(), dt),
                     scalar_tensor(0.0, dt));
    check(m.dtype() == dt, kName, ": ", name, " is ", m.dtype(), " but query is ", dt,
          " (a float mask has the query's dtype; a boolean mask is int64)");
    return m;
}

}  // namespace

MultiheadAttention::MultiheadAttention(MultiheadAttentionOptions o)
    : out_proj({.in = resolved(o).embed_dim, .out = o.embed_dim, .bias = o.bias, .gen = o.gen}),
      o_(resolved(o)) {
    const std::int64_t E = o_.embed_dim;
    if (o_.kdim == E && o_.vdim == E) {
        in_proj_weight = Tensor::empty({3 * E, E});
    } else {
        q_proj_weight = Tensor::empty({E, E});
        k_proj_weight = Tensor::empty({E, o_.kdim});
        v_proj_weight = Tensor::empty({E, o_.vdim});
    }
    if (o_.bias) in_proj_bias = Tensor::empty({3 * E});
    // out_proj drew its weight when built, as in PyTorch; the rest is drawn here.
    init::xavier_uniform_(in_proj_weight.defined() ? in_proj_weight : q_proj_weight, 1.0, o_.gen);
    if (!in_proj_weight.defined()) {
        init::xavier_uniform_(k_proj_weight, 1.0, o_.gen);
        init::xavier_uniform_(v_proj_weight, 1.0, o_.gen);
    }
    if (o_.bias) {
        init::zeros_(in_proj_bias);
        init::zeros_(out_proj.bias);
    }
    for (Tensor* p :
         {&in_proj_weight, &q_proj_weight, &k_proj_weight, &v_proj_weight, &in_proj_bias})
        if (p->defined()) p->requires_grad_();
}

void MultiheadAttention::reset_parameters(Generator* gen) {
    out_proj.reset_parameters(gen);
    for (Tensor* w : {&in_proj_weight, &q_proj_weight, &k_proj_weight, &v_proj_weight})
        if (w->defined()) init::xavier_uniform_(*w, 1.0, gen);
    if (o_.bias) {
        init::zeros_(in_proj_bias);
        init::zeros_(out_proj.bias);
    }
}

void MultiheadAttention::visit(Visitor& v) {
    // PyTorch's registration order, so state dicts list the same names in the same order.
    v.param("in_proj_weight", in_proj_weight);
    v.param("q_proj_weight", q_proj_weight);
    v.param("k_proj_weight", k_proj_weight);
    v.param("v_proj_weight", v_proj_weight);
    v.param("in_proj_bias", in_proj_bias);
    v.module("out_proj", out_proj);
}

std::string MultiheadAttention::extra_repr() const {
    std::string s =
        "embed_dim=" + std::to_string(o_.embed_dim) + ", num_heads=" + std::to_string(o_.num_heads);
    if (o_.kdim != o_.embed_dim || o_.vdim != o_.embed_dim)
        s += ", kdim=" + std::to_string(o_.kdim) + ", vdim=" + std::to_string(o_.vdim);
    if (o_.dropout > 0) s += ", dropout=" + std::to_string(o_.dropout);
    if (o_.batch_first) s += ", batch_first=True";
    return s;
}

MultiheadAttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                                     const Tensor& value,
                                                     const Tensor& key_padding_mask,
                                                     bool need_weights, const Tensor& attn_mask,
                                                     bool average_attn_weights, bool is_causal) {
    check(query.defined() && key.defined() && value.defined(), kName,
          ": undefined query, key or value");
    const bool batched = query.dim() == 3;
    check(batched || query.dim() == 2, kName, ": query must be (L, N, E), (N, L, E) with ",
          "batch_first, or (L, E) unbatched; got shape ", query.shape());
    check(key.dim() == query.dim() && value.dim() == query.dim(), kName, ": key ", key.shape(),
          " and value ", value.shape(), " must have as many dims as query ", query.shape());
    // Work batch first: (N, L, features).
    auto batch_first = [&](const Tensor& t) {
        return !batched ? t.unsqueeze(0) : o_.batch_first ? t : t.transpose(0, 1);
    };
    const Tensor q = batch_first(query), k = batch_first(key), v = batch_first(value);
    const std::int64_t N = q.size(0), L = q.size(1), S = k.size(1);
    const std::int64_t E = o_.embed_dim, H = o_.num_heads, hd = E / H;
    check(q.size(2) == E, kName, ": query has ", q.size(2), " features, embed_dim is ", E);
    check(k.size(2) == o_.kdim, kName, ": key has ", k.size(2), " features, kdim is ", o_.kdim);
    check(v.size(2) == o_.vdim, kName, ": value has ", v.size(2), " features, vdim is ", o_.vdim);
    check(k.size(0) == N && v.size(0) == N, kName, ": batch sizes differ (query ", query.shape(),
          ", key ", key.shape(), ", value ", value.shape(), ")");
    check(v.size(1) == S, kName, ": key has ", S, " positions, value ", v.size(1));

    // Projections, (N, len, features) -> (N, H, len, hd). Self-attention (one tensor for all
    // three) projects with one GEMM.
    std::vector<Tensor> p(3);
    const bool self = query.same(key) && key.same(value) && in_proj_weight.defined();
    if (self) {
        p = chunk(linear(q, in_proj_weight, in_proj_bias), 3, -1);
    } else {
        std::vector<Tensor> w =
            in_proj_weight.defined()
                ? chunk(in_proj_weight, 3, 0)
                : std::vector<Tensor>{q_proj_weight, k_proj_weight, v_proj_weight};
        std::vector<Tensor> b = o_.bias ? chunk(in_proj_bias, 3, 0) : std::vector<Tensor>(3);
        const Tensor* x[] = {&q, &k, &v};
        for (int i = 0; i < 3; ++i) p[i] = linear(*x[i], w[i], b[i]);
    }
    auto heads = [&](const Tensor& t, std::int64_t len) {
        return t.reshape({N, len, H, hd}).transpose(1, 2);
    };
    const Tensor qh = heads(p[0], L), kh = heads(p[1], S), vh = heads(p[2], S);

    // One additive mask broadcastable to (N, H, L, S).
    const DType dt = q.dtype();
    Tensor mask;
    if (attn_mask.defined()) {
        mask = additive(attn_mask, dt, "attn_mask");
        const bool ok = mask.shape() == Shape{L, S} || mask.shape() == Shape{N * H, L, S};
        check(ok, kName, ": attn_mask must be (L, S) = ", Shape{L, S},
              " or (N·num_heads, L, S) = ", Shape{N * H, L, S}, "; got ", attn_mask.shape());
        if (mask.dim() == 3) mask = mask.reshape({N, H, L, S});
    }
    if (key_padding_mask.defined()) {
        const Shape want = batched ? Shape{N, S} : Shape{S};
        check(key_padding_mask.shape() == want, kName, ": key_padding_mask must be ",
              batched ? "(N, S) = " : "(S) = ", want, "; got ", key_padding_mask.shape());
        Tensor m = additive(key_padding_mask, dt, "key_padding_mask").reshape({N, 1, 1, S});
        mask = mask.defined() ? add(mask, m) : m;
    }

    const double p_drop = is_training() ? o_.dropout : 0.0;
    MultiheadAttentionOutput r;
    Tensor ctx;  // (N, H, L, hd)
    if (need_weights) {
        // The weights are wanted, so they are held: the composed path.
        r.weights = attention_weights(qh, kh, mask, is_causal);  // (N, H, L, S)
        if (p_drop > 0) r.weights = dropout(r.weights, p_drop, true, o_.gen);
        ctx = matmul(r.weights, vh);
        if (average_attn_weights) r.weights = mean(r.weights, {1});  // (N, L, S)
        if (!batched) r.weights = r.weights.squeeze(0);
    } else {
        ctx =
            scaled_dot_product_attention(qh, kh, vh, mask, p_drop, is_causal, std::nullopt, o_.gen);
    }
    // (N, H, L, hd) -> (N, L, E) -> out_proj -> the query's layout
    Tensor out = out_proj.forward(ctx.transpose(1, 2).reshape({N, L, E}));
    r.output = !batched ? out.squeeze(0) : o_.batch_first ? out : out.transpose(0, 1);
    return r;
}

}  // namespace soma::nn
