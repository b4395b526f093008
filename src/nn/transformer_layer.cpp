// TransformerEncoderLayer and TransformerDecoderLayer, and the checks they share.

#include "soma/ops.h"
#include "transformer_detail.h"

namespace soma::nn {

namespace detail {

const TransformerLayerOptions& checked(const TransformerLayerOptions& o, const char* who) {
    check(o.d_model > 0, who, ": d_model must be positive, got ", o.d_model);
    check(o.nhead > 0 && o.d_model % o.nhead == 0, who, ": d_model (", o.d_model,
          ") must be divisible by nhead (", o.nhead, ")");
    check(o.dim_feedforward > 0, who, ": dim_feedforward must be positive, got ",
          o.dim_feedforward);
    check(o.dropout >= 0 && o.dropout < 1, who, ": dropout must be in [0, 1), got ", o.dropout);
    check(o.layer_norm_eps >= 0, who, ": layer_norm_eps must be non-negative, got ",
          o.layer_norm_eps);
    return o;
}

MultiheadAttentionOptions attention_options(const TransformerLayerOptions& o) {
    return {.embed_dim = o.d_model,
            .num_heads = o.nhead,
            .dropout = o.dropout,
            .bias = o.bias,
            .batch_first = o.batch_first,
            .gen = o.gen};
}

LinearOptions linear_options(const TransformerLayerOptions& o, std::int64_t in, std::int64_t out) {
    return {.in = in, .out = out, .bias = o.bias, .gen = o.gen};
}

LayerNormOptions norm_options(const TransformerLayerOptions& o) {
    return {.normalized_shape = {o.d_model}, .eps = o.layer_norm_eps, .bias = o.bias};
}

SeqDims seq_dims(const Tensor& x, const TransformerLayerOptions& o, const char* who,
                 const char* name) {
    check(x.defined(), who, ": ", name, " is undefined");
    check(x.dim() == 2 || x.dim() == 3, who, ": ", name, " must be ",
          o.batch_first ? "(N, L, E)" : "(L, N, E)", " or (L, E) unbatched; got shape ", x.shape());
    check(x.size(-1) == o.d_model, who, ": ", name, " has ", x.size(-1), " features, d_model is ",
          o.d_model);
    if (x.dim() == 2) return {1, x.size(0), false};
    return o.batch_first ? SeqDims{x.size(0), x.size(1), true}
                         : SeqDims{x.size(1), x.size(0), true};
}

void check_attn_mask(const Tensor& mask, const SeqDims& q, const SeqDims& k,
                     const TransformerLayerOptions& o, const char* who, const char* name) {
    if (!mask.defined()) return;
    const Shape two{q.len, k.len}, three{q.n * o.nhead, q.len, k.len};
    check(mask.shape() == two || mask.shape() == three, who, ": ", name, " must be ", two,
          " or (N·nhead, L, S) = ", three, "; got ", mask.shape());
}

void check_padding_mask(const Tensor& mask, const SeqDims& k, const char* who, const char* name) {
    if (!mask.defined()) return;
    const Shape want = k.batched ? Shape{k.n, k.len} : Shape{k.len};
    check(mask.shape() == want, who, ": ", name, " must be ",
          k.batched ? "(N, S) = " : "(S) = ", want, "; got ", mask.shape());
}

Tensor feed_forward(const Tensor& x, Linear& linear1, Dropout& dropout, Linear& linear2,
                    TransformerActivation activation) {
    // x: (*, d_model) -> (*, dim_feedforward) -> (*, d_model)
    Tensor h = linear1(x);
    h = activation == TransformerActivation::GELU ? gelu(h) : relu(h);
    return linear2(dropout(h));
}

}  // namespace detail

namespace {

constexpr const char* kEncoder = "TransformerEncoderLayer";
constexpr const char* kDecoder = "TransformerDecoderLayer";

std::string layer_repr(const TransformerLayerOptions& o) {
    std::string s = "d_model=" + std::to_string(o.d_model) + ", nhead=" + std::to_string(o.nhead) +
                    ", dim_feedforward=" + std::to_string(o.dim_feedforward) +
                    ", dropout=" + std::to_string(o.dropout) + ", activation=" +
                    (o.activation == TransformerActivation::GELU ? "gelu" : "relu");
    if (o.batch_first) s += ", batch_first=True";
    if (o.norm_first) s += ", norm_first=True";
    if (!o.bias) s += ", bias=False";
    return s;
}

}  // namespace

// ---- encoder layer ---------------------------------------------------------------------------

TransformerEncoderLayer::TransformerEncoderLayer(TransformerLayerOptions o)
    : self_attn(detail::attention_options(detail::checked(o, kEncoder))),
      linear1(detail::linear_options(o, o.d_model, o.dim_feedforward)),
      dropout(o.dropout, o.gen),
      linear2(detail::linear_options(o, o.dim_feedforward, o.d_model)),
      norm1(detail::norm_options(o)),
      norm2(detail::norm_options(o)),
      dropout1(o.dropout, o.gen),
      dropout2(o.dropout, o.gen),
      o_(o) {}

void TransformerEncoderLayer::visit(Visitor& v) {
    // PyTorch's registration order, so state dicts list the same names in the same order.
    v.module("self_attn", self_attn);
    v.module("linear1", linear1);
    v.module("dropout", dropout);
    v.module("linear2", linear2);
    v.module("norm1", norm1);
    v.module("norm2", norm2);
    v.module("dropout1", dropout1);
    v.module("dropout2", dropout2);
}

std::string TransformerEncoderLayer::extra_repr() const { return layer_repr(o_); }

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask,
                                        const Tensor& src_key_padding_mask, bool is_causal) {
    const detail::SeqDims s = detail::seq_dims(src, o_, kEncoder, "src");
    detail::check_attn_mask(src_mask, s, s, o_, kEncoder, "src_mask");
    detail::check_padding_mask(src_key_padding_mask, s, kEncoder, "src_key_padding_mask");
    // x: like src throughout
    auto sa_block = [&](const Tensor& x) {
        return dropout1(self_attn
                            .forward(x, x, x, src_key_padding_mask, /*need_weights=*/false,
                                     src_mask, true, is_causal)
                            .output);
    };
    auto ff_block = [&](const Tensor& x) {
        return dropout2(detail::feed_forward(x, linear1, dropout, linear2, o_.activation));
    };
    Tensor x = src;
    if (o_.norm_first) {
        x = x + sa_block(norm1(x));
        return x + ff_block(norm2(x));
    }
    x = norm1(x + sa_block(x));
    return norm2(x + ff_block(x));
}

// ---- decoder layer ---------------------------------------------------------------------------

TransformerDecoderLayer::TransformerDecoderLayer(TransformerLayerOptions o)
    : self_attn(detail::attention_options(detail::checked(o, kDecoder))),
      multihead_attn(detail::attention_options(o)),
      linear1(detail::linear_options(o, o.d_model, o.dim_feedforward)),
      dropout(o.dropout, o.gen),
      linear2(detail::linear_options(o, o.dim_feedforward, o.d_model)),
      norm1(detail::norm_options(o)),
      norm2(detail::norm_options(o)),
      norm3(detail::norm_options(o)),
      dropout1(o.dropout, o.gen),
      dropout2(o.dropout, o.gen),
      dropout3(o.dropout, o.gen),
      o_(o) {}

void TransformerDecoderLayer::visit(Visitor& v) {
    v.module("self_attn", self_attn);
    v.module("multihead_attn", multihead_attn);
    v.module("linear1", linear1);
    v.module("dropout", dropout);
    v.module("linear2", linear2);
    v.module("norm1", norm1);
    v.module("norm2", norm2);
    v.module("norm3", norm3);
    v.module("dropout1", dropout1);
    v.module("dropout2", dropout2);
    v.module("dropout3", dropout3);
}

std::string TransformerDecoderLayer::extra_repr() const { return layer_repr(o_); }

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const Tensor& tgt_mask, const Tensor& memory_mask,
                                        const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask, bool tgt_is_causal,
                                        bool memory_is_causal) {
    const detail::SeqDims t = detail::seq_dims(tgt, o_, kDecoder, "tgt");
    const detail::SeqDims m = detail::seq_dims(memory, o_, kDecoder, "memory");
    check(t.batched == m.batched && t.n == m.n, kDecoder, ": tgt ", tgt.shape(), " and memory ",
          memory.shape(), " must have the same batch size");
    detail::check_attn_mask(tgt_mask, t, t, o_, kDecoder, "tgt_mask");
    detail::check_attn_mask(memory_mask, t, m, o_, kDecoder, "memory_mask");
    detail::check_padding_mask(tgt_key_padding_mask, t, kDecoder, "tgt_key_padding_mask");
    detail::check_padding_mask(memory_key_padding_mask, m, kDecoder, "memory_key_padding_mask");
    // x: like tgt throughout
    auto sa_block = [&](const Tensor& x) {
        return dropout1(self_attn
                            .forward(x, x, x, tgt_key_padding_mask, /*need_weights=*/false,
                                     tgt_mask, true, tgt_is_causal)
                            .output);
    };
    auto mha_block = [&](const Tensor& x) {
        return dropout2(multihead_attn
                            .forward(x, memory, memory, memory_key_padding_mask,
                                     /*need_weights=*/false, memory_mask, true, memory_is_causal)
                            .output);
    };
    auto ff_block = [&](const Tensor& x) {
        return dropout3(detail::feed_forward(x, linear1, dropout, linear2, o_.activation));
    };
    Tensor x = tgt;
    if (o_.norm_first) {
        x = x + sa_block(norm1(x));
        x = x + mha_block(norm2(x));
        return x + ff_block(norm3(x));
    }
    x = norm1(x + sa_block(x));
    x = norm2(x + mha_block(x));
    return norm3(x + ff_block(x));
}

}  // namespace soma::nn
