#include "soma/nn/embedding.h"

#include <sstream>

#include "soma/autograd.h"
#include "soma/nn/init.h"
#include "soma/ops.h"

namespace soma::nn {

Embedding::Embedding(EmbeddingOptions o) {
    check(o.num_embeddings > 0, "Embedding: num_embeddings must be positive, got ",
          o.num_embeddings);
    check(o.embedding_dim > 0, "Embedding: embedding_dim must be positive, got ", o.embedding_dim);
    if (o.padding_idx) {
        const std::int64_t p = *o.padding_idx, n = o.num_embeddings;
        check(p >= -n && p < n, "Embedding: padding_idx ", p, " is out of range for ", n,
              " embeddings (expected -", n, " to ", n - 1, ")");
        padding_idx_ = p < 0 ? p + n : p;
    }
    weight = Tensor::empty({o.num_embeddings, o.embedding_dim});
    reset_parameters(o.gen);
    weight.requires_grad_();
}

void Embedding::reset_parameters(Generator* gen) {
    NoGrad no_grad;
    init::normal_(weight, 0.0, 1.0, gen);
    if (padding_idx_) weight.narrow(0, *padding_idx_, 1).zero_();
}

Tensor Embedding::forward(const Tensor& ids) {
    check(ids.defined(), "Embedding: undefined input");
    // ids: (*) -> (*, embedding_dim); the op names an id out of range and the table's size.
    return embedding(weight, ids, padding_idx_);
}

std::string Embedding::extra_repr() const {
    std::ostringstream s;
    s << num_embeddings() << ", " << embedding_dim();
    if (padding_idx_) s << ", padding_idx=" << *padding_idx_;
    return s.str();
}

}  // namespace soma::nn
