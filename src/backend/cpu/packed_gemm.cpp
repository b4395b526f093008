#include "backend/cpu/packed_gemm.h"

#include <omp.h>

#include <algorithm>
#include <type_traits>

#include "backend/cpu/gemm.h"
#include "soma/error.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define SOMA_PACKED_GEMM_AVX2 1
#endif

namespace soma::backend::cpu {
namespace {

template <class T>
constexpr bool kUsesPanels =
#ifdef SOMA_PACKED_GEMM_AVX2
    std::is_same_v<T, float>;
#else
    false;
#endif

#ifdef SOMA_PACKED_GEMM_AVX2
constexpr std::int64_t kPanel = PackedRhs<float>::kPanel;

// C[0:MR, 0:cols] = A[0:MR, 0:k] times one panel (k, 16) + beta C. The 2 MR accumulators stay
// in registers (12 of the 16 for MR = 6); per k, two loads of B, MR broadcasts of A and 2 MR
// FMAs. Unrolled by 4 it ran at 123-127 GF/s on the fmnist-lstm shapes (the FMA peak is ~128).
template <int MR>
void micro_kernel(std::int64_t k, const float* a, std::int64_t lda, const float* panel, float beta,
                  float* c, std::int64_t ldc, std::int64_t cols) {
    // Named accumulators: GCC keeps an array of them in memory, even fully unrolled.
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    auto row = [&](int i, std::int64_t p, __m256 b0, __m256 b1, __m256& x0, __m256& x1) {
        const __m256 ai = _mm256_broadcast_ss(a + i * lda + p);
        x0 = _mm256_fmadd_ps(ai, b0, x0);
        x1 = _mm256_fmadd_ps(ai, b1, x1);
    };
#pragma GCC unroll 4
    for (std::int64_t p = 0; p < k; ++p) {
        const __m256 b0 = _mm256_loadu_ps(panel + p * kPanel);
        const __m256 b1 = _mm256_loadu_ps(panel + p * kPanel + 8);
        row(0, p, b0, b1, c00, c01);
        if constexpr (MR > 1) row(1, p, b0, b1, c10, c11);
        if constexpr (MR > 2) row(2, p, b0, b1, c20, c21);
        if constexpr (MR > 3) row(3, p, b0, b1, c30, c31);
        if constexpr (MR > 4) row(4, p, b0, b1, c40, c41);
        if constexpr (MR > 5) row(5, p, b0, b1, c50, c51);
    }
    __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    const __m256 vbeta = _mm256_set1_ps(beta);
    for (int i = 0; i < MR; ++i) {
        float* ci = c + i * ldc;
        if (cols == kPanel) {
            if (beta != 0.0f) {
                acc[i][0] = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci), acc[i][0]);
                acc[i][1] = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci + 8), acc[i][1]);
            }
            _mm256_storeu_ps(ci, acc[i][0]);
            _mm256_storeu_ps(ci + 8, acc[i][1]);
        } else {  // the last panel's columns past n are padding
            alignas(32) float row[kPanel];
            _mm256_store_ps(row, acc[i][0]);
            _mm256_store_ps(row + 8, acc[i][1]);
            for (std::int64_t j = 0; j < cols; ++j)
                ci[j] = beta != 0.0f ? row[j] + beta * ci[j] : row[j];
        }
    }
}

// Rows [0, m) of C for the panels [p0, p1).
void panel_rows(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda,
                const PackedRhs<float>& b, std::int64_t p0, std::int64_t p1, float beta, float* c,
                std::int64_t ldc) {
    for (std::int64_t p = p0; p < p1; ++p) {
        const float* panel = b.data() + p * b.rows() * kPanel;
        const std::int64_t cols = std::min(kPanel, b.cols() - p * kPanel);
        float* cp = c + p * kPanel;
        std::int64_t i = 0;
        for (; i + 6 <= m; i += 6)
            micro_kernel<6>(k, a + i * lda, lda, panel, beta, cp + i * ldc, ldc, cols);
        // The last 1..5 rows.
        using Kernel = void (*)(std::int64_t, const float*, std::int64_t, const float*, float,
                                float*, std::int64_t, std::int64_t);
        constexpr Kernel kRest[] = {nullptr,         micro_kernel<1>, micro_kernel<2>,
                                    micro_kernel<3>, micro_kernel<4>, micro_kernel<5>};
        if (i < m) kRest[m - i](k, a + i * lda, lda, panel, beta, cp + i * ldc, ldc, cols);
    }
}
#endif

}  // namespace

template <class T>
PackedRhs<T>::PackedRhs(const std::vector<Block>& blocks, std::int64_t n, bool trans)
    : n_(n), panels_(kUsesPanels<T>) {
    for (const Block& b : blocks) k_ += b.rows;
    const std::int64_t k = k_;
    if (!panels_) {
        data_.resize(k * n);
        std::int64_t r0 = 0;
        for (const Block& b : blocks) {
            for (std::int64_t r = 0; r < b.rows; ++r)
                for (std::int64_t c = 0; c < n; ++c)
                    data_[(r0 + r) * n + c] = trans ? b.src[c * b.ld + r] : b.src[r * b.ld + c];
            r0 += b.rows;
        }
        return;
    }
    const std::int64_t count = (n + kPanel - 1) / kPanel;
    data_.resize(count * k * kPanel);
    for (std::int64_t p = 0; p < count; ++p) {
        const std::int64_t c0 = p * kPanel, width = std::min(kPanel, n - c0);
        T* panel = data_.data() + p * k * kPanel;
        // Each loop reads its source contiguously: rows of src, or of src^T when trans.
        for (const Block& b : blocks) {
            const T* src = b.src;
            if (!trans) {
                for (std::int64_t r = 0; r < b.rows; ++r)
                    for (std::int64_t j = 0; j < width; ++j)
                        panel[r * kPanel + j] = src[r * b.ld + c0 + j];
            } else {
                for (std::int64_t j = 0; j < width; ++j)
                    for (std::int64_t r = 0; r < b.rows; ++r)
                        panel[r * kPanel + j] = src[(c0 + j) * b.ld + r];
            }
            panel += b.rows * kPanel;
        }
        panel = data_.data() + p * k * kPanel;
        for (std::int64_t r = 0; r < k; ++r)  // the last panel's padding
            for (std::int64_t j = width; j < kPanel; ++j) panel[r * kPanel + j] = T(0);
    }
}

template <class T>
void gemm_packed(std::int64_t m, std::int64_t k, const T* a, std::int64_t lda,
                 const PackedRhs<T>& b, T beta, T* c, std::int64_t ldc) {
    check(k <= b.rows(), "gemm_packed: ", k, " rows wanted of a packed operand of ", b.rows());
    const std::int64_t n = b.cols();
    if (m == 0 || n == 0) return;
    if constexpr (kUsesPanels<T>) {
#ifdef SOMA_PACKED_GEMM_AVX2
        const std::int64_t count = (n + kPanel - 1) / kPanel;
        const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
        const int team = static_cast<int>(std::min<std::int64_t>(threads, count));
        if (team < 2 || double(m) * double(n) * double(k) < kGemmSplitWork) {
            panel_rows(m, k, a, lda, b, 0, count, beta, c, ldc);
            return;
        }
#pragma omp parallel num_threads(team)
        {
            const std::int64_t t = omp_get_thread_num();
            panel_rows(m, k, a, lda, b, count * t / team, count * (t + 1) / team, beta, c, ldc);
        }
#endif
    } else {
        gemm<T>(false, false, m, n, k, T(1), a, lda, b.data(), n, beta, c, ldc);
    }
}

template class PackedRhs<float>;
template class PackedRhs<double>;
template void gemm_packed<float>(std::int64_t, std::int64_t, const float*, std::int64_t,
                                 const PackedRhs<float>&, float, float*, std::int64_t);
template void gemm_packed<double>(std::int64_t, std::int64_t, const double*, std::int64_t,
                                  const PackedRhs<double>&, double, double*, std::int64_t);

}  // namespace soma::backend::cpu
