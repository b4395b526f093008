// softmax and log_softmax along one dimension, with fused forward and backward kernels.

#include "backend/cpu/reduce_extra.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;

// x: (..., n, ...) -> y of the same shape, each lane along `dim` summing to 1.
Tensor softmax(const Tensor& x, std::int64_t dim) {
    ops_detail::check_defined(x, "softmax");
    int w = wrap_dim(dim, x.dim(), "softmax");
    Tensor y = backend::cpu::softmax(x, w, false);
    return record("SoftmaxBackward", y, {x}, [x, w, y = y.detach()](const Tensor& gy) {
        if (autograd::grad_enabled()) {
            // Double backward: the same formula in differentiable ops, reaching x and gy.
            Tensor s = softmax(x, w);
            return Grads{mul(s, sub(gy, sum(mul(gy, s), {w}, true)))};
        }
        return Grads{backend::cpu::softmax_backward(y, gy, w, false)};  // y (g - sum(g y))
    });
}

// x: (..., n, ...) -> x - logsumexp(x) along `dim`.
Tensor log_softmax(const Tensor& x, std::int64_t dim) {
    ops_detail::check_defined(x, "log_softmax");
    int w = wrap_dim(dim, x.dim(), "log_softmax");
    Tensor y = backend::cpu::softmax(x, w, true);
    return record("LogSoftmaxBackward", y, {x}, [x, w, y = y.detach()](const Tensor& gy) {
        if (autograd::grad_enabled()) {
            Tensor ls = log_softmax(x, w);
            return Grads{sub(gy, mul(exp(ls), sum(gy, {w}, true)))};
        }
        return Grads{backend::cpu::softmax_backward(y, gy, w, true)};  // g - exp(y) sum(g)
    });
}

}  // namespace soma
