// layer_norm: PyTorch fixtures (tests/fixtures/ops_layer_norm.json from
// tools/fixtures/ops_layer_norm.py), the fused kernel against the composed reference, double
// backward, float precision far from zero mean, and errors.

#include <gtest/gtest.h>

#include <sstream>

#include "soma/ops.h"
#include "soma/ops_norm.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;
using Inputs = std::vector<Tensor>;

Tensor from_fixture(const Inputs& x, const json& a) {
    Shape shape;
    for (std::int64_t s : a["normalized_shape"]) shape.push_back(s);
    std::size_t i = 1;
    Tensor w = a["weight"].get<bool>() ? x[i++] : Tensor();
    Tensor b = a["bias"].get<bool>() ? x[i] : Tensor();
    return layer_norm(x[0], shape, w, b, a["eps"].get<double>());
}

TEST(LayerNormOp, Fixtures) { test::run_op_group("layer_norm", {{"layer_norm", from_fixture}}); }

struct LnRun {
    Tensor y, gx, gw, gb;
};

LnRun run_ln(bool fused, const Tensor& x0, const Shape& ns, const Tensor& w0, const Tensor& b0,
             const Tensor& up) {
    Tensor x = x0.detach().clone().requires_grad_();
    Tensor w = w0.defined() ? w0.clone().requires_grad_() : Tensor();
    Tensor b = b0.defined() ? b0.clone().requires_grad_() : Tensor();
    Tensor y = fused ? layer_norm(x, ns, w, b, 1e-3) : layer_norm_reference(x, ns, w, b, 1e-3);
    sum(y * up).backward();
    return {y, x.grad(), w.defined() ? w.grad() : Tensor(), b.defined() ? b.grad() : Tensor()};
}

TEST(LayerNormOp, FusedKernelMatchesComposedReference) {
    Generator gen(7);
    struct Case {
        Shape x, ns;
    };
    // The last is big enough for the parallel paths when threads are on.
    for (const Case& c : {Case{{8, 5}, {5}}, Case{{4, 3, 7}, {7}}, Case{{3, 4, 5, 6}, {5, 6}},
                          Case{{9}, {9}}, Case{{64, 33, 40}, {40}}}) {
        for (DType dtype : {kFloat64, kFloat32}) {
            const double tol = dtype == kFloat64 ? 1e-11 : 2e-4;
            Tensor x = uniform(c.x, -1, 3, &gen, dtype);
            Tensor w = uniform(c.ns, 0.5, 1.5, &gen, dtype), b = uniform(c.ns, -1, 1, &gen, dtype);
            Tensor up = uniform(c.x, -1, 1, &gen, dtype);
            for (int affine = 0; affine < 4; ++affine) {
                std::ostringstream what;
                what << c.x << " over " << c.ns << " " << dtype << " affine " << affine;
                Tensor wa = affine & 1 ? w : Tensor(), ba = affine & 2 ? b : Tensor();
                LnRun f = run_ln(true, x, c.ns, wa, ba, up);
                LnRun r = run_ln(false, x, c.ns, wa, ba, up);
                expect_close(f.y, r.y, tol, tol, what.str() + " y");
                expect_close(f.gx, r.gx, tol, tol, what.str() + " grad x");
                if (wa.defined()) expect_close(f.gw, r.gw, tol, tol, what.str() + " grad weight");
                if (ba.defined()) expect_close(f.gb, r.gb, tol, tol, what.str() + " grad bias");
            }
        }
    }
}

TEST(LayerNormOp, NonContiguousInput) {
    Generator gen(3);
    Tensor base = uniform({5, 4, 6}, -2, 2, &gen, kFloat64);
    Tensor x = base.transpose(0, 2);  // (6, 4, 5), strided
    ASSERT_FALSE(x.is_contiguous());
    Tensor up = uniform(x.shape(), -1, 1, &gen, kFloat64);
    Tensor w = uniform({5}, 0.5, 1.5, &gen, kFloat64);
    LnRun f = run_ln(true, x, {5}, w, Tensor(), up);
    LnRun r = run_ln(true, x.contiguous(), {5}, w, Tensor(), up);
    expect_close(f.y, r.y, 0, 0, "y");
    expect_close(f.gx, r.gx, 0, 0, "grad x");
    expect_close(f.gw, r.gw, 0, 0, "grad weight");
}

TEST(LayerNormOp, LargeOffsetKeepsFloatPrecision) {
    // |mean| >> std: two passes and centring before scaling keep float32 close to float64.
    Generator gen(9);
    Tensor x = (uniform({16, 32}, -1, 1, &gen) + 1000.0).to(kFloat32);
    Tensor up = uniform({16, 32}, -1, 1, &gen);
    LnRun f32 = run_ln(true, x, {32}, Tensor(), Tensor(), up);
    LnRun f64 = run_ln(true, x.to(kFloat64), {32}, Tensor(), Tensor(), up.to(kFloat64));
    expect_close(f32.y.to(kFloat64), f64.y, 0, 1e-4, "y");
    expect_close(f32.gx.to(kFloat64), f64.gx, 0, 1e-4, "grad x");
}

TEST(LayerNormOp, GradCheck) {
    Generator gen(11);
    Tensor x = uniform({3, 2, 4}, -1, 2, &gen, kFloat64);
    Tensor w = uniform({2, 4}, 0.5, 1.5, &gen, kFloat64);
    Tensor b = uniform({2, 4}, -1, 1, &gen, kFloat64);
    auto r = autograd::grad_check(
        [](const std::vector<Tensor>& in) {
            return layer_norm(in[0], {2, 4}, in[1], in[2]);
        },
        {x, w, b});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(LayerNormOp, DoubleBackward) {
    // Under create_graph the backward switches to composed ops: its first-order values equal
    // the fused kernel's, and its own gradient is right.
    Generator gen(5);
    Tensor x = uniform({4, 3, 2}, -1, 2, &gen, kFloat64).requires_grad_();
    Tensor w = uniform({2}, 0.5, 1.5, &gen, kFloat64).requires_grad_();
    Tensor b = uniform({2}, -1, 1, &gen, kFloat64).requires_grad_();
    Tensor up = uniform({4, 3, 2}, -1, 1, &gen, kFloat64);
    Tensor loss = sum(layer_norm(x, {2}, w, b) * up);
    auto fused = autograd::grad({loss}, {x, w, b}, {}, true, false);
    auto composed = autograd::grad({loss}, {x, w, b}, {}, false, true);
    const char* names[] = {"x", "weight", "bias"};
    for (int i = 0; i < 3; ++i) expect_close(composed[i], fused[i], 1e-12, 1e-12, names[i]);
    auto r = autograd::grad_check(
        [&](const std::vector<Tensor>& in) {
            autograd::EnableGrad enable;  // grad_check evaluates f under NoGrad for differences
            Tensor l = sum(layer_norm(in[0], {2}, in[1], in[2]) * up);
            auto g = autograd::grad({l}, {in[0], in[1]}, {}, true, true);
            return sum(g[0] * g[0]) + sum(g[1] * in[1]);
        },
        {x.detach(), w.detach(), b.detach()});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(LayerNormOp, Errors) {
    Tensor x = zeros({2, 3, 4});
    expect_error([&] { layer_norm(x, {3}); },
                 "layer_norm: normalized_shape (3,) does not match the trailing dimensions of "
                 "the input (2, 3, 4)");
    expect_error([&] { layer_norm(zeros({4}), {2, 4}); }, "does not match the trailing");
    expect_error([&] { layer_norm(x, Shape{}); }, "normalized_shape must have at least one");
    expect_error([&] { layer_norm(x, {4}, ones({3})); },
                 "layer_norm: weight of shape (3,) does not match normalized_shape (4,)");
    expect_error(
        [&] {
            layer_norm(x, {3, 4}, Tensor(), zeros({4}));
        },
        "bias of shape (4,) does not match normalized_shape (3, 4)");
    expect_error([&] { layer_norm(x, {4}, ones({4}, kFloat64)); },
                 "weight is float64 but the input is float32");
    expect_error([&] { layer_norm(x, {4}, Tensor(), Tensor(), -1); }, "eps must be non-negative");
    expect_error([&] { layer_norm(Tensor(), {4}); }, "layer_norm: undefined input");
    expect_error([&] { layer_norm(zeros({2, 4}, kInt64), {4}); }, "layer_norm");
}

}  // namespace
}  // namespace soma
