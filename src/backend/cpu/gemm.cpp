#include "backend/cpu/gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "backend/cpu/copy.h"
#include "backend/cpu/loop.h"

// OpenBLAS's thread setter (OpenBLAS's cblas.h has it; a generic one may not).
extern "C" void openblas_set_num_threads(int num_threads);

namespace soma::backend::cpu {
namespace {

// BLAS stays on one thread: gemm below splits work across OpenMP's threads itself, so there is
// one pool, never two. Set when soma first multiplies, not when the library loads, so that a
// host program that links soma but does not use it keeps its own BLAS settings. After the first
// call this is one load and a branch (a function-local static's guard).
void use_single_threaded_blas() {
    static const bool done = [] {
        openblas_set_num_threads(1);
        return true;
    }();
    (void)done;
}

// How one matrix (rows x cols with the given strides) is handed to row-major BLAS.
struct MatrixArg {
    bool usable = false;
    bool trans = false;
    std::int64_t ld = 1;
};

MatrixArg describe(std::int64_t rows, std::int64_t cols, std::int64_t s0, std::int64_t s1) {
    // A dimension of size 1 may have any stride; normalise it so the tests below see through it.
    if (cols == 1) s1 = 1;
    if (rows == 1) s0 = std::max<std::int64_t>(cols, 1) * s1;
    MatrixArg m;
    if (s1 == 1 && s0 >= std::max<std::int64_t>(cols, 1)) {
        m = {true, false, s0};
    } else if (s0 == 1 && s1 >= std::max<std::int64_t>(rows, 1)) {
        m = {true, true, s1};
    }
    return m;
}

template <class T>
void blas_gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
               const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
               std::int64_t ldc) {
    auto ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, float>)
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    else
        cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Blocks are whole multiples of this many rows or columns, which keeps BLAS's register tiles
// full at the block edges.
constexpr std::int64_t kBlockAlign = 16;

// Batch shape of a (..., r, c) operand, and the batch shape both operands broadcast to.
Shape batch_of(const Tensor& t) {
    Shape s;
    for (int d = 0; d + 2 < t.dim(); ++d) s.push_back(t.shape()[d]);
    return s;
}

// Strides of t's batch dims over the broadcast batch shape (0 where broadcast).
Shape batch_strides(const Tensor& t, const Shape& batch) {
    Shape s;
    s.resize(batch.size());
    int lead = batch.size() - (t.dim() - 2);
    for (int d = 0; d < batch.size(); ++d) {
        int td = d - lead;
        s[d] = (td < 0 || t.shape()[td] == 1) ? 0 : t.strides()[td];
    }
    return s;
}

void check_operands(const Tensor& a, const Tensor& b) {
    check(a.dim() >= 2 && b.dim() >= 2, "matmul: backend expects matrices, got ", a.shape(),
          " and ", b.shape());
    check(a.dtype() == b.dtype(), "matmul: dtypes differ (", a.dtype(), " and ", b.dtype(), ")");
    check(is_floating(a.dtype()), "matmul: int64 tensors are not supported");
    std::int64_t k = a.shape()[a.dim() - 1], kb = b.shape()[b.dim() - 2];
    check(k == kb, "matmul: shapes ", a.shape(), " and ", b.shape(), " cannot be multiplied (", k,
          " != ", kb, ")");
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
          std::int64_t ldc) {
    if (m == 0 || n == 0) return;
    use_single_threaded_blas();
    const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
    // Split the longer side of C: columns take B's columns, rows take A's rows.
    const bool by_columns = n >= m;
    const std::int64_t len = by_columns ? n : m;
    const std::int64_t blocks =
        std::min<std::int64_t>(threads, (len + kBlockAlign - 1) / kBlockAlign);
    if (blocks < 2 || double(m) * double(n) * double(k) < kGemmSplitWork) {
        blas_gemm<T>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    const std::int64_t chunk =
        ((len + blocks - 1) / blocks + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
    const int team = static_cast<int>(blocks);
#pragma omp parallel num_threads(team)
    {
        const std::int64_t begin = omp_get_thread_num() * chunk;
        const std::int64_t end = std::min(len, begin + chunk);
        if (begin < end) {
            if (by_columns)
                blas_gemm<T>(trans_a, trans_b, m, end - begin, k, alpha, a, lda,
                             b + (trans_b ? begin * ldb : begin), ldb, beta, c + begin, ldc);
            else
                blas_gemm<T>(trans_a, trans_b, end - begin, n, k, alpha,
                             a + (trans_a ? begin : begin * lda), lda, b, ldb, beta,
                             c + begin * ldc, ldc);
        }
    }
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*,
                          std::int64_t, const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                           const double*, std::int64_t, const double*, std::int64_t, double,
                           double*, std::int64_t);

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
    check_operands(a_in, b_in);
    Shape batch = broadcast_shapes(batch_of(a_in), batch_of(b_in), "matmul");
    const std::int64_t m = a_in.shape()[a_in.dim() - 2], k = a_in.shape()[a_in.dim() - 1];
    const std::int64_t n = b_in.shape()[b_in.dim() - 1];
    Shape out_shape = batch;
    out_shape.push_back(m);
    out_shape.push_back(n);
    Tensor out = Tensor::empty(out_shape, a_in.dtype());
    if (out.numel() == 0) return out;
    if (k == 0) {  // an empty sum: all zeros
        std::memset(out.raw_data(), 0, out.numel() * itemsize(out.dtype()));
        return out;
    }

    Tensor a = a_in, b = b_in;
    auto ok = [](const Tensor& t) {
        int d = t.dim();
        return describe(t.shape()[d - 2], t.shape()[d - 1], t.strides()[d - 2], t.strides()[d - 1])
            .usable;
    };
    if (!ok(a)) a = contiguous_copy(a, a.dtype());
    if (!ok(b)) b = contiguous_copy(b, b.dtype());

    dispatch(a.dtype(), "matmul", [&](auto tag) {
        using T = decltype(tag);
        const int da = a.dim(), db = b.dim();
        MatrixArg ma = describe(m, k, a.strides()[da - 2], a.strides()[da - 1]);
        MatrixArg mb = describe(k, n, b.strides()[db - 2], b.strides()[db - 1]);
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        T* pc = out.data<T>();
        Shape a_bstr = batch_strides(a, batch), b_bstr = batch_strides(b, batch);
        const std::int64_t batches = batch.numel();
        // A row-major a whose batch dims fold into its rows, times one shared b: a single GEMM
        // over all batches (e.g. a Linear layer applied to a (T, N, F) sequence).
        bool b_shared = true;
        for (int d = 0; d < batch.size(); ++d)
            b_shared = b_shared && (b_bstr[d] == 0 || batch[d] == 1);
        bool a_folds = !ma.trans && ma.ld == k;
        std::int64_t expect = m * k;
        for (int d = batch.size() - 1; d >= 0 && a_folds; --d) {
            if (batch[d] == 1) continue;
            a_folds = a_bstr[d] == expect;
            expect *= batch[d];
        }
        if (batches == 1 || (b_shared && a_folds)) {
            gemm<T>(ma.trans, mb.trans, m * batches, n, k, T(1), pa, ma.ld, pb, mb.ld, T(0), pc, n);
            return;
        }
        std::array<std::int64_t, Shape::kMaxDims> idx{};
        for (std::int64_t bi = 0; bi < batches; ++bi) {
            std::int64_t oa = 0, ob = 0;
            for (int d = 0; d < batch.size(); ++d) {
                oa += idx[d] * a_bstr[d];
                ob += idx[d] * b_bstr[d];
            }
            gemm<T>(ma.trans, mb.trans, m, n, k, T(1), pa + oa, ma.ld, pb + ob, mb.ld, T(0),
                    pc + bi * m * n, n);
            for (int d = batch.size() - 1; d >= 0; --d) {
                if (++idx[d] < batch[d]) break;
                idx[d] = 0;
            }
        }
    });
    return out;
}

Tensor matmul_naive(const Tensor& a, const Tensor& b) {
    check_operands(a, b);
    Shape batch = broadcast_shapes(batch_of(a), batch_of(b), "matmul");
    const std::int64_t m = a.shape()[a.dim() - 2], k = a.shape()[a.dim() - 1];
    const std::int64_t n = b.shape()[b.dim() - 1];
    Shape ae = batch, be = batch, out_shape = batch;
    ae.push_back(m), ae.push_back(k);
    be.push_back(k), be.push_back(n);
    out_shape.push_back(m), out_shape.push_back(n);
    // Broadcast both to the full batch, then read elements through their strides.
    auto expand = [](const Tensor& t, const Shape& s) {
        return Tensor::make_view(t, s, broadcast_strides(t, s), t.offset());
    };
    Tensor A = contiguous_copy(expand(a, ae), kFloat64),
           B = contiguous_copy(expand(b, be), kFloat64);
    Tensor out = Tensor::empty(out_shape, a.dtype());
    const double* pa = A.data<double>();
    const double* pb = B.data<double>();
    dispatch(a.dtype(), "matmul", [&](auto tag) {
        using T = decltype(tag);
        T* pc = out.data<T>();
        for (std::int64_t bi = 0; bi < batch.numel(); ++bi)
            for (std::int64_t i = 0; i < m; ++i)
                for (std::int64_t j = 0; j < n; ++j) {
                    double acc = 0;
                    for (std::int64_t p = 0; p < k; ++p)
                        acc += pa[(bi * m + i) * k + p] * pb[(bi * k + p) * n + j];
                    pc[(bi * m + i) * n + j] = static_cast<T>(acc);
                }
    });
    return out;
}

}  // namespace soma::backend::cpu
