#pragma once
// The Transformer's layers and stacks, like torch.nn.TransformerEncoderLayer,
// TransformerDecoderLayer, TransformerEncoder and TransformerDecoder.
//
//   nn::TransformerEncoderLayer layer({.d_model = 64, .nhead = 4, .batch_first = true});
//   Tensor y = layer.forward(x, {}, pad);        // x: (N, S, 64) -> (N, S, 64)
//   nn::TransformerEncoder enc({.layer = {.d_model = 64, .nhead = 4}, .num_layers = 3});
//   Tensor causal = nn::generate_square_subsequent_mask(T);   // (T, T), -inf above the diagonal
//
// An encoder layer is self-attention then a feed-forward block (linear1, activation, dropout,
// linear2), each with dropout, a residual connection and a LayerNorm: after the residual by
// default (post-norm, "Attention is all you need"), or before the block with norm_first
// (pre-norm). A decoder layer adds attention over the encoder's output (memory) between the two.
//
// Submodules carry PyTorch's names, so a PyTorch state dict loads as it is:
//   encoder layer: self_attn.{in_proj_weight, in_proj_bias, out_proj.*}, linear1, linear2,
//                  norm1, norm2 (dropout, dropout1, dropout2 hold no state);
//   decoder layer: the same plus multihead_attn.* and norm3 (and dropout3);
//   stacks:        layers.0.*, layers.1.*, ..., and norm.* with a final norm.
// Parameters are float32, initialised as each submodule is in PyTorch.
//
// Masks are nn::MultiheadAttention's: a boolean (int64) mask marks with nonzero what may NOT
// be attended; a floating mask (the input's dtype) is added to the scores. Attention masks are
// (L, S) or (N·nhead, L, S); key padding masks (N, S), or (S) unbatched.
// is_causal (tgt_is_causal, memory_is_causal): query i attends to keys j <= i only. PyTorch
// treats it as a hint that the mask given beside it is causal; soma needs no mask with it (a
// mask given as well applies too, which for the causal mask changes nothing).
// Outputs at padded positions are computed like any other, as on PyTorch's ordinary path
// (PyTorch's inference fast path, with nested tensors, returns zeros there instead).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "soma/nn/attention.h"
#include "soma/nn/container.h"
#include "soma/nn/dropout.h"
#include "soma/nn/linear.h"
#include "soma/nn/module.h"
#include "soma/nn/norm.h"

namespace soma::nn {

enum class TransformerActivation { ReLU, GELU };

// PyTorch's arguments and defaults; the encoder and decoder layers take the same.
struct TransformerLayerOptions {
    std::int64_t d_model = 0;
    std::int64_t nhead = 1;  // must divide d_model
    std::int64_t dim_feedforward = 2048;
    double dropout = 0.1;  // attention weights, both residual branches, the feed-forward hidden
    TransformerActivation activation = TransformerActivation::ReLU;
    double layer_norm_eps = 1e-5;
    bool batch_first = false;  // (N, L, E) rather than (L, N, E)
    bool norm_first = false;   // pre-norm: LayerNorm before each block rather than after
    bool bias = true;          // in the Linear, MultiheadAttention and LayerNorm submodules
    Generator* gen = nullptr;  // initialisation and dropout; null: the default generator
};
using TransformerEncoderLayerOptions = TransformerLayerOptions;
using TransformerDecoderLayerOptions = TransformerLayerOptions;

class TransformerEncoderLayer : public Module {
public:
    explicit TransformerEncoderLayer(TransformerLayerOptions o);

    // src: (S, N, E), (N, S, E) with batch_first, or (S, E) unbatched -> the same shape.
    // src_mask: (S, S) or (N·nhead, S, S); src_key_padding_mask: (N, S) or (S).
    Tensor forward(const Tensor& src, const Tensor& src_mask,
                   const Tensor& src_key_padding_mask = Tensor(), bool is_causal = false);
    Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

    std::string type_name() const override { return "TransformerEncoderLayer"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override;
    const TransformerLayerOptions& options() const { return o_; }

    MultiheadAttention self_attn;
    Linear linear1;
    Dropout dropout;
    Linear linear2;
    LayerNorm norm1, norm2;
    Dropout dropout1, dropout2;

private:
    TransformerLayerOptions o_;
};

class TransformerDecoderLayer : public Module {
public:
    explicit TransformerDecoderLayer(TransformerLayerOptions o);

    // tgt: (T, N, E), memory: (S, N, E) (batch first with batch_first; (T, E), (S, E)
    // unbatched) -> like tgt. tgt_mask: (T, T) or (N·nhead, T, T); memory_mask: (T, S) or
    // (N·nhead, T, S); tgt_key_padding_mask: (N, T); memory_key_padding_mask: (N, S).
    Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                   const Tensor& memory_mask = Tensor(),
                   const Tensor& tgt_key_padding_mask = Tensor(),
                   const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                   bool memory_is_causal = false);

    std::string type_name() const override { return "TransformerDecoderLayer"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override;
    const TransformerLayerOptions& options() const { return o_; }

    MultiheadAttention self_attn, multihead_attn;
    Linear linear1;
    Dropout dropout;
    Linear linear2;
    LayerNorm norm1, norm2, norm3;
    Dropout dropout1, dropout2, dropout3;

private:
    TransformerLayerOptions o_;
};

// A stack of num_layers identical layers and an optional final LayerNorm (PyTorch passes
// norm=nn.LayerNorm(d_model) to get one; pre-norm stacks usually do). As in PyTorch, which
// deep-copies one layer num_layers times, every layer starts from the same parameters.
struct TransformerStackOptions {
    TransformerLayerOptions layer;
    std::int64_t num_layers = 1;
    bool norm = false;  // a final LayerNorm(d_model, layer_norm_eps, bias) named "norm"
};
using TransformerEncoderOptions = TransformerStackOptions;
using TransformerDecoderOptions = TransformerStackOptions;

class TransformerEncoder : public Module {
public:
    explicit TransformerEncoder(TransformerStackOptions o);

    // Each layer's forward in turn with the same masks, then the final norm. Shapes as in
    // TransformerEncoderLayer::forward.
    Tensor forward(const Tensor& src, const Tensor& mask,
                   const Tensor& src_key_padding_mask = Tensor(), bool is_causal = false);
    Tensor forward(const Tensor& src) override { return forward(src, Tensor()); }

    std::string type_name() const override { return "TransformerEncoder"; }
    void visit(Visitor& v) override;

    std::int64_t num_layers() const { return static_cast<std::int64_t>(layers.size()); }
    TransformerEncoderLayer& layer(std::int64_t i) const {
        return layers.at<TransformerEncoderLayer>(i);
    }

    ModuleList layers;
    std::shared_ptr<LayerNorm> norm;  // null without a final norm
};

class TransformerDecoder : public Module {
public:
    explicit TransformerDecoder(TransformerStackOptions o);

    // Shapes as in TransformerDecoderLayer::forward; every layer attends to the same memory.
    Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                   const Tensor& memory_mask = Tensor(),
                   const Tensor& tgt_key_padding_mask = Tensor(),
                   const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                   bool memory_is_causal = false);

    std::string type_name() const override { return "TransformerDecoder"; }
    void visit(Visitor& v) override;

    std::int64_t num_layers() const { return static_cast<std::int64_t>(layers.size()); }
    TransformerDecoderLayer& layer(std::int64_t i) const {
        return layers.at<TransformerDecoderLayer>(i);
    }

    ModuleList layers;
    std::shared_ptr<LayerNorm> norm;  // null without a final norm
};

// The causal mask of nn.Transformer.generate_square_subsequent_mask: (sz, sz), 0 on and below
// the diagonal, -inf above it (position i may attend to positions j <= i), in `dtype` (float32
// or float64).
Tensor generate_square_subsequent_mask(std::int64_t sz, DType dtype = kFloat32);

}  // namespace soma::nn
