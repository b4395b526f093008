// The backward engine: accumulation, seeds, grad modes, graph lifetime, non-leaf gradients.

#include <gtest/gtest.h>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_error;
using VD = std::vector<double>;

Tensor leaf(std::initializer_list<double> v) { return tensor(v, kFloat64).requires_grad_(); }

TEST(Autograd, AccumulatesOverUsesAndCalls) {
    Tensor x = leaf({1, -2, 3});
    sum(x * x + x).backward();  // x used three times: d/dx = 2x + 1
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{3, -3, 7}));
    sum(x * 3.0).backward();  // a second backward adds to .grad
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{6, 0, 10}));
    x.set_grad(Tensor());  // what zero_grad does
    EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, DiamondGraph) {
    // y = a * a + a with a = 2x: each node runs once, after all its consumers.
    Tensor x = leaf({1, 2});
    Tensor a = x * 2.0;
    sum(a * a + a).backward();
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{10, 18}));  // (2a + 1) * 2
}

TEST(Autograd, BroadcastGradientsAreReduced) {
    Tensor a = zeros({3, 1}, kFloat64).requires_grad_(), b = zeros({4}, kFloat64).requires_grad_();
    sum(a + b).backward();
    EXPECT_EQ(a.grad().shape(), (Shape{3, 1}));
    EXPECT_EQ(a.grad().to_vector<double>(), VD(3, 4));
    EXPECT_EQ(b.grad().to_vector<double>(), VD(4, 3));
}

TEST(Autograd, NonScalarNeedsExplicitGradient) {
    Tensor x = leaf({1, 2, 3});
    Tensor y = x * 2.0;
    expect_error([&] { y.backward(); },
                 "backward: grad can be implicitly created only for a tensor with one element; got "
                 "shape (3,)");
    y.backward(tensor({1, 0.5, -1}, kFloat64));
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{2, 1, -2}));
    Tensor z = x * 2.0;
    expect_error(
        [&] {
            z.backward(tensor({1, 2}, kFloat64));
        },
        "backward: gradient shape (2,) does not match the tensor's shape (3,)");
    expect_error(
        [&] {
            z.backward(tensor({1, 2, 3}));
        },
        "backward: gradient dtype float32 does not match the tensor's dtype float64");
    expect_error([] { sum(ones({2})).backward(); },
                 "backward: tensor does not require grad and has no grad_fn");
}

TEST(Autograd, GradModes) {
    Tensor x = leaf({1, 2});
    {
        NoGrad no_grad;
        EXPECT_FALSE(autograd::grad_enabled());
        Tensor y = x * 2.0;
        EXPECT_FALSE(y.requires_grad());
        EXPECT_TRUE(y.is_leaf());
        EXPECT_EQ(y.grad_fn_name(), "");
        {
            autograd::EnableGrad enable;
            Tensor z = x * 2.0;
            EXPECT_TRUE(z.requires_grad());
            EXPECT_EQ(z.grad_fn_name(), "MulBackward");
        }
        EXPECT_FALSE(autograd::grad_enabled());
    }
    EXPECT_TRUE(autograd::grad_enabled());
    // Inputs that need no grad record nothing either.
    EXPECT_FALSE((tensor({1, 2}) * 2.0).requires_grad());
}

TEST(Autograd, RetainGraph) {
    Tensor x = leaf({1, 2});
    Tensor y = sum(x * x);
    y.backward(Tensor(), /*retain_graph=*/true);
    y.backward();
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{4, 8}));
    expect_error([&] { y.backward(); },
                 "backward: trying to backward through the graph a second time");
    expect_error([&] { y.backward(); }, "pass retain_graph=true");
}

TEST(Autograd, Detach) {
    Tensor x = leaf({1, 2, 3});
    Tensor d = x.detach();
    EXPECT_TRUE(d.shares_storage(x));
    EXPECT_FALSE(d.requires_grad());
    EXPECT_TRUE(d.is_leaf());
    Tensor y = sum(x * (x * 2.0).detach());  // the detached factor is a constant
    y.backward();
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{2, 4, 6}));
}

TEST(Autograd, GradFnNames) {
    Tensor x = leaf({1, 2});
    EXPECT_EQ(x.grad_fn_name(), "");
    EXPECT_TRUE(x.is_leaf());
    EXPECT_EQ((x + x).grad_fn_name(), "AddBackward");
    EXPECT_EQ((x - x).grad_fn_name(), "SubBackward");
    EXPECT_EQ(sum(x).grad_fn_name(), "SumBackward");
    EXPECT_EQ(exp(x).grad_fn_name(), "ExpBackward");
    EXPECT_EQ(x.unsqueeze(0).t().grad_fn_name(), "TransposeBackward");
    EXPECT_EQ(matmul(x, x).grad_fn_name().empty(), false);
    EXPECT_FALSE((x * 2.0).is_leaf());
}

TEST(Autograd, RetainGradOnNonLeaf) {
    Tensor x = leaf({1, 2});
    Tensor h = x * 3.0;
    Tensor k = h + 1.0;
    h.retain_grad();
    sum(k * k).backward();
    EXPECT_EQ(h.grad().to_vector<double>(), (VD{8, 14}));  // 2k
    EXPECT_FALSE(k.grad().defined());                      // not retained
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{24, 42}));
    expect_error([] { tensor({1}).retain_grad(); }, "retain_grad: tensor does not require grad");
}

TEST(Autograd, RequiresGradRules) {
    expect_error([] { zeros({2}, kInt64).requires_grad_(); },
                 "requires_grad_: only floating point tensors can require grad");
    Tensor x = leaf({1});
    Tensor y = x * 2.0;
    expect_error([&] { y.requires_grad_(false); },
                 "requires_grad_: only leaf tensors can stop requiring grad");
    x.requires_grad_(false);
    EXPECT_FALSE(x.requires_grad());
}

TEST(Autograd, InPlaceRefusedOnLeavesRequiringGrad) {
    Tensor w = leaf({1, 2});
    const char* msg = "in-place update of a tensor that requires grad; wrap it in soma::NoGrad";
    expect_error([&] { w.fill_(0); }, std::string("fill_: ") + msg);
    expect_error([&] { w.zero_(); }, msg);
    expect_error([&] { w.mul_(2); }, std::string("mul_: ") + msg);
    expect_error([&] { w.add_(tensor({1, 1}, kFloat64)); }, std::string("add_: ") + msg);
    expect_error([&] { w.copy_(tensor({1, 1}, kFloat64)); }, std::string("copy_: ") + msg);
    {
        NoGrad no_grad;  // how optimisers update parameters
        w.add_(tensor({1, 1}, kFloat64), -0.5);
        w.mul_(2);
    }
    EXPECT_EQ(w.to_vector<double>(), (VD{1, 3}));
    EXPECT_TRUE(w.requires_grad());
}

TEST(Autograd, DtypeConversionIsDifferentiable) {
    Tensor x = leaf({1, 2});
    Tensor y = sum(x.to(kFloat32) * 3.0);
    EXPECT_EQ(y.dtype(), kFloat32);
    y.backward();
    EXPECT_EQ(x.grad().dtype(), kFloat64);
    EXPECT_EQ(x.grad().to_vector<double>(), (VD{3, 3}));
}

}  // namespace
}  // namespace soma
