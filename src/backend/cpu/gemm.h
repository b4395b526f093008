#pragma once
// Matrix products through BLAS (OpenBLAS's cblas_sgemm/dgemm), with a naive reference kept for
// tests.
//
// soma owns the threads: OpenBLAS always runs on one thread (threading.cpp), and a large GEMM
// is split here into column (or row) blocks, one per OpenMP thread. With OpenBLAS's own pthread
// pool next to OpenMP's, the two pools' spinning workers fought over the cores (a 2-thread
// LSTM step's mean was 7x its median).

#include "soma/tensor.h"

namespace soma::backend::cpu {

// Below this many multiply-adds (a few microseconds on one core) a second thread costs more
// to wake than it saves.
inline constexpr double kGemmSplitWork = 1 << 18;

// C (m, n) = alpha op(A) op(B) + beta C, row-major, op = transpose when the flag is set.
// Runs on the calling thread inside a parallel region, else split across the threads when the
// product is large enough to pay for it.
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
          std::int64_t ldc);

// a (..., m, k) x b (..., k, n) -> (..., m, n); batch dims broadcast; a and b have the same
// floating dtype and at least 2 dims. Operands whose last two dims are transposed views are
// passed to BLAS as transposed, not copied.
Tensor matmul(const Tensor& a, const Tensor& b);

// The same product by three plain loops, in double accumulation: the tested reference.
Tensor matmul_naive(const Tensor& a, const Tensor& b);

}  // namespace soma::backend::cpu
