// linear(x, W, b): the fused node against the composed matmul + add it replaces (values and
// every gradient, in each layout and dtype), central differences, double backward, errors.
// PyTorch parity runs through nn.Linear's fixtures (tests/nn/test_modules.cpp).

#include <gtest/gtest.h>

#include "soma/autograd.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_close;
using test::expect_error;

struct Grads3 {
    Tensor y, dx, dw, db;
};

// Forward and the gradients of sum(y * up) through `f`, on fresh leaves copied from x, w, b.
template <class F>
Grads3 run(F f, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& up) {
    Tensor xl = x.detach().clone().requires_grad_(), wl = w.detach().clone().requires_grad_();
    Tensor bl = b.defined() ? b.detach().clone().requires_grad_() : Tensor();
    Tensor y = f(xl, wl, bl);
    sum(y * up).backward();
    return {y, xl.grad(), wl.grad(), bl.defined() ? bl.grad() : Tensor()};
}

Tensor composed(const Tensor& x, const Tensor& w, const Tensor& b) {
    return b.defined() ? matmul(x, w.t()) + b : matmul(x, w.t());
}

TEST(LinearOp, FusedMatchesComposedInEveryLayout) {
    Generator gen(11);
    const std::vector<Shape> inputs = {{5}, {4, 5}, {2, 3, 5}, {0, 5}, {1, 5}};
    for (DType dt : {kFloat64, kFloat32})
        for (const Shape& xs : inputs)
            for (bool bias : {true, false})
                for (bool strided : {false, true}) {
                    Tensor x = randn(xs, &gen, dt), w = randn({7, 5}, &gen, dt);
                    if (strided) x = test::make_noncontiguous(x);
                    Tensor b = bias ? randn({7}, &gen, dt) : Tensor();
                    Shape ys = xs;
                    ys[ys.size() - 1] = 7;
                    Tensor up = randn(ys, &gen, dt);
                    const double tol = dt == kFloat64 ? 1e-12 : 1e-5;
                    const std::string what = xs.str() + (bias ? " bias" : "") +
                                             (strided ? " strided " : " ") + dtype_name(dt);
                    Grads3 f = run([](auto&... a) { return linear(a...); }, x, w, b, up);
                    Grads3 c = run([](auto&... a) { return composed(a...); }, x, w, b, up);
                    ASSERT_EQ(f.y.shape(), ys) << what;
                    expect_close(f.y, c.y, tol, tol, what + " y");
                    expect_close(f.dx, c.dx, tol, tol, what + " dx");
                    expect_close(f.dw, c.dw, tol, tol, what + " dW");
                    if (bias) expect_close(f.db, c.db, tol, tol, what + " db");
                    EXPECT_TRUE(f.dw.is_contiguous()) << what;  // the parameter's own layout
                }
}

TEST(LinearOp, GradientsMatchCentralDifferences) {
    Generator gen(12);
    for (bool bias : {true, false}) {
        auto f = [bias](const std::vector<Tensor>& in) {
            return linear(in[0], in[1], bias ? in[2] : Tensor());
        };
        auto r = autograd::grad_check(
            f, {randn({3, 2, 4}, &gen), randn({5, 4}, &gen), randn({5}, &gen)});
        EXPECT_TRUE(r.ok) << r.message;
    }
}

TEST(LinearOp, DoubleBackwardMatchesComposed) {
    // d/dx of |dL/dW|^2 needs the backward itself to be differentiable (create_graph).
    Generator gen(13);
    Tensor x0 = randn({3, 4}, &gen, kFloat64), w0 = randn({2, 4}, &gen, kFloat64);
    Tensor b0 = randn({2}, &gen, kFloat64);
    auto second = [&](auto f) {
        Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_();
        Tensor b = b0.clone().requires_grad_();
        Tensor loss = sum(tanh(f(x, w, b)));
        Tensor dw = autograd::grad({loss}, {w}, {}, true, true)[0];
        return autograd::grad({sum(dw * dw)}, {x})[0];
    };
    expect_close(second([](auto&... a) { return linear(a...); }),
                 second([](auto&... a) { return composed(a...); }), 1e-12, 1e-12, "d2");
}

TEST(LinearOp, BadShapesAreErrors) {
    Tensor x = zeros({3, 4}), w = zeros({2, 4});
    expect_error([&] { linear(zeros({3, 5}), w); }, "linear: input of shape (3, 5) does not end");
    expect_error([&] { linear(x, zeros({4})); }, "weight of shape (4,) should be (out, in)");
    expect_error([&] { linear(x, w, zeros({3})); }, "bias of shape (3,) should be (2,)");
    expect_error([&] { linear(x.to(kFloat64), w); }, "input dtype float64 differs");
    expect_error([&] { linear(Tensor(), w); }, "undefined");
}

}  // namespace
}  // namespace soma
