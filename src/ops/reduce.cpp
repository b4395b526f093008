// sum and mean over any dimensions.

#include "backend/cpu/reduce.h"

#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;

using ops_detail::expand_reduced;

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
    ops_detail::check_defined(x, "sum");
    auto mask = backend::cpu::reduce_mask(dims, x.dim(), "sum");
    Tensor out = backend::cpu::sum(x, mask, keepdim);
    Shape in_shape = x.shape();
    return record(
        "SumBackward", out, {x},
        [in_shape, mask, keepdim](const Tensor& gy) {
            return Grads{expand_reduced(gy, in_shape, mask, keepdim)};
        },
        autograd::kSavesNothing);
}

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
    ops_detail::check_defined(x, "mean");
    auto mask = backend::cpu::reduce_mask(dims, x.dim(), "mean");
    std::int64_t count = 1;
    for (int d = 0; d < x.dim(); ++d)
        if (mask[d]) count *= x.shape()[d];
    check(count > 0, "mean: cannot take the mean over an empty dimension of ", x.shape());
    return mul(sum(x, dims, keepdim), 1.0 / static_cast<double>(count));
}

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

}  // namespace soma
