// linear(x, W, b) = x W^T + b as one node: the Linear layer's forward and backward with no
// broadcast add, no un-broadcasting sum and no transposed copies.

#include <cstring>

#include "backend/cpu/gemm.h"
#include "backend/cpu/reduce.h"
#include "soma/autograd.h"
#include "soma/ops.h"

namespace soma {

namespace {

namespace cpu = backend::cpu;
using autograd::Grads;
using autograd::NeedsGrad;

void check_linear(const Tensor& x, const Tensor& w, const Tensor& b) {
    check(x.defined() && w.defined(), "linear: undefined input or weight");
    check(w.dim() == 2, "linear: weight of shape ", w.shape(), " should be (out, in)");
    if (x.dim() < 1 || x.size(-1) != w.size(1))
        fail("linear: input of shape ", x.shape(), " does not end in in_features=", w.size(1),
             " of weight ", w.shape());
    check(x.dtype() == w.dtype(), "linear: input dtype ", x.dtype(), " differs from the weight's ",
          w.dtype());
    if (!b.defined()) return;
    if (b.dim() != 1 || b.size(0) != w.size(0))
        fail("linear: bias of shape ", b.shape(), " should be (", w.size(0), ",)");
    check(b.dtype() == w.dtype(), "linear: bias dtype ", b.dtype(), " differs from the weight's ",
          w.dtype());
}

// The backward as differentiable ops, for create_graph (double backward).
Grads composed_backward(const Tensor& gy, const Tensor& x, const Tensor& w, bool has_bias,
                        const NeedsGrad& needs) {
    const std::int64_t in = w.size(1), out = w.size(0);
    Tensor g2 = gy.reshape({-1, out});
    Grads g(3);
    if (needs[0]) g[0] = matmul(g2, w).reshape(x.shape());
    if (needs[1]) g[1] = matmul(g2.t(), x.reshape({-1, in}));
    if (has_bias && needs[2]) g[2] = sum(g2, {0});
    return g;
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
    check_linear(x, w, b);
    // Strided inputs take the general matmul, which knows every layout.
    if (!x.is_contiguous() || !w.is_contiguous() || (b.defined() && !b.is_contiguous()))
        return b.defined() ? matmul(x, w.t()) + b : matmul(x, w.t());
    const std::int64_t in = w.size(1), out = w.size(0),
                       rows = x.numel() / std::max<std::int64_t>(in, 1);
    Shape shape = x.shape();
    shape[shape.size() - 1] = out;
    Tensor y = Tensor::empty(shape, x.dtype());
    const bool has_bias = b.defined();
    dispatch(x.dtype(), "linear", [&](auto tag) {
        using T = decltype(tag);
        T* py = y.data<T>();
        if (has_bias)  // every row starts as b; the GEMM adds x W^T onto it
            for (std::int64_t r = 0; r < rows; ++r)
                std::memcpy(py + r * out, b.data<T>(), out * sizeof(T));
        if (in == 0) {
            if (!has_bias) std::memset(py, 0, y.numel() * sizeof(T));
            return;
        }
        cpu::gemm<T>(false, true, rows, out, in, T(1), x.data<T>(), in, w.data<T>(), in,
                     T(has_bias ? 1 : 0), py, out);
    });
    return autograd::record(
        "LinearBackward", y, {x, w, b},
        [x, w, has_bias](const Tensor& gy_in, const NeedsGrad& needs) {
            if (autograd::grad_enabled()) return composed_backward(gy_in, x, w, has_bias, needs);
            const std::int64_t in = w.size(1), out = w.size(0);
            std::int64_t rows = 1;  // the product of x's leading dims (x may be empty)
            for (int d = 0; d + 1 < x.dim(); ++d) rows *= x.size(d);
            const Tensor gy = gy_in.is_contiguous() ? gy_in : gy_in.contiguous();
            Grads g(3);
            dispatch(gy.dtype(), "linear backward", [&](auto tag) {
                using T = decltype(tag);
                const T* pg = gy.data<T>();
                if (needs[0]) {  // dx (rows, in) = gy (rows, out) W (out, in)
                    g[0] = Tensor::empty(x.shape(), x.dtype());
                    cpu::gemm<T>(false, false, rows, in, out, T(1), pg, out, w.data<T>(), in, T(0),
                                 g[0].data<T>(), in);
                }
                if (needs[1]) {  // dW (out, in) = gy^T x
                    g[1] = Tensor::empty(w.shape(), w.dtype());
                    cpu::gemm<T>(true, false, out, in, rows, T(1), pg, out, x.data<T>(), in, T(0),
                                 g[1].data<T>(), in);
                }
                if (has_bias && needs[2]) {
                    g[2] = Tensor::empty({out}, gy.dtype());
                    cpu::column_sums<T>(pg, rows, out, out, g[2].data<T>());
                }
            });
            return g;
        },
        autograd::kSavesInputs);
}

}  // namespace soma
