#pragma once
// What the Transformer layers and stacks share (src/nn/transformer*.cpp): option checks, the
// submodules' options, and the shape checks that name the argument a user passed.

#include <cstdint>

#include "soma/nn/transformer.h"

namespace soma::nn::detail {

// Throws soma::Error, naming `who`, unless the options make a layer; returns them.
const TransformerLayerOptions& checked(const TransformerLayerOptions& o, const char* who);

MultiheadAttentionOptions attention_options(const TransformerLayerOptions& o);
LinearOptions linear_options(const TransformerLayerOptions& o, std::int64_t in, std::int64_t out);
LayerNormOptions norm_options(const TransformerLayerOptions& o);

// Batch size and length of a layer input x: (L, N, E), (N, L, E) batch first, or (L, E)
// unbatched (N = 1); checks its rank and that E is d_model.
struct SeqDims {
    std::int64_t n, len;
    bool batched;
};
SeqDims seq_dims(const Tensor& x, const TransformerLayerOptions& o, const char* who,
                 const char* name);

// An attention mask (undefined, (L, S) or (N·nhead, L, S)) and a key padding mask (undefined,
// (N, S), or (S) unbatched).
void check_attn_mask(const Tensor& mask, const SeqDims& q, const SeqDims& k,
                     const TransformerLayerOptions& o, const char* who, const char* name);
void check_padding_mask(const Tensor& mask, const SeqDims& k, const char* who, const char* name);

// The feed-forward block: linear2(dropout(activation(linear1(x)))).
Tensor feed_forward(const Tensor& x, Linear& linear1, Dropout& dropout, Linear& linear2,
                    TransformerActivation activation);

}  // namespace soma::nn::detail
