// layer_norm: the fused kernel with its hand-written backward, and the composed reference.
// The LayerNorm module (nn/layer_norm.cpp) holds weight and bias and calls these.

#include "backend/cpu/layer_norm.h"

#include "soma/ops.h"
#include "soma/ops_norm.h"

namespace soma {

using autograd::Grads;
using autograd::NeedsGrad;
using backend::cpu::RowDims;

namespace {

void check_args(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                const Tensor& bias, double eps, const char* op) {
    check(x.defined(), op, ": undefined input");
    dispatch(x.dtype(), op, [](auto) {});
    const int k = normalized_shape.size();
    check(k >= 1, op, ": normalized_shape must have at least one dimension");
    bool fits = x.dim() >= k;
    for (int i = 0; fits && i < k; ++i) fits = x.shape()[x.dim() - k + i] == normalized_shape[i];
    check(fits, op, ": normalized_shape ", normalized_shape,
          " does not match the trailing dimensions of the input ", x.shape());
    check(eps >= 0, op, ": eps must be non-negative, got ", eps);
    auto affine = [&](const Tensor& t, const char* name) {
        if (!t.defined()) return;
        check(t.shape() == normalized_shape, op, ": ", name, " of shape ", t.shape(),
              " does not match normalized_shape ", normalized_shape);
        check(t.dtype() == x.dtype(), op, ": ", name, " is ", t.dtype(), " but the input is ",
              x.dtype());
    };
    affine(weight, "weight");
    affine(bias, "bias");
}

// The normalised dimensions (the last k) and the leading ones the affine gradients sum over.
std::vector<std::int64_t> last_dims(const Tensor& x, int k) {
    std::vector<std::int64_t> dims;
    for (int d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
    return dims;
}

// Sums over the leading dimensions; none (x is one row) leaves t as it is, since sum over an
// empty list would mean all dimensions.
Tensor sum_leading(const Tensor& t, int k) {
    std::vector<std::int64_t> dims;
    for (int d = 0; d < t.dim() - k; ++d) dims.push_back(d);
    return dims.empty() ? t : sum(t, dims);
}

// The gradients composed from ops, for double backward (create_graph): the same formula as the
// fused kernel, but recorded, with the statistics recomputed from x so their dependence on x is
// part of the graph.
Grads composed_backward(const Tensor& gy, const Tensor& x, const Tensor& weight, int k, double eps,
                        const NeedsGrad& needs) {
    const auto dims = last_dims(x, k);
    Tensor mu = mean(x, dims, true);
    Tensor is = pow(add(var(x, dims, true, 0), eps), -0.5);
    Tensor xhat = (x - mu) * is;
    Tensor g = weight.defined() ? gy * weight : gy;
    Grads out(3);
    if (needs[0]) out[0] = is * (g - mean(g, dims, true) - xhat * mean(g * xhat, dims, true));
    if (needs[1]) out[1] = sum_leading(gy * xhat, k);
    if (needs[2]) out[2] = sum_leading(gy, k);
    return out;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
    check_args(x, normalized_shape, weight, bias, eps, "layer_norm");
    const int k = normalized_shape.size();
    RowDims d{1, normalized_shape.numel()};
    for (int i = 0; i < x.dim() - k; ++i) d.rows *= x.shape()[i];
    Tensor xc = x.detach().contiguous();
    Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
    Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
    std::vector<double> mu, rstd;
    // x: (*, *normalized_shape) -> same shape
    Tensor y = backend::cpu::layer_norm_forward(xc, w, b, d, eps, mu, rstd);
    return autograd::record(
        "LayerNormBackward", y, {x, weight, bias},
        [x, weight, w, xc, k, d, eps, mu, rstd, ns = normalized_shape](const Tensor& gy,
                                                                       const NeedsGrad& needs) {
            if (autograd::grad_enabled()) return composed_backward(gy, x, weight, k, eps, needs);
            Tensor g = gy.contiguous();
            Grads out(3);
            if (needs[0]) out[0] = backend::cpu::layer_norm_backward_input(g, xc, w, mu, rstd, d);
            if (needs[1] || needs[2]) {
                std::vector<double> sum_gx, sum_g;
                backend::cpu::layer_norm_backward_affine(g, xc, mu, rstd, d, sum_gx, sum_g);
                if (needs[1]) out[1] = from_vector(sum_gx, ns, x.dtype());
                if (needs[2]) out[2] = from_vector(sum_g, ns, x.dtype());
            }
            return out;
        });
}

Tensor layer_norm_reference(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                            const Tensor& bias, double eps) {
    check_args(x, normalized_shape, weight, bias, eps, "layer_norm_reference");
    const auto dims = last_dims(x, normalized_shape.size());
    Tensor y = (x - mean(x, dims, true)) / sqrt(var(x, dims, true, 0) + eps);
    if (weight.defined()) y = y * weight;
    if (bias.defined()) y = y + bias;
    return y;
}

}  // namespace soma
