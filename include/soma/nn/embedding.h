#pragma once
// Embedding: a lookup table of vectors, one row per token id, as torch.nn.Embedding.
//
//   nn::Embedding emb({.num_embeddings = 30, .embedding_dim = 64, .padding_idx = 0});
//   Tensor y = emb(ids);  // ids: int64 (*) -> (*, 64)
//
// The weight is drawn from N(0, 1) like PyTorch's. With padding_idx, that row starts at zero and
// never receives a gradient, so padding stays a zero vector through training (unless written
// to by hand). An id outside [0, num_embeddings) throws, naming the id and the table's size.

#include <cstdint>
#include <optional>
#include <string>

#include "soma/nn/module.h"

namespace soma::nn {

struct EmbeddingOptions {
    std::int64_t num_embeddings = 0, embedding_dim = 0;
    std::optional<std::int64_t> padding_idx =
        std::nullopt;          // negative counts from the end, as PyTorch
    Generator* gen = nullptr;  // null: the default generator
};

class Embedding : public Module {
public:
    explicit Embedding(EmbeddingOptions o);

    // ids: integer (*) (int64, or floating holding whole numbers) -> (*, embedding_dim).
    Tensor forward(const Tensor& ids) override;
    std::string type_name() const override { return "Embedding"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override { v.param("weight", weight); }

    // Draws the weight again from N(0, 1) and zeroes the padding row.
    void reset_parameters(Generator* gen = nullptr);

    std::int64_t num_embeddings() const { return weight.size(0); }
    std::int64_t embedding_dim() const { return weight.size(1); }
    // The padding row, made non-negative; nullopt without one.
    std::optional<std::int64_t> padding_idx() const { return padding_idx_; }

    Tensor weight;  // (num_embeddings, embedding_dim), float32

private:
    std::optional<std::int64_t> padding_idx_;
};

}  // namespace soma::nn
