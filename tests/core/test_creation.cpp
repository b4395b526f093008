// Creating tensors and reading their elements.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_error;
using V = std::vector<float>;
using VD = std::vector<double>;

TEST(Creation, Constants) {
    Tensor z = zeros({2, 3});
    EXPECT_EQ(z.shape(), (Shape{2, 3}));
    EXPECT_EQ(z.dtype(), kFloat32);
    EXPECT_TRUE(z.is_contiguous());
    EXPECT_EQ(z.to_vector(), V(6, 0.0f));
    EXPECT_EQ(ones({3}, kFloat64).to_vector<double>(), VD(3, 1.0));
    EXPECT_EQ(full({2}, 2.5).to_vector(), (V{2.5, 2.5}));
    EXPECT_EQ(full({2}, 7, kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, 7}));
    Tensor f = full({2, 2}, -1, kFloat64);
    EXPECT_EQ(zeros_like(f).dtype(), kFloat64);
    EXPECT_EQ(ones_like(f).to_vector<double>(), VD(4, 1.0));
    EXPECT_EQ(full_like(f, 3).to_vector<double>(), VD(4, 3.0));
    EXPECT_EQ(empty_like(f).shape(), (Shape{2, 2}));
    Tensor s = scalar_tensor(4.5);
    EXPECT_EQ(s.dim(), 0);
    EXPECT_EQ(s.numel(), 1);
    EXPECT_EQ(s.item(), 4.5);
    EXPECT_EQ(zeros({0, 3}).numel(), 0);
    expect_error([] { zeros({2, -1}); }, "empty: negative size in shape (2, -1)");
}

TEST(Creation, Ranges) {
    EXPECT_EQ(arange(4).to_vector(), (V{0, 1, 2, 3}));
    EXPECT_EQ(arange(1, 2, 0.25).to_vector(), (V{1, 1.25, 1.5, 1.75}));
    EXPECT_EQ(arange(3, 0, -1).to_vector(), (V{3, 2, 1}));
    EXPECT_EQ(arange(0, 5, 2, kInt64).to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{0, 2, 4}));
    EXPECT_EQ(arange(2, 2).numel(), 0);
    expect_error([] { arange(0, 1, 0); }, "arange: step must be nonzero");
    expect_error([] { arange(0, 5, -1); },
                 "arange: step -1 has the wrong sign for the range [0, 5)");

    EXPECT_EQ(linspace(0, 1, 5).to_vector(), (V{0, 0.25, 0.5, 0.75, 1}));
    std::vector<double> l = linspace(-1, 0.3, 7, kFloat64).to_vector<double>();
    EXPECT_EQ(l.front(), -1.0);
    EXPECT_EQ(l.back(), 0.3);  // exactly, like torch
    EXPECT_NEAR(l[3], -0.35, 1e-15);
    EXPECT_EQ(linspace(2, 3, 1).to_vector(), (V{2}));
    EXPECT_EQ(linspace(2, 3, 0).numel(), 0);
    expect_error([] { linspace(0, 1, -1); },
                 "linspace: number of steps must be non-negative, got -1");

    EXPECT_EQ(eye(3).to_vector(), (V{1, 0, 0, 0, 1, 0, 0, 0, 1}));
    EXPECT_EQ(eye(2, kFloat64).dtype(), kFloat64);
}

TEST(Creation, FromData) {
    Tensor a = from_vector(V{1, 2, 3, 4, 5, 6}, {2, 3});
    EXPECT_EQ(a.shape(), (Shape{2, 3}));
    EXPECT_EQ(a.dtype(), kFloat32);
    EXPECT_EQ(a.at<float>({1, 0}), 4);
    EXPECT_EQ(from_vector(V{1, 2}).shape(), (Shape{2}));
    EXPECT_EQ(from_vector(V{1}).shape(), (Shape{1}));
    Tensor d = from_vector(VD{0.1, 0.2});
    EXPECT_EQ(d.dtype(), kFloat64);
    EXPECT_EQ(d.to_vector<double>(), (VD{0.1, 0.2}));
    EXPECT_EQ(from_vector(VD{0.5}, {1}, kFloat32).dtype(), kFloat32);
    Tensor i = from_vector(std::vector<std::int64_t>{3, -1}, {2, 1});
    EXPECT_EQ(i.dtype(), kInt64);
    EXPECT_EQ(i.at<std::int64_t>({1, 0}), -1);
    expect_error(
        [] {
            from_vector(V{1, 2, 3, 4, 5}, {2, 3});
        },
        "from_vector: 5 values do not fill shape (2, 3)");

    Tensor t = tensor({{1, 2}, {3, 4}, {5, 6}});
    EXPECT_EQ(t.shape(), (Shape{3, 2}));
    EXPECT_EQ(t.to_vector(), (V{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(tensor({1.5, 2.5}, kFloat64).to_vector<double>(), (VD{1.5, 2.5}));
    expect_error([] { tensor({{1, 2}, {3}}); }, "tensor: rows have different lengths (2 and 1)");
}

TEST(Creation, ElementAccess) {
    Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
    EXPECT_EQ(x.at<float>({0, 2}), 3);
    EXPECT_EQ(x.at<float>({-1, -1}), 6);
    x.at<float>({1, 1}) = 50;  // at() returns a reference
    EXPECT_EQ(x.to_vector(), (V{1, 2, 3, 4, 50, 6}));
    EXPECT_EQ(x.size(0), 2);
    EXPECT_EQ(x.size(-1), 3);
    EXPECT_EQ(x.stride(0), 3);
    EXPECT_EQ(x.numel(), 6);
    EXPECT_EQ(x.data<float>()[4], 50);
    EXPECT_EQ(x.select(1, 2).to_vector(), (V{3, 6}));
    EXPECT_EQ(x.narrow(0, 1, 1).narrow(1, 2, 1).item<float>(), 6.0f);
    EXPECT_EQ(tensor({7}).item<std::int64_t>(), 7);
    // to_vector walks views in row-major order and converts.
    EXPECT_EQ(x.t().to_vector<double>(), (VD{1, 4, 2, 50, 3, 6}));
    EXPECT_EQ(x.t().at<float>({2, 1}), 6);

    expect_error([&] { x.item(); },
                 "item: tensor with 6 elements (2, 3) cannot be converted to a scalar");
    expect_error(
        [&] {
            x.at<float>({2, 0});
        },
        "at: index 2 out of range for dimension 0 of size 2");
    expect_error([&] { x.at<float>({0}); },
                 "at: index has 1 coordinates but the tensor has 2 dimensions");
    expect_error([&] { x.at<double>({0, 0}); }, "at<float64>: tensor is float32");
    expect_error([&] { x.data<double>(); }, "data<float64>: tensor is float32");
    expect_error([&] { x.size(2); }, "size: dimension 2 out of range");
    expect_error([] { Tensor().shape(); }, "operation on an undefined tensor");
}

TEST(Creation, ConversionAndCopies) {
    Tensor x = tensor({{1.5, -2}, {3, 4}});
    Tensor d = x.to(kFloat64);
    EXPECT_EQ(d.dtype(), kFloat64);
    EXPECT_EQ(d.to_vector<double>(), (VD{1.5, -2, 3, 4}));
    EXPECT_TRUE(x.to(kFloat32).same(x));
    EXPECT_EQ(x.to(kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -2, 3, 4}));
    Tensor c = x.clone();
    EXPECT_FALSE(c.shares_storage(x));
    c.fill_(0);
    EXPECT_EQ(x.at<float>({0, 0}), 1.5f);
    EXPECT_TRUE(allclose(x.t().clone(), x.t()));
    EXPECT_TRUE(x.t().clone().is_contiguous());
}

TEST(Creation, InPlace) {
    Tensor x = zeros({2, 3});
    x.fill_(2);
    EXPECT_EQ(x.to_vector(), V(6, 2));
    x.add_(tensor({1, 2, 3}), 0.5);  // broadcast
    EXPECT_EQ(x.to_vector(), (V{2.5, 3, 3.5, 2.5, 3, 3.5}));
    x.mul_(2);
    EXPECT_EQ(x.to_vector(), (V{5, 6, 7, 5, 6, 7}));
    x.t().narrow(0, 1, 1).copy_(tensor({{-1, -2}}));  // into a strided view
    EXPECT_EQ(x.to_vector(), (V{5, -1, 7, 5, -2, 7}));
    x.copy_(scalar_tensor(9, kFloat64));  // broadcast, converted
    EXPECT_EQ(x.to_vector(), V(6, 9));
    x.zero_();
    EXPECT_EQ(x.to_vector(), V(6, 0));
    expect_error([&] { x.add_(zeros({2, 3}, kFloat64)); }, "add_: dtypes differ");
    expect_error([&] { x.copy_(zeros({4})); }, "(4,)");
}

TEST(Creation, Allclose) {
    Tensor a = tensor({1, 2, 3});
    EXPECT_TRUE(allclose(a, tensor({1, 2, 3.00001})));
    EXPECT_FALSE(allclose(a, tensor({1, 2, 3.1})));
    EXPECT_FALSE(allclose(a, tensor({{1, 2, 3}})));  // shapes differ
    Tensor n = tensor({NAN, 1});
    EXPECT_FALSE(allclose(n, n));
    EXPECT_TRUE(allclose(n, n, 1e-5, 1e-8, true));
    EXPECT_TRUE(allclose(tensor({INFINITY}), tensor({INFINITY})));
}

TEST(Allocator, ReusesFreedBlocks) {
    allocator::Stats before = allocator::stats();
    for (int i = 0; i < 5; ++i) Tensor t = Tensor::empty({12345});
    allocator::Stats after = allocator::stats();
    EXPECT_GE(after.reuses, before.reuses + 4);
    EXPECT_LE(after.system_allocs, before.system_allocs + 1);
    EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
    EXPECT_GT(after.cached_bytes, 0u);
    {
        Tensor live = Tensor::empty({1000}, kFloat64);
        EXPECT_GE(allocator::stats().allocated_bytes, before.allocated_bytes + 8000);
    }
    allocator::empty_cache();
    EXPECT_EQ(allocator::stats().cached_bytes, 0u);
    allocator::set_cache_limit(0);  // freed blocks go straight back to the system
    { Tensor t = Tensor::empty({100}); }
    EXPECT_EQ(allocator::stats().cached_bytes, 0u);
    allocator::set_cache_limit(std::size_t{2} << 30);
}

}  // namespace
}  // namespace soma
