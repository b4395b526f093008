#include "ops/attention_args.h"

#include <cmath>
#include <limits>

#include "soma/ops.h"

namespace soma::ops_detail::attention {

namespace {

// t's batch dims (all but the last two) must equal q's.
void check_batch(const char* op, const char* name, const Tensor& t, const Tensor& q) {
    check(t.dim() == q.dim(), op, ": ", name, " of shape ", t.shape(), " must have query's ",
          q.dim(), " dims (query ", q.shape(), ")");
    for (int d = 0; d + 2 < q.dim(); ++d)
        check(t.size(d) == q.size(d), op, ": ", name, " of shape ", t.shape(),
              " has other batch dims than query ", q.shape(), " (dim ", d, ")");
}

}  // namespace

Args check_args(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                const Tensor& attn_mask, double dropout_p, std::optional<double> scale) {
    check(q.defined() && k.defined(), op, ": undefined query or key");
    check(is_floating(q.dtype()), op, ": query must be float32 or float64, got ", q.dtype());
    check(k.dtype() == q.dtype(), op, ": key is ", k.dtype(), ", query ", q.dtype());
    check(q.dim() >= 2, op, ": query must be (N..., L, E), got shape ", q.shape());
    check_batch(op, "key", k, q);
    check(k.size(-1) == q.size(-1), op, ": key of shape ", k.shape(), " and query of shape ",
          q.shape(), " differ in E (the last dim)");
    Args a{q.size(-2), k.size(-2), q.size(-1), 0, 0.0, Tensor()};
    check(a.S > 0, op, ": key has no positions (S = 0, shape ", k.shape(), ")");
    check(a.E > 0, op, ": query and key have E = 0 (shape ", q.shape(), ")");
    if (v.defined()) {
        check(v.dtype() == q.dtype(), op, ": value is ", v.dtype(), ", query ", q.dtype());
        check_batch(op, "value", v, q);
        check(v.size(-2) == a.S, op, ": value of shape ", v.shape(), " has ", v.size(-2),
              " positions, key of shape ", k.shape(), " has ", a.S);
        a.Ev = v.size(-1);
    }
    check(dropout_p >= 0 && dropout_p < 1, op, ": dropout_p must be in [0, 1), got ", dropout_p);
    check(!scale || std::isfinite(*scale), op, ": scale must be finite, got ", scale.value_or(0));
    a.scale = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(a.E));

    if (attn_mask.defined()) {
        Shape target = q.shape();
        target[target.size() - 1] = a.S;
        const int lead = target.size() - attn_mask.dim();
        bool ok = lead >= 0;
        for (int d = 0; ok && d < attn_mask.dim(); ++d)
            ok = attn_mask.size(d) == 1 || attn_mask.size(d) == target[lead + d];
        check(ok, op, ": attn_mask of shape ", attn_mask.shape(),
              " does not broadcast to (N..., L, S) = ", target);
        if (attn_mask.dtype() == kInt64) {
            // Boolean: True (nonzero) takes part. The additive form keeps the mask's own shape,
            // so a broadcast mask stays small.
            const double inf = std::numeric_limits<double>::infinity();
            a.mask = where(attn_mask.to(q.dtype()), scalar_tensor(0.0, q.dtype()),
                           scalar_tensor(-inf, q.dtype()));
        } else {
            check(attn_mask.dtype() == q.dtype(), op, ": attn_mask is ", attn_mask.dtype(),
                  " but query is ", q.dtype(),
                  " (an additive mask has query's dtype; a boolean mask is int64)");
            a.mask = attn_mask;
        }
    }
    return a;
}

Tensor causal_mask(std::int64_t L, std::int64_t S, DType dtype) {
    return dispatch(dtype, "causal_mask", [&](auto tag) {
        using T = decltype(tag);
        Tensor m = Tensor::empty({L, S}, dtype);
        T* p = m.data<T>();
        for (std::int64_t i = 0; i < L; ++i)
            for (std::int64_t j = 0; j < S; ++j)
                p[i * S + j] = j <= i ? T(0) : -std::numeric_limits<T>::infinity();
        return m;
    });
}

}  // namespace soma::ops_detail::attention
