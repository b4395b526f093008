#include "soma/nn/additive_attention.h"

#include <limits>

#include "soma/ops.h"

namespace soma::nn {

namespace {

constexpr const char* kName = "AdditiveAttention";

AdditiveAttentionOptions resolved(AdditiveAttentionOptions o) {
    check(o.query_dim > 0, kName, ": query_dim must be positive, got ", o.query_dim);
    check(o.key_dim > 0, kName, ": key_dim must be positive, got ", o.key_dim);
    check(o.hidden >= 0, kName, ": hidden must be positive (0: query_dim), got ", o.hidden);
    if (o.hidden == 0) o.hidden = o.query_dim;
    return o;
}

}  // namespace

AdditiveAttention::AdditiveAttention(AdditiveAttentionOptions o)
    : query_proj(
          {.in = resolved(o).query_dim, .out = resolved(o).hidden, .bias = false, .gen = o.gen}),
      key_proj({.in = o.key_dim, .out = resolved(o).hidden, .bias = o.bias, .gen = o.gen}),
      v({.in = resolved(o).hidden, .out = 1, .bias = false, .gen = o.gen}),
      query_dim_(o.query_dim),
      key_dim_(o.key_dim),
      hidden_(resolved(o).hidden) {}

void AdditiveAttention::reset_parameters(Generator* gen) {
    query_proj.reset_parameters(gen);
    key_proj.reset_parameters(gen);
    v.reset_parameters(gen);
}

void AdditiveAttention::visit(Visitor& visitor) {
    visitor.module("query_proj", query_proj);
    visitor.module("key_proj", key_proj);
    visitor.module("v", v);
}

std::string AdditiveAttention::extra_repr() const {
    return "query_dim=" + std::to_string(query_dim_) + ", key_dim=" + std::to_string(key_dim_) +
           ", hidden=" + std::to_string(hidden_);
}

Tensor AdditiveAttention::project_keys(const Tensor& key) {
    check(key.defined() && key.dim() == 3, kName, ": key must be (N, S, key_dim); got ",
          key.defined() ? key.shape() : Shape{});
    check(key.size(2) == key_dim_, kName, ": key has ", key.size(2), " features, key_dim is ",
          key_dim_);
    check(key.size(1) > 0, kName, ": no keys to attend to (S = 0)");
    return key_proj.forward(key);  // (N, S, key_dim) -> (N, S, hidden)
}

AdditiveAttentionOutput AdditiveAttention::forward(const Tensor& query, const Tensor& key,
                                                   const Tensor& value,
                                                   const Tensor& key_padding_mask) {
    return attend(query, project_keys(key), value.defined() ? value : key, key_padding_mask);
}

AdditiveAttentionOutput AdditiveAttention::attend(const Tensor& query, const Tensor& keys,
                                                  const Tensor& value,
                                                  const Tensor& key_padding_mask) {
    check(query.defined() && keys.defined() && value.defined(), kName,
          ": undefined query, keys or value");
    const bool many = query.dim() == 3;
    check(many || query.dim() == 2, kName,
          ": query must be (N, query_dim) or (N, L, query_dim); got ", query.shape());
    check(query.size(-1) == query_dim_, kName, ": query has ", query.size(-1),
          " features, query_dim is ", query_dim_);
    check(keys.dim() == 3 && keys.size(2) == hidden_, kName,
          ": projected keys must be (N, S, hidden = ", hidden_, "); got ", keys.shape());
    check(value.dim() == 3, kName, ": value must be (N, S, vdim); got ", value.shape());
    const std::int64_t N = query.size(0), S = keys.size(1);
    check(keys.size(0) == N && value.size(0) == N, kName, ": batch sizes differ (query ",
          query.shape(), ", keys ", keys.shape(), ", value ", value.shape(), ")");
    check(value.size(1) == S, kName, ": keys have ", S, " positions, value ", value.size(1));
    check(S > 0, kName, ": no keys to attend to (S = 0)");

    // Work with L queries per row: (N, L, query_dim).
    const Tensor q = many ? query : query.unsqueeze(1);
    // (N, L, 1, hidden) + (N, 1, S, hidden) -> tanh -> v -> scores (N, L, S)
    Tensor hidden = tanh(add(query_proj.forward(q).unsqueeze(2), keys.unsqueeze(1)));
    Tensor scores = v.forward(hidden).squeeze(-1);
    if (key_padding_mask.defined()) {
        check(key_padding_mask.shape() == Shape{N, S}, kName,
              ": key_padding_mask must be (N, S) = ", Shape{N, S}, "; got ",
              key_padding_mask.shape());
        const DType dt = scores.dtype();
        Tensor m;
        if (key_padding_mask.dtype() == kInt64) {
            m = where(key_padding_mask.to(dt),
                      scalar_tensor(-std::numeric_limits<double>::infinity(), dt),
                      scalar_tensor(0.0, dt));
        } else {
            check(key_padding_mask.dtype() == dt, kName, ": key_padding_mask is ",
                  key_padding_mask.dtype(), " but query is ", dt,
                  " (a float mask has the query's dtype; a boolean mask is int64)");
            m = key_padding_mask;
        }
        scores = add(scores, m.unsqueeze(1));  // (N, 1, S) over the L queries
    }
    AdditiveAttentionOutput r;
    r.weights = softmax(scores, -1);       // (N, L, S)
    r.context = matmul(r.weights, value);  // (N, L, S) @ (N, S, vdim) -> (N, L, vdim)
    if (!many) {
        r.weights = r.weights.squeeze(1);
        r.context = r.context.squeeze(1);
    }
    return r;
}

}  // namespace soma::nn
