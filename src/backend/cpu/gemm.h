#pragma once
// Matrix products through BLAS (OpenBLAS's cblas_sgemm/dgemm), with a naive reference kept for
// tests.

#include "soma/tensor.h"

namespace soma::backend::cpu {

// a (..., m, k) x b (..., k, n) -> (..., m, n); batch dims broadcast; a and b have the same
// floating dtype and at least 2 dims. Operands whose last two dims are transposed views are
// passed to BLAS as transposed, not copied.
Tensor matmul(const Tensor& a, const Tensor& b);

// The same product by three plain loops, in double accumulation: the tested reference.
Tensor matmul_naive(const Tensor& a, const Tensor& b);

}  // namespace soma::backend::cpu
