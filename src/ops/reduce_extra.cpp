// var, max/min (over everything or one dimension), argmax/argmin and logsumexp.

#include "backend/cpu/reduce_extra.h"

#include <algorithm>

#include "backend/cpu/reduce.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;
using ops_detail::expand_reduced;

namespace {

void check_floating(const Tensor& x, const char* op) {
    ops_detail::check_defined(x, op);
    check(is_floating(x.dtype()), op, ": int64 tensors are not supported (use a floating dtype)");
}

// The reduced dims' element count.
std::int64_t reduced_count(const Shape& shape, const std::vector<bool>& mask) {
    std::int64_t n = 1;
    for (int d = 0; d < shape.size(); ++d)
        if (mask[d]) n *= shape[d];
    return n;
}

Tensor flat(const Tensor& x) { return x.detach().reshape({x.numel()}); }

// max/min over every element. Ties share the gradient evenly (torch's evenly_distribute).
Tensor extreme_all(const Tensor& x, bool is_max, const char* op, const char* node) {
    check_floating(x, op);
    check(x.numel() > 0, op, ": cannot reduce an empty tensor of shape ", x.shape(),
          " (pass a dim)");
    Tensor values;
    backend::cpu::extreme_along(flat(x), 0, false, is_max, &values, nullptr);
    Tensor out = values.reshape({});
    return record(node, out, {x}, [x, m = out.item<double>(), op](const Tensor& gy) {
        Tensor ties = ops_detail::unary_kernel(x, op, [m](auto v) {
            using T = decltype(v);
            return T(v == T(m) || (v != v && m != m));
        });
        double count = sum(ties).item<double>();
        return Grads{mul(gy, mul(ties, 1.0 / count))};
    });
}

// max/min along one dim; the gradient goes to the first extreme element of each lane.
Tensor extreme_dim(const Tensor& x, std::int64_t dim, bool keepdim, bool is_max, const char* op,
                   const char* node) {
    check_floating(x, op);
    int w = wrap_dim(dim, x.dim(), op);
    check(x.dim() == 0 || x.shape()[w] > 0, op, ": cannot reduce over dimension ", dim,
          " of size 0 (shape ", x.shape(), ")");
    Tensor values, indices;
    backend::cpu::extreme_along(x, w, keepdim, is_max, &values, &indices);
    Shape in_shape = x.shape();
    return record(node, values, {x}, [indices, in_shape, w, keepdim](const Tensor& gy) {
        Tensor g = keepdim || in_shape.size() == 0 ? gy : gy.unsqueeze(w);
        Tensor route = backend::cpu::one_hot_along(indices, in_shape, w, gy.dtype());
        return Grads{mul(g, route)};
    });
}

Tensor arg_extreme_dim(const Tensor& x, std::int64_t dim, bool keepdim, bool is_max,
                       const char* op) {
    check_floating(x, op);
    int w = wrap_dim(dim, x.dim(), op);
    check(x.dim() == 0 || x.shape()[w] > 0, op, ": cannot reduce over dimension ", dim,
          " of size 0 (shape ", x.shape(), ")");
    Tensor indices;
    backend::cpu::extreme_along(x, w, keepdim, is_max, nullptr, &indices);
    return indices;
}

}  // namespace

Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
           std::int64_t correction) {
    check_floating(x, "var");
    auto mask = backend::cpu::reduce_mask(dims, x.dim(), "var");
    Tensor out = backend::cpu::var(x, mask, keepdim, correction);
    const std::int64_t n = reduced_count(x.shape(), mask);
    return record("VarBackward", out, {x}, [=](const Tensor& gy) {
        // d var / dx = 2 (x - mean) / (N - correction); composed so double backward works.
        const double dof = static_cast<double>(std::max<std::int64_t>(0, n - correction));
        Tensor centred = sub(x, mul(sum(x, dims, true), 1.0 / static_cast<double>(n)));
        return Grads{mul(mul(expand_reduced(gy, x.shape(), mask, keepdim), centred), 2.0 / dof)};
    });
}

Tensor max(const Tensor& x) { return extreme_all(x, true, "max", "MaxBackward"); }
Tensor min(const Tensor& x) { return extreme_all(x, false, "min", "MinBackward"); }

Tensor max(const Tensor& x, std::int64_t dim, bool keepdim) {
    return extreme_dim(x, dim, keepdim, true, "max", "MaxBackward");
}
Tensor min(const Tensor& x, std::int64_t dim, bool keepdim) {
    return extreme_dim(x, dim, keepdim, false, "min", "MinBackward");
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
    return arg_extreme_dim(x, dim, keepdim, true, "argmax");
}
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim) {
    return arg_extreme_dim(x, dim, keepdim, false, "argmin");
}

Tensor argmax(const Tensor& x) {
    check_floating(x, "argmax");
    check(x.numel() > 0, "argmax: cannot take the argmax of an empty tensor of shape ", x.shape());
    Tensor indices;
    backend::cpu::extreme_along(flat(x), 0, false, true, nullptr, &indices);
    return indices.reshape({});
}

Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
    check_floating(x, "logsumexp");
    auto mask = backend::cpu::reduce_mask(dims, x.dim(), "logsumexp");
    Tensor out = backend::cpu::logsumexp(x, mask, keepdim);
    Shape keep_shape = backend::cpu::reduced_shape(x.shape(), mask, true);
    Tensor saved =
        Tensor::make_view(out.detach(), keep_shape, contiguous_strides(keep_shape), out.offset());
    return record("LogsumexpBackward", out, {x}, [=](const Tensor& gy) {
        // d lse / dx = exp(x - lse); recomputed when a double backward needs its graph.
        Tensor lse = autograd::grad_enabled() ? logsumexp(x, dims, true) : saved;
        return Grads{mul(expand_reduced(gy, x.shape(), mask, keepdim), exp(sub(x, lse)))};
    });
}

}  // namespace soma
