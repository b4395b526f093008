// Sizes that cannot be honoured fail with a soma::Error before anything is allocated: element
// counts and byte sizes that overflow, the one-tensor size limit, and absurd storage requests.
// Empty tensors with huge dimensions are valid and get well-defined strides.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "soma/shape.h"
#include "soma/storage.h"
#include "soma/tensor.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_error;

constexpr std::int64_t k2to32 = std::int64_t{1} << 32;

TEST(Limits, NumelOverflowIsAnError) {
    // 2^32 * 2^32 = 2^64 wraps to 0 in unchecked arithmetic.
    expect_error(
        [] {
            (Shape{k2to32, k2to32}).numel();
        },
        "shape (4294967296, 4294967296) has too many elements");
    expect_error([] { (Shape{3, INT64_MAX}).numel(); }, "has too many elements");
    EXPECT_EQ((Shape{0, k2to32, k2to32}).numel(), 0);
    EXPECT_EQ((Shape{k2to32, k2to32, 0}).numel(), 0);
    EXPECT_EQ((Shape{INT64_MAX}).numel(), INT64_MAX);
}

TEST(Limits, EmptyTensorsWithHugeDimensionsHaveSafeStrides) {
    // Row-major strides of (0, 2^32, 2^32) would be (2^64, 2^32, 1): the outer one overflows.
    EXPECT_EQ(contiguous_strides({0, k2to32, k2to32}), (Shape{0, k2to32, 1}));
    EXPECT_EQ(contiguous_strides({0, k2to32, k2to32, k2to32}), (Shape{0, 0, k2to32, 1}));
    // Where nothing overflows an empty shape keeps its ordinary strides.
    EXPECT_EQ(contiguous_strides({0, 3, 4}), (Shape{12, 4, 1}));
    expect_error([] { contiguous_strides({3, k2to32, k2to32}); }, "has too many elements");

    Tensor t = Tensor::empty({0, k2to32, k2to32});
    EXPECT_EQ(t.numel(), 0);
    EXPECT_TRUE(t.is_contiguous());
    EXPECT_TRUE(t.to_vector<float>().empty());
    EXPECT_EQ(zeros({k2to32, 0}).numel(), 0);
}

TEST(Limits, TensorBytesOverflowIsAnError) {
    // 2^62 elements fit int64, but 2^62 * 4 bytes does not fit 64 bits.
    expect_error([] { Tensor::empty({std::int64_t{1} << 62}); },
                 "empty: shape (4611686018427387904,) of float32 needs more than 2^64 bytes");
    expect_error([] { zeros({k2to32, k2to32}); }, "has too many elements");
}

TEST(Limits, OneTensorSizeLimitIsEnforcedAndConfigurable) {
    const std::uint64_t before = max_tensor_bytes();
    EXPECT_EQ(before, std::uint64_t{1} << 36);  // the documented default, 64 GiB
    // 2^40 bytes is over the default limit: refused before allocating, naming the limit.
    expect_error([] { Tensor::empty({std::int64_t{1} << 38}); },
                 "empty: shape (274877906944,) of float32 needs 1099511627776 bytes, more than "
                 "the limit of 68719476736 bytes for one tensor (raise it with "
                 "SOMA_MAX_TENSOR_BYTES or soma::set_max_tensor_bytes)");

    set_max_tensor_bytes(64);
    EXPECT_EQ(Tensor::empty({16}).numel(), 16);  // exactly 64 bytes
    expect_error([] { zeros({17}); }, "needs 68 bytes, more than the limit of 64 bytes");
    expect_error([] { Tensor::empty({9}, kFloat64); }, "of float64 needs 72 bytes");
    expect_error([] { set_max_tensor_bytes(0); }, "the limit must be positive");
    set_max_tensor_bytes(before);
    EXPECT_EQ(zeros({17}).numel(), 17);
}

// SOMA_MAX_TENSOR_BYTES is read once, on the first allocation, so each case runs in a fresh
// process (a threadsafe death test re-executes the binary, inheriting the environment).
TEST(Limits, LimitFromTheEnvironment) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    auto run = [] {
        try {
            zeros({300});
        } catch (const Error& e) {
            std::fprintf(stderr, "%s\n", e.what());
            std::exit(3);
        }
        std::exit(0);
    };
    setenv("SOMA_MAX_TENSOR_BYTES", "1000", 1);
    EXPECT_EXIT(run(), ::testing::ExitedWithCode(3),
                "needs 1200 bytes, more than the limit of 1000 bytes for one tensor");
    setenv("SOMA_MAX_TENSOR_BYTES", "1200", 1);
    EXPECT_EXIT(run(), ::testing::ExitedWithCode(0), "");
    setenv("SOMA_MAX_TENSOR_BYTES", "12k", 1);
    EXPECT_EXIT(run(), ::testing::ExitedWithCode(3),
                "SOMA_MAX_TENSOR_BYTES must be a positive number of bytes, got '12k'");
    unsetenv("SOMA_MAX_TENSOR_BYTES");
}

TEST(Limits, AbsurdStorageRequestsFailInsteadOfLooping) {
    // Above 2^63 bytes the size-class search used to double a power of two until it wrapped to
    // zero, forever.
    expect_error([] { Storage s(std::numeric_limits<std::size_t>::max()); },
                 "Storage: cannot allocate 18446744073709551615 bytes");
    expect_error([] { Storage s((std::size_t{1} << 63) + 1); }, "cannot allocate");
    Storage ok(1000);
    EXPECT_GE(ok.nbytes(), 1000u);
}

}  // namespace
}  // namespace soma
