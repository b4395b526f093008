#pragma once
// Positional encodings for batch-first sequences (N, L, E): each adds a vector per position to
// every sample, so attention, which is blind to order, can tell positions apart. Dropout (as
// torch.nn.Dropout, training mode only) follows the sum, as in "Attention is all you need".
//
//   nn::SinusoidalPositionalEncoding pos({.d_model = 128, .max_len = 64, .dropout = 0.1});
//   Tensor h = pos(tokens_embedded);  // (N, L, 128) -> (N, L, 128), L <= 64
//
// Sinusoidal: a fixed table pe (max_len, d_model), saved as the buffer "pe",
//   pe[p, 2i] = sin(p / 10000^(2i / d_model)),  pe[p, 2i + 1] = cos(p / 10000^(2i / d_model)),
// the formula of the paper and of PyTorch's tutorial (which odd d_model also fits).
// Learned: an Embedding of positions 0 .. max_len - 1 (child "embedding", N(0, 1) init), trained
// with the rest of the model.

#include <cstdint>
#include <string>

#include "soma/nn/embedding.h"
#include "soma/nn/module.h"

namespace soma::nn {

struct PositionalEncodingOptions {
    std::int64_t d_model = 0;     // E, the embedding size
    std::int64_t max_len = 5000;  // the longest sequence accepted
    double dropout = 0.0;         // probability, applied after the sum when training
    Generator* gen = nullptr;     // dropout masks (and the learned table's init); null: default
};

// The sinusoid table (max_len, d_model) above, computed in double and stored as `dtype`.
Tensor sinusoidal_table(std::int64_t max_len, std::int64_t d_model, DType dtype = kFloat32);

class SinusoidalPositionalEncoding : public Module {
public:
    explicit SinusoidalPositionalEncoding(PositionalEncodingOptions o);
    // x: (N, L, d_model) -> (N, L, d_model), L <= max_len.
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "SinusoidalPositionalEncoding"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override { v.buffer("pe", pe); }

    Tensor pe;  // (max_len, d_model), float32

private:
    PositionalEncodingOptions options_;
};

class LearnedPositionalEncoding : public Module {
public:
    explicit LearnedPositionalEncoding(PositionalEncodingOptions o);
    // x: (N, L, d_model) -> (N, L, d_model), L <= max_len.
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "LearnedPositionalEncoding"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override { v.module("embedding", embedding); }

    Embedding embedding;  // (max_len, d_model): one row per position

private:
    PositionalEncodingOptions options_;
};

}  // namespace soma::nn
