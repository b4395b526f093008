#pragma once
// A right-hand GEMM operand packed once and multiplied many times: the recurrent weights, which
// every step of a sequence multiplies by that step's state. BLAS repacks both operands on every
// call, and its interface cannot keep a packed operand; for the fmnist-lstm step's recurrent
// products (128 x 512 x 156 and 128 x 128 x 512) the repacking made OpenBLAS ~7% slower than
// this kernel, which reads the left operand in place and the right one from panels packed once
// per sequence.
//
// The kernel is float with AVX2 and FMA (SOMA_NATIVE on a machine that has them). Elsewhere,
// and for double, PackedRhs keeps a plain copy and the product goes through gemm.h.

#include <cstdint>
#include <vector>

namespace soma::backend::cpu {

template <class T>
class PackedRhs {
public:
    PackedRhs() = default;
    // B (k, n) = src (k, n), or src^T when `trans` (src is then (n, k)); src row-major with
    // leading dimension ld.
    PackedRhs(const T* src, std::int64_t k, std::int64_t n, std::int64_t ld, bool trans)
        : PackedRhs({{src, k, ld}}, n, trans) {}
    // B's rows from several sources stacked, each (rows, n), or its transpose when `trans`:
    // [W_ih | W_hh]^T from the two weights without first copying them side by side.
    struct Block {
        const T* src;
        std::int64_t rows, ld;
    };
    PackedRhs(const std::vector<Block>& blocks, std::int64_t n, bool trans);

    std::int64_t rows() const { return k_; }
    std::int64_t cols() const { return n_; }
    bool empty() const { return data_.empty(); }

    // Panels of kPanel columns: element (r, c) of B at [(c / kPanel) k + r] kPanel + c % kPanel,
    // zero past column n. In the fallback layout, B row-major.
    static constexpr std::int64_t kPanel = 16;
    const T* data() const { return data_.data(); }
    bool panels() const { return panels_; }

private:
    std::int64_t k_ = 0, n_ = 0;
    bool panels_ = false;
    std::vector<T> data_;
};

// C (m, n) = A (m, k) B[:k] + beta C, with B's first k rows (k <= b.rows()): a state that is
// known to be zero in its later columns need not be multiplied. A and C row-major with leading
// dimensions lda and ldc. Split across the threads like gemm() when large enough.
template <class T>
void gemm_packed(std::int64_t m, std::int64_t k, const T* a, std::int64_t lda,
                 const PackedRhs<T>& b, T beta, T* c, std::int64_t ldc);

}  // namespace soma::backend::cpu
