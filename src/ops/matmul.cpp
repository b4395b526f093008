// matmul with torch.matmul's rules for 1-D operands and broadcast batch dimensions.

#include "backend/cpu/gemm.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;

namespace {

// The differentiable core: a (..., m, k) @ b (..., k, n). Gradients are products with
// transposed views, which reach BLAS as flags; the engine sums broadcast batch dims.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
    Tensor out = backend::cpu::matmul(a, b);
    return record("MatmulBackward", out, {a, b}, [a, b](const Tensor& gy, const autograd::NeedsGrad& n) {
        return Grads{n[0] ? matmul_nd(gy, b.transpose(-1, -2)) : Tensor(),
                     n[1] ? matmul_nd(a.transpose(-1, -2), gy) : Tensor()};
    });
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
