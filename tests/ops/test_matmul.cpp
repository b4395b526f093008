// matmul and linear against the PyTorch fixtures, the BLAS path against the naive kernel, and
// errors.

#include <gtest/gtest.h>

#include "backend/cpu/gemm.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_error;
using Inputs = std::vector<Tensor>;

TEST(Matmul, Fixtures) {
    test::run_op_group("matmul",
                       {{"matmul", [](const Inputs& x, const json&) { return matmul(x[0], x[1]); }},
                        {"linear", [](const Inputs& x, const json&) {
                             return linear(x[0], x[1], x.size() > 2 ? x[2] : Tensor());
                         }}});
}

enum class Layout { Contiguous, Transposed, Padded, Strided, BroadcastBatch, kCount };

// A random (batch..., rows, cols) operand stored in the given layout.
Tensor operand(Shape shape, Layout layout, DType dtype, Generator& gen) {
    const int n = shape.size();
    switch (layout) {
        case Layout::Contiguous:
            return randn(shape, &gen, dtype);
        case Layout::Transposed: {  // what BLAS takes as a transpose flag
            std::swap(shape[n - 1], shape[n - 2]);
            return randn(shape, &gen, dtype).transpose(-1, -2);
        }
        case Layout::Padded: {  // rows further apart than their length
            std::int64_t cols = shape[n - 1];
            shape[n - 1] += 3;
            return randn(shape, &gen, dtype).narrow(-1, 1, cols);
        }
        case Layout::Strided:  // neither layout BLAS takes: the kernel copies it
            return test::make_noncontiguous(randn(shape, &gen, dtype));
        case Layout::BroadcastBatch: {  // batch dims of stride 0
            Shape one = shape;
            for (int d = 0; d + 2 < n; ++d) one[d] = 1;
            return randn(one, &gen, dtype).expand(shape);
        }
        default:
            return {};
    }
}

TEST(Matmul, BlasMatchesNaive) {
    Generator gen(2024);
    const std::vector<std::int64_t> sizes = {1, 2, 3, 5, 8, 17, 33};
    auto pick = [&](const std::vector<std::int64_t>& from) {
        return from[gen.randint(0, static_cast<std::int64_t>(from.size()))];
    };
    for (int trial = 0; trial < 300; ++trial) {
        const std::int64_t m = pick(sizes), k = pick(sizes), n = pick(sizes);
        // Batch dims of rank 0-2 on each side, broadcast-compatible (some of size 1).
        Shape batch_a, batch_b;
        const int rank = static_cast<int>(gen.randint(0, 3));
        for (int d = 0; d < rank; ++d) {
            std::int64_t s = gen.randint(1, 4);
            batch_a.push_back(gen.randint(0, 3) == 0 ? 1 : s);
            batch_b.push_back(gen.randint(0, 3) == 0 ? 1 : s);
        }
        while (batch_b.size() > 0 && gen.randint(0, 2) == 0) batch_b.erase(0);
        if (gen.randint(0, 2) == 0) std::swap(batch_a, batch_b);
        Shape sa = batch_a, sb = batch_b;
        sa.push_back(m), sa.push_back(k);
        sb.push_back(k), sb.push_back(n);
        const DType dtype = trial % 2 ? kFloat64 : kFloat32;
        const auto la = static_cast<Layout>(gen.randint(0, int(Layout::kCount)));
        const auto lb = static_cast<Layout>(gen.randint(0, int(Layout::kCount)));
        Tensor a = operand(sa, la, dtype, gen), b = operand(sb, lb, dtype, gen);
        SCOPED_TRACE(testing::Message() << "trial " << trial << ": " << sa << " layout " << int(la)
                                        << " x " << sb << " layout " << int(lb) << ' ' << dtype);
        Tensor fast = backend::cpu::matmul(a, b), ref = backend::cpu::matmul_naive(a, b);
        const double tol = dtype == kFloat64 ? 1e-12 : 1e-5;
        test::expect_close(fast, ref, tol, tol * 10, "blas vs naive");
        if (HasFailure()) return;
    }
}

TEST(Matmul, EmptyAndZeroK) {
    Tensor a = zeros({3, 0}), b = zeros({0, 4});
    Tensor c = matmul(a, b);
    EXPECT_EQ(c.shape(), (Shape{3, 4}));
    EXPECT_EQ(sum(abs(c)).item(), 0.0);
    EXPECT_EQ(matmul(zeros({0, 2}), zeros({2, 5})).shape(), (Shape{0, 5}));
}

TEST(Matmul, TransposedOperandsAreNotCopied) {
    // A transposed view must give the same product as its contiguous copy (BLAS flag path).
    Generator gen(7);
    Tensor a = randn({6, 4}, &gen, kFloat64), b = randn({5, 6}, &gen, kFloat64);
    test::expect_close(matmul(a.t(), b.t()), matmul(a.t().contiguous(), b.t().contiguous()), 1e-12,
                       1e-12, "transposed operands");
}

TEST(Matmul, Errors) {
    expect_error(
        [] {
            matmul(zeros({3, 4}), zeros({5, 2}));
        },
        "matmul: shapes (3, 4) and (5, 2) cannot be multiplied (4 != 5)");
    expect_error([] { matmul(zeros({4}), zeros({3})); }, "matmul: shapes (4,) and (3,)");
    expect_error([] { matmul(zeros({2, 3}), zeros({2, 3})); }, "(3 != 2)");
    expect_error([] { matmul(zeros({2, 3, 4}), zeros({3, 4, 5})); }, "cannot be broadcast");
    expect_error([] { matmul(scalar_tensor(1), zeros({3})); },
                 "matmul: both operands need at least 1 dimension");
    expect_error(
        [] {
            matmul(zeros({2, 2}), zeros({2, 2}, kFloat64));
        },
        "matmul: dtypes differ (float32 and float64)");
    expect_error(
        [] {
            matmul(zeros({2, 2}, kInt64), zeros({2, 2}, kInt64));
        },
        "matmul: int64 tensors are not supported");
    expect_error([] { matmul(Tensor(), zeros({2})); }, "matmul: undefined tensor");
    expect_error(
        [] {
            backend::cpu::matmul(zeros({3}), zeros({3, 2}));
        },
        "matmul: backend expects matrices");
}

}  // namespace
}  // namespace soma
