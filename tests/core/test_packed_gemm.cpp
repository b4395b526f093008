// The packed right-hand operand GEMM (backend/cpu/packed_gemm.h) against a double-precision
// triple loop: every micro-kernel height (1..6 rows), full and partial panels, a leading block
// of B's rows, transposed sources, strided A and C, beta 0, 1 and another value; one and two
// threads.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backend/cpu/packed_gemm.h"
#include "soma/error.h"
#include "soma/threading.h"

namespace soma::backend::cpu {
namespace {

template <class T>
void check_product(std::int64_t m, std::int64_t n, std::int64_t rows, std::int64_t k, bool trans,
                   T beta) {
    SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(n) + " k=" + std::to_string(k) + "/" +
                 std::to_string(rows) + (trans ? " trans" : "") + " beta=" + std::to_string(beta));
    std::mt19937 gen(7);
    std::uniform_real_distribution<double> u(-1, 1);
    const std::int64_t lda = k + 3, ldc = n + 5, ld = (trans ? rows : n) + 2;
    std::vector<T> a(m * lda), src((trans ? n : rows) * ld), c(m * ldc);
    for (T& v : a) v = T(u(gen));
    for (T& v : src) v = T(u(gen));
    for (T& v : c) v = T(u(gen));
    const std::vector<T> c0 = c;
    PackedRhs<T> b(src.data(), rows, n, ld, trans);
    ASSERT_EQ(b.rows(), rows);
    ASSERT_EQ(b.cols(), n);
    gemm_packed<T>(m, k, a.data(), lda, b, beta, c.data(), ldc);
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < ldc; ++j) {
            if (j >= n) {  // the padding between rows of C stays untouched
                ASSERT_EQ(c[i * ldc + j], c0[i * ldc + j]);
                continue;
            }
            double want = double(beta) * double(c0[i * ldc + j]);
            for (std::int64_t p = 0; p < k; ++p)
                want += double(a[i * lda + p]) * double(trans ? src[j * ld + p] : src[p * ld + j]);
            ASSERT_NEAR(c[i * ldc + j], want, tol * (1 + std::abs(want))) << i << "," << j;
        }
}

TEST(PackedGemm, MatchesTheTripleLoop) {
    for (std::int64_t m : {1, 2, 3, 4, 5, 6, 7, 13, 128})
        for (std::int64_t n : {1, 15, 16, 17, 40}) {
            check_product<float>(m, n, 37, 37, false, 0.0f);
            check_product<float>(m, n, 37, 30, true, 1.0f);
            check_product<double>(m, n, 37, 37, true, 0.0);
        }
    check_product<float>(128, 512, 156, 28, false, 0.5f);  // a zero state's product: x part only
    check_product<double>(9, 33, 20, 11, false, 1.0);
}

TEST(PackedGemm, StackedBlocksPackLikeOneSource) {
    // B = [src rows 0..12; rows 12..37] from two blocks gives the same panels, so the same
    // products bit for bit; transposed sources stack their rows (W_ih^T over W_hh^T) likewise.
    std::mt19937 gen(5);
    std::normal_distribution<float> u;
    const std::int64_t k = 37, n = 40, m = 13, top = 12;
    std::vector<float> a(m * k), src(k * n), src_t(n * k);
    for (float& v : a) v = u(gen);
    for (std::int64_t r = 0; r < k; ++r)
        for (std::int64_t c = 0; c < n; ++c) src[r * n + c] = src_t[c * k + r] = u(gen);
    // The transposed blocks are separate (n, rows) matrices, as two weights would be.
    std::vector<float> t_top(n * top), t_rest(n * (k - top));
    for (std::int64_t c = 0; c < n; ++c)
        for (std::int64_t r = 0; r < k; ++r)
            (r < top ? t_top[c * top + r] : t_rest[c * (k - top) + r - top]) = src_t[c * k + r];
    const PackedRhs<float> one(src.data(), k, n, n, false);
    const PackedRhs<float> plain({{src.data(), top, n}, {src.data() + top * n, k - top, n}}, n,
                                 false);
    const PackedRhs<float> trans({{t_top.data(), top, top}, {t_rest.data(), k - top, k - top}}, n,
                                 true);
    ASSERT_EQ(plain.rows(), k);
    std::vector<float> want(m * n), got(m * n);
    gemm_packed<float>(m, k, a.data(), k, one, 0.0f, want.data(), n);
    for (const PackedRhs<float>* b : {&plain, &trans}) {
        gemm_packed<float>(m, k, a.data(), k, *b, 0.0f, got.data(), n);
        EXPECT_EQ(got, want);
    }
}

TEST(PackedGemm, TwoThreadsMatchOne) {
    // Large enough to be split: the threads take disjoint panels, each summed in the same order.
    std::mt19937 gen(3);
    std::normal_distribution<float> u;
    const std::int64_t m = 128, n = 520, k = 156;
    std::vector<float> a(m * k), w(k * n);
    for (float& v : a) v = u(gen);
    for (float& v : w) v = u(gen);
    PackedRhs<float> b(w.data(), k, n, n, false);
    std::vector<float> one(m * n), two(m * n);
    const int saved = get_num_threads();
    set_num_threads(1);
    gemm_packed<float>(m, k, a.data(), k, b, 0.0f, one.data(), n);
    set_num_threads(2);
    gemm_packed<float>(m, k, a.data(), k, b, 0.0f, two.data(), n);
    set_num_threads(saved);
    EXPECT_EQ(one, two);
}

TEST(PackedGemm, RejectsMoreRowsThanPacked) {
    std::vector<float> w(4 * 8, 1.0f), a(2 * 5, 1.0f), c(2 * 8);
    PackedRhs<float> b(w.data(), 4, 8, 8, false);
    EXPECT_THROW(gemm_packed<float>(2, 5, a.data(), 5, b, 0.0f, c.data(), 8), soma::Error);
}

}  // namespace
}  // namespace soma::backend::cpu
