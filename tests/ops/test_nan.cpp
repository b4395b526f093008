// NaN propagates through relu, clamp, max/min and maximum/minimum as in PyTorch, so a diverged
// input shows up as NaN logits instead of plausible finite numbers.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "soma/autograd.h"
#include "soma/ops.h"

namespace soma {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Element i is NaN exactly when expected[i] is, and equal otherwise.
void expect_same(const Tensor& got, const std::vector<float>& expected) {
    std::vector<float> v = got.to_vector<float>();
    ASSERT_EQ(v.size(), expected.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (std::isnan(expected[i]))
            EXPECT_TRUE(std::isnan(v[i])) << "element " << i << " is " << v[i] << ", expected NaN";
        else
            EXPECT_EQ(v[i], expected[i]) << "element " << i;
    }
}

TEST(NaN, ReluPropagatesIt) {
    // Long enough for the vectorised loop body as well as the tail.
    std::vector<float> in, out;
    for (int i = 0; i < 37; ++i) {
        float v = i % 5 == 0 ? kNaN : static_cast<float>(i % 3) - 1.0f;  // -1, 0, 1, NaN
        in.push_back(v);
        out.push_back(std::isnan(v) ? kNaN : std::max(v, 0.0f));
    }
    expect_same(relu(from_vector(in)), out);
    expect_same(relu(from_vector(std::vector<float>{-0.0f})), {0.0f});
    EXPECT_FALSE(std::signbit(relu(from_vector(std::vector<float>{-0.0f})).item<float>()));
    // float64 takes the same path.
    Tensor d = relu(tensor({kNaN, -2.0, 3.0}, kFloat64));
    EXPECT_TRUE(std::isnan(d.to_vector<double>()[0]));
    EXPECT_EQ(d.to_vector<double>()[1], 0.0);
}

TEST(NaN, ReluBackwardPassesTheGradientAtNaNLikeTorch) {
    // torch: threshold_backward gives grad where !(x <= 0), so NaN inputs pass it on.
    Tensor x = tensor({kNaN, -1.0, 0.0, 2.0}).requires_grad_();
    sum(relu(x)).backward();
    expect_same(x.grad(), {1.0f, 0.0f, 0.0f, 1.0f});
}

TEST(NaN, LeakyReluAndHeaviside) {
    expect_same(leaky_relu(tensor({kNaN, -1.0, 2.0}), 0.5), {kNaN, -0.5f, 2.0f});
    expect_same(heaviside(tensor({kNaN, -1.0, 0.0, 2.0}), 0.5), {kNaN, 0.0f, 0.5f, 1.0f});
}

TEST(NaN, ClampPropagatesIt) {
    Tensor x = tensor({kNaN, -5.0, 0.5, 5.0});
    expect_same(clamp(x, -1.0, 1.0), {kNaN, -1.0f, 0.5f, 1.0f});
    expect_same(clamp(x, -1.0, std::nullopt), {kNaN, -1.0f, 0.5f, 5.0f});
    expect_same(clamp(x, std::nullopt, 1.0), {kNaN, -5.0f, 0.5f, 1.0f});
    // Gradient: 0 at NaN (torch masks with min <= x <= max, false for NaN).
    Tensor xg = tensor({kNaN, -5.0, 0.5}).requires_grad_();
    sum(clamp(xg, -1.0, 1.0)).backward();
    expect_same(xg.grad(), {0.0f, 0.0f, 1.0f});
}

TEST(NaN, MaxAndMinPropagateIt) {
    Tensor x = tensor({{1.0, kNaN, 3.0}, {4.0, 5.0, 6.0}});
    EXPECT_TRUE(std::isnan(max(x).item<float>()));
    EXPECT_TRUE(std::isnan(min(x).item<float>()));
    expect_same(max(x, 1), {kNaN, 6.0f});
    expect_same(min(x, 1), {kNaN, 4.0f});
    expect_same(max(x, 0), {4.0f, kNaN, 6.0f});
    EXPECT_EQ(argmax(x, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 2}));
    // A NaN first in the lane, too.
    expect_same(max(tensor({{kNaN, 1.0}}), 1), {kNaN});

    // Gradient of max over everything goes to the NaN (the value it returned).
    Tensor xg = tensor({1.0, kNaN, 3.0}).requires_grad_();
    max(xg).backward();
    expect_same(xg.grad(), {0.0f, 1.0f, 0.0f});
}

TEST(NaN, MaximumAndMinimumPropagateIt) {
    Tensor a = tensor({kNaN, 1.0, 2.0, kNaN});
    Tensor b = tensor({0.0, kNaN, 3.0, kNaN});
    expect_same(maximum(a, b), {kNaN, kNaN, 3.0f, kNaN});
    expect_same(minimum(a, b), {kNaN, kNaN, 2.0f, kNaN});
}

// End to end: a NaN in the input of a small ReLU network gives NaN logits, not finite ones.
TEST(NaN, ReluNetworkGivesNaNLogits) {
    Tensor x = tensor({{1.0, kNaN}});
    Tensor w1 = tensor({{1.0, -1.0}, {-1.0, 1.0}});  // both hidden units see the NaN
    Tensor h = relu(matmul(x, w1));
    Tensor logits = matmul(h, tensor({{1.0}, {1.0}}));
    EXPECT_TRUE(std::isnan(logits.item<float>()));
}

}  // namespace
}  // namespace soma
