// autograd::grad, double backward, grad_check and DOT export.

#include <gtest/gtest.h>

#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using autograd::Grads;
using test::expect_error;
using VD = std::vector<double>;

Tensor leaf(std::initializer_list<double> v) { return tensor(v, kFloat64).requires_grad_(); }

TEST(AutogradGrad, ReturnsGradientsWithoutTouchingDotGrad) {
    Tensor x = leaf({1, 2});
    Tensor h = x * 2.0;  // a non-leaf input
    Tensor y = sum(h * h * x);
    std::vector<Tensor> g = autograd::grad({y}, {x, h}, {}, /*retain_graph=*/true);
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].to_vector<double>(), (VD{12, 48}));  // d/dx 4x^3 = 12x^2
    EXPECT_EQ(g[1].to_vector<double>(), (VD{4, 16}));   // d/dh h^2 x = 2hx
    EXPECT_FALSE(x.grad().defined());
    EXPECT_FALSE(h.grad().defined());

    Tensor unused = leaf({5});
    expect_error([&] { autograd::grad({y}, {unused}, {}, true); },
                 "grad: input 0 was not used to compute the outputs (pass allow_unused=true");
    std::vector<Tensor> u =
        autograd::grad({y}, {x, unused}, {}, false, false, /*allow_unused=*/true);
    EXPECT_TRUE(u[0].defined());
    EXPECT_FALSE(u[1].defined());
    expect_error([&] { autograd::grad({sum(x)}, {tensor({1})}); },
                 "grad: input 0 does not require grad");
}

TEST(AutogradGrad, ExplicitOutputGradient) {
    Tensor x = leaf({1, 2, 3});
    std::vector<Tensor> g = autograd::grad({x * x}, {x}, {tensor({1, 0, -1}, kFloat64)});
    EXPECT_EQ(g[0].to_vector<double>(), (VD{2, 0, -6}));
}

TEST(AutogradGrad, DoubleBackward) {
    // d/dx x^3 = 3x^2, d2/dx2 = 6x.
    Tensor x = leaf({-1, 0.5, 2});
    Tensor y = sum(x * x * x);
    Tensor g = autograd::grad({y}, {x}, {}, false, /*create_graph=*/true)[0];
    EXPECT_TRUE(g.requires_grad());
    EXPECT_EQ(g.to_vector<double>(), (VD{3, 0.75, 12}));
    Tensor g2 = autograd::grad({sum(g)}, {x})[0];
    EXPECT_EQ(g2.to_vector<double>(), (VD{-6, 3, 12}));

    // The same through backward(create_graph): .grad itself is differentiable.
    Tensor z = leaf({2});
    sum(z * z * z).backward(Tensor(), false, true);
    Tensor dz = z.grad();
    EXPECT_TRUE(dz.requires_grad());
    EXPECT_EQ(autograd::grad({sum(dz)}, {z})[0].item(), 12.0);
    // As in PyTorch, z.grad's graph refers back to z: a cycle until the gradient is reset.
    z.set_grad(Tensor());
}

TEST(AutogradGrad, SecondDerivativesOfActivations) {
    Tensor x = leaf({-1.5, 0.3, 2});
    struct Case {
        const char* name;
        Tensor (*f)(const Tensor&);
        double (*f2)(double);
    };
    const Case cases[] = {
        {"exp", exp, [](double v) { return std::exp(v); }},
        {"tanh", tanh,
         [](double v) {
             double t = std::tanh(v);
             return -2 * t * (1 - t * t);
         }},
        {"sigmoid", sigmoid,
         [](double v) {
             double s = 1 / (1 + std::exp(-v));
             return s * (1 - s) * (1 - 2 * s);
         }},
        {"sqrt_of_exp", [](const Tensor& t) { return sqrt(exp(t)); },
         [](double v) { return std::exp(v / 2) / 4; }},
    };
    for (const Case& c : cases) {
        Tensor g = autograd::grad({sum(c.f(x))}, {x}, {}, false, true)[0];
        std::vector<double> g2 = autograd::grad({sum(g)}, {x})[0].to_vector<double>();
        for (int i = 0; i < 3; ++i)
            EXPECT_NEAR(g2[i], c.f2(x.to_vector<double>()[i]), 1e-12) << c.name << " at " << i;
    }
}

// x^2 with a backward that is wrong by `bump` (one element off).
Tensor square_with_bug(const Tensor& x, const Tensor& bump) {
    Tensor y = x.detach() * x.detach();
    return autograd::record("SquareWithBugBackward", y, {x}, [x, bump](const Tensor& gy) {
        return Grads{gy * x * 2.0 + gy * bump};
    });
}

TEST(AutogradGrad, GradCheckFindsTheWrongElement) {
    Tensor x = tensor({{0.5, -1, 2}, {1.5, 0.25, -0.75}}, kFloat64);
    Tensor no_bump = zeros({2, 3}, kFloat64), bump = zeros({2, 3}, kFloat64);
    bump.at<double>({1, 2}) = 0.5;

    auto good = autograd::grad_check(
        [&](const std::vector<Tensor>& in) { return square_with_bug(in[0], no_bump); }, {x});
    EXPECT_TRUE(good.ok) << good.message;
    EXPECT_LT(good.max_abs_error, 1e-6);

    auto bad = autograd::grad_check(
        [&](const std::vector<Tensor>& in) { return square_with_bug(in[0], bump); }, {x});
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.input, 0);
    EXPECT_EQ(bad.index, (std::vector<std::int64_t>{1, 2}));
    EXPECT_NEAR(bad.max_abs_error, 0.5 * std::abs(bad.numeric / (2 * -0.75)), 1e-6);
    EXPECT_NE(bad.message.find("FAILED"), std::string::npos) << bad.message;
    EXPECT_NE(bad.message.find("input 0 at (1, 2)"), std::string::npos) << bad.message;

    // The worst element is found in the right input of several.
    auto two = autograd::grad_check(
        [&](const std::vector<Tensor>& in) { return in[0] + square_with_bug(in[1], bump); },
        {x, x.to(kFloat32)});
    EXPECT_FALSE(two.ok);
    EXPECT_EQ(two.input, 1);
    EXPECT_EQ(two.index, (std::vector<std::int64_t>{1, 2}));
    // The caller's tensors are left alone.
    EXPECT_FALSE(x.requires_grad());
    EXPECT_EQ(x.at<double>({1, 2}), -0.75);
}

TEST(AutogradGrad, ToDot) {
    Tensor x = zeros({2, 3}, kFloat64).requires_grad_();
    Tensor y = sum(exp(x) * 2.0);
    std::string dot = autograd::to_dot(y);
    for (const char* want : {"digraph", "SumBackward", "MulBackward", "ExpBackward", "leaf (2, 3)"})
        EXPECT_NE(dot.find(want), std::string::npos) << want << " missing from\n" << dot;
    EXPECT_NE(autograd::to_dot(x).find("digraph"), std::string::npos);
}

}  // namespace
}  // namespace soma
