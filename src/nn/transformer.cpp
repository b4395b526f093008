// TransformerEncoder and TransformerDecoder (stacks of layers) and the causal mask.

#include <limits>
#include <vector>

#include "transformer_detail.h"

namespace soma::nn {

namespace {

// num_layers layers of type L, all starting from the first one's parameters (PyTorch
// deep-copies the layer it is given), under the names "0", "1", ...
template <class L>
void build_layers(ModuleList& layers, const TransformerStackOptions& o, const char* who) {
    check(o.num_layers > 0, who, ": num_layers must be positive, got ", o.num_layers);
    detail::checked(o.layer, who);
    auto first = std::make_shared<L>(o.layer);
    layers.push_back(first);
    const StateDict init = first->state_dict();
    for (std::int64_t i = 1; i < o.num_layers; ++i) {
        auto layer = std::make_shared<L>(o.layer);
        layer->load_state_dict(init);
        layers.push_back(layer);
    }
}

}  // namespace

TransformerEncoder::TransformerEncoder(TransformerStackOptions o) {
    build_layers<TransformerEncoderLayer>(layers, o, "TransformerEncoder");
    if (o.norm) norm = std::make_shared<LayerNorm>(detail::norm_options(o.layer));
}

void TransformerEncoder::visit(Visitor& v) {
    v.module("layers", layers);
    if (norm) v.module("norm", *norm);
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask,
                                   const Tensor& src_key_padding_mask, bool is_causal) {
    // src: (S, N, E) or (N, S, E) -> the same
    Tensor x = src;
    for (std::int64_t i = 0; i < num_layers(); ++i)
        x = layer(i).forward(x, mask, src_key_padding_mask, is_causal);
    return norm ? norm->forward(x) : x;
}

TransformerDecoder::TransformerDecoder(TransformerStackOptions o) {
    build_layers<TransformerDecoderLayer>(layers, o, "TransformerDecoder");
    if (o.norm) norm = std::make_shared<LayerNorm>(detail::norm_options(o.layer));
}

void TransformerDecoder::visit(Visitor& v) {
    v.module("layers", layers);
    if (norm) v.module("norm", *norm);
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                   const Tensor& memory_key_padding_mask, bool tgt_is_causal,
                                   bool memory_is_causal) {
    // tgt: (T, N, E), memory: (S, N, E) (or batch first) -> like tgt
    Tensor x = tgt;
    for (std::int64_t i = 0; i < num_layers(); ++i)
        x = layer(i).forward(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                             memory_key_padding_mask, tgt_is_causal, memory_is_causal);
    return norm ? norm->forward(x) : x;
}

Tensor generate_square_subsequent_mask(std::int64_t sz, DType dtype) {
    check(sz >= 0, "generate_square_subsequent_mask: size must be non-negative, got ", sz);
    check(dtype == kFloat32 || dtype == kFloat64,
          "generate_square_subsequent_mask: dtype must be float32 or float64, got ", dtype);
    std::vector<double> m(static_cast<std::size_t>(sz * sz), 0.0);
    for (std::int64_t i = 0; i < sz; ++i)
        for (std::int64_t j = i + 1; j < sz; ++j)
            m[static_cast<std::size_t>(i * sz + j)] = -std::numeric_limits<double>::infinity();
    return from_vector(m, {sz, sz}, dtype);
}

}  // namespace soma::nn
