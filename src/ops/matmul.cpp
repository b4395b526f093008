// matmul with torch.matmul's rules for 1-D operands and broadcast batch dimensions.

#include "backend/cpu/gemm.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;

namespace {

Tensor matmul_nd(const Tensor& a, const Tensor& b);

// dL/db = a^T gy. For a matrix b that is a transposed view (Linear's weight.t()), compute
// (gy^T a)^T instead: the same product, laid out so that the transpose back to the parameter's
// shape is contiguous and the engine can keep it without a copy.
Tensor grad_b(const Tensor& a, const Tensor& b, const Tensor& gy) {
    if (b.dim() != 2) return matmul_nd(a.transpose(-1, -2), gy);
    // A shared matrix b under batched a: fold the batch into the rows, one GEMM, no batch sum.
    Tensor a2 = a.dim() > 2 ? a.reshape({-1, a.size(-1)}) : a;
    Tensor g2 = gy.dim() > 2 ? gy.reshape({-1, gy.size(-1)}) : gy;
    if (b.stride(0) == 1 && b.size(1) > 1) return matmul_nd(g2.transpose(0, 1), a2).transpose(0, 1);
    return matmul_nd(a2.transpose(0, 1), g2);
}

// The differentiable core: a (..., m, k) @ b (..., k, n). Gradients are products with
// transposed views, which reach BLAS as flags; the engine sums broadcast batch dims.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
    Tensor out = backend::cpu::matmul(a, b);
    return record(
        "MatmulBackward", out, {a, b},
        [a, b](const Tensor& gy, const autograd::NeedsGrad& n) {
            return Grads{n[0] ? matmul_nd(gy, b.transpose(-1, -2)) : Tensor(),
                         n[1] ? grad_b(a, b, gy) : Tensor()};
        },
        autograd::kSavesInputs);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    ops_detail::check_same_dtype(a, b, "matmul");
    check(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least 1 dimension, got ",
          a.shape(), " and ", b.shape());
    std::int64_t ka = a.shape()[a.dim() - 1];
    std::int64_t kb = b.dim() == 1 ? b.shape()[0] : b.shape()[b.dim() - 2];
    check(ka == kb, "matmul: shapes ", a.shape(), " and ", b.shape(), " cannot be multiplied (", ka,
          " != ", kb, ")");
    // 1-D operands become matrices for the product and lose that dimension again afterwards.
    Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
    Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
    Tensor out = matmul_nd(a2, b2);
    if (b.dim() == 1) out = out.squeeze(-1);
    if (a.dim() == 1) out = out.squeeze(b.dim() == 1 ? -1 : -2);
    return out;
}

}  // namespace soma
