#pragma once
// Argument checks and mask preparation shared by the fused attention op and its composed
// reference (soma/ops_attention.h).

#include <cstdint>
#include <optional>

#include "soma/tensor.h"

namespace soma::ops_detail::attention {

struct Args {
    std::int64_t L, S, E, Ev;  // Ev = 0 when no value was given (attention_weights)
    double scale;
    Tensor mask;  // additive, of q's dtype, broadcastable to (N..., L, S); undefined for none
};

// Checks query, key, value (undefined for attention_weights), attn_mask and dropout_p, naming
// `op` and what was wrong; a boolean (int64) mask comes back as its additive form (0 where
// nonzero, -inf where zero), a floating one as it is.
Args check_args(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                const Tensor& attn_mask, double dropout_p, std::optional<double> scale);

// (L, S): 0 where key j <= query i, -inf above the diagonal.
Tensor causal_mask(std::int64_t L, std::int64_t S, DType dtype);

}  // namespace soma::ops_detail::attention
