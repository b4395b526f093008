// Losses against PyTorch (tests/fixtures/loss.json from tools/fixtures/loss.py), central
// differences, the fused cross-entropy against the composed one, and the error messages.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::nn {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;
using test::tensor_from_json;

Reduction reduction_of(const json& attrs) {
    const std::string r = attrs.value("reduction", "mean");
    return r == "none" ? Reduction::None : r == "sum" ? Reduction::Sum : Reduction::Mean;
}

// The class weight rides in attrs (PyTorch has no gradient for it), in the logits' dtype.
Tensor class_weight(const json& a, DType dtype) {
    if (!a.contains("weight")) return Tensor();
    const auto w = a["weight"].get<std::vector<double>>();
    return from_vector(w, {static_cast<std::int64_t>(w.size())}, dtype);
}

Tensor call_loss(const std::string& op, const std::vector<Tensor>& x, const json& a) {
    const Reduction r = reduction_of(a);
    const Tensor w = class_weight(a, x[0].dtype());
    const std::int64_t ignore = a.value("ignore_index", std::int64_t{-100});
    if (op == "mse_loss") return mse_loss(x[0], x[1], r);
    if (op == "rmse_loss") return rmse_loss(x[0], x[1]);
    if (op == "l1_loss") return l1_loss(x[0], x[1], r);
    if (op == "huber_loss") return huber_loss(x[0], x[1], r, a.value("delta", 1.0));
    if (op == "cross_entropy")
        return cross_entropy(x[0], x[1], r, a.value("label_smoothing", 0.0), w, ignore);
    if (op == "nll_loss") return nll_loss(x[0], x[1], r, w, ignore);
    if (op == "binary_cross_entropy") return binary_cross_entropy(x[0], x[1], r);
    if (op == "binary_cross_entropy_with_logits")
        return binary_cross_entropy_with_logits(x[0], x[1], r);
    if (op == "kl_normal") return kl_normal(x[0], x[1], r);
    ADD_FAILURE() << "no loss named " << op;
    return Tensor();
}

json load_cases() {
    std::ifstream file(std::string(SOMA_FIXTURE_DIR) + "/loss.json");
    EXPECT_TRUE(file) << "missing tests/fixtures/loss.json (run tools/fixtures/loss.py)";
    json cases = file ? json::parse(file).at("cases") : json::array();
    EXPECT_GE(cases.size(), 70u);
    return cases;
}

// Forward and gradients of sum(loss * w) in one dtype and layout.
void replay(const json& c, DType dtype, bool noncontiguous) {
    const std::string label = c["name"].get<std::string>() + " (" + dtype_name(dtype) +
                              (noncontiguous ? ", non-contiguous)" : ")");
    const bool with_grad = !c["weight"].is_null();
    std::vector<Tensor> in;
    for (const json& j : c["inputs"]) {
        Tensor t = tensor_from_json(j);
        if (is_floating(t.dtype())) t = t.to(dtype);
        if (noncontiguous) t = test::make_noncontiguous(t);
        if (with_grad && is_floating(t.dtype())) t.requires_grad_(true);
        in.push_back(t);
    }
    const double rtol = dtype == kFloat64 ? 1e-10 : 1e-4, atol = dtype == kFloat64 ? 1e-12 : 1e-5;
    Tensor out = call_loss(c["op"], in, c["attrs"]);
    expect_close(out, tensor_from_json(c["output"]).to(dtype), rtol, atol, label + " forward");
    if (!with_grad) return;
    out.backward(tensor_from_json(c["weight"]).to(dtype));
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (c["grads"][i].is_null()) continue;
        expect_close(in[i].grad(), tensor_from_json(c["grads"][i]).to(dtype), rtol, atol,
                     label + " gradient of input " + std::to_string(i));
    }
}

TEST(Loss, MatchesPyTorch) {
    for (const json& c : load_cases()) {
        replay(c, kFloat64, false);
        replay(c, kFloat32, false);
        replay(c, kFloat64, true);
    }
}

TEST(Loss, GradCheckEveryCase) {
    for (const json& c : load_cases()) {
        if (c["weight"].is_null()) continue;
        std::vector<Tensor> in;
        for (const json& j : c["inputs"]) in.push_back(tensor_from_json(j));
        // Class indices stay fixed; grad_check perturbs only the floating inputs.
        auto f = [&](const std::vector<Tensor>& xs) {
            std::vector<Tensor> args = xs;
            for (std::size_t i = 0; i < args.size(); ++i)
                if (!is_floating(in[i].dtype())) args[i] = in[i];
            return call_loss(c["op"], args, c["attrs"]);
        };
        autograd::GradCheckResult r = autograd::grad_check(f, in);
        EXPECT_TRUE(r.ok) << c["name"] << ": " << r.message;
    }
}

// The fused kernel and log_softmax + gather agree in value and gradient.
void expect_fused_matches_composed(const Shape& shape, const Tensor& target, Reduction r,
                                   double eps, const Tensor& weight = Tensor(),
                                   std::int64_t ignore = -100) {
    Generator gen(7);
    Tensor base = mul(randn(shape, &gen, kFloat64), 3.0);
    Tensor a = base.clone().requires_grad_(true), b = base.clone().requires_grad_(true);
    Tensor fused = cross_entropy(a, target, r, eps, weight, ignore);
    Tensor composed = cross_entropy_loss_reference(b, target, r, eps, weight, ignore);
    const std::string label = "shape " + shape.str() + " eps " + std::to_string(eps) +
                              (weight.defined() ? " weighted" : "") + " ignore " +
                              std::to_string(ignore);
    expect_close(fused, composed.detach(), 1e-12, 1e-14, label + " value");
    Tensor w = randn(fused.shape(), &gen, kFloat64);
    sum(mul(fused, w)).backward();
    sum(mul(composed, w)).backward();
    expect_close(a.grad(), b.grad(), 1e-12, 1e-14, label + " gradient");
}

TEST(Loss, FusedCrossEntropyEqualsComposed) {
    Generator gen(3);
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
        for (double eps : {0.0, 0.15}) {
            expect_fused_matches_composed({6, 5}, randint(0, 5, {6}, &gen), r, eps);
            expect_fused_matches_composed({2, 3, 4, 2}, randint(0, 3, {2, 4, 2}, &gen), r, eps);
        }
}

TEST(Loss, FusedCrossEntropyWithWeightAndIgnoreEqualsComposed) {
    Generator gen(4);
    Tensor w5 = uniform({5}, 0.2, 2, &gen, kFloat64), w3 = uniform({3}, 0.2, 2, &gen, kFloat64);
    // Some targets ignored (-100), and ignore_index naming a real class (2).
    Tensor t = from_vector(std::vector<std::int64_t>{4, -100, 0, 2, 2, -100});
    Tensor t_real = from_vector(std::vector<std::int64_t>{4, 1, 0, 2, 2, 3});
    Tensor t3 = randint(0, 3, {2, 4, 2}, &gen);
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum})
        for (double eps : {0.0, 0.15}) {
            expect_fused_matches_composed({6, 5}, t, r, eps, w5);
            expect_fused_matches_composed({6, 5}, t, r, eps);
            expect_fused_matches_composed({6, 5}, t_real, r, eps, w5, 2);
            expect_fused_matches_composed({2, 3, 4, 2}, t3, r, eps, w3, 1);
        }
}

TEST(Loss, EveryTargetIgnoredGivesNaNMeanAndZeroGradient) {
    // PyTorch: the mean over no counted target is 0/0.
    Tensor x = randn({3, 4}, nullptr, kFloat64).requires_grad_(true);
    Tensor t = from_vector(std::vector<std::int64_t>{-100, -100, -100});
    Tensor loss = cross_entropy(x, t);
    EXPECT_TRUE(std::isnan(loss.item<double>()));
    EXPECT_TRUE(std::isnan(cross_entropy_loss_reference(x, t).item<double>()));
    EXPECT_EQ(cross_entropy(x, t, Reduction::Sum).item<double>(), 0.0);
    cross_entropy(x, t, Reduction::Sum).backward();
    EXPECT_TRUE(allclose(x.grad(), zeros({3, 4}, kFloat64), 0, 0));
    // Class weights and ignored targets also reach unbatched input (C) with target ().
    Tensor single = tensor({0.5, -1.0, 2.0}, kFloat64);
    Tensor w = tensor({1.0, 3.0, 0.5}, kFloat64);
    Tensor one = from_vector(std::vector<std::int64_t>{1}).reshape({});
    const double lse = std::log(std::exp(0.5) + std::exp(-1.0) + std::exp(2.0));
    EXPECT_NEAR(cross_entropy(single, one, Reduction::Sum, 0.0, w).item<double>(), 3 * (lse + 1),
                1e-12);
    EXPECT_NEAR(cross_entropy(single, one, Reduction::Mean, 0.0, w).item<double>(), lse + 1, 1e-12);
    EXPECT_TRUE(std::isnan(cross_entropy(single, one, Reduction::Mean, 0.0, w, 1).item<double>()));
}

TEST(Loss, WeightedCrossEntropyDoubleBackward) {
    Generator gen(6);
    Tensor base = randn({5, 3}, &gen, kFloat64);
    Tensor t = from_vector(std::vector<std::int64_t>{0, 2, -100, 1, 2});
    Tensor cw = tensor({0.5, 2.0, 1.5}, kFloat64);
    Tensor w = randn({5, 3}, &gen, kFloat64);
    std::vector<Tensor> second;
    for (bool fused : {true, false}) {
        Tensor x = base.clone().requires_grad_(true);
        Tensor loss = fused ? cross_entropy(x, t, Reduction::Mean, 0.1, cw)
                            : cross_entropy_loss_reference(x, t, Reduction::Mean, 0.1, cw);
        Tensor g = autograd::grad({loss}, {x}, {}, false, true)[0];
        sum(mul(g, w)).backward();
        second.push_back(x.grad());
    }
    expect_close(second[0], second[1], 1e-12, 1e-14, "second derivative");
}

TEST(Loss, FusedCrossEntropyDoubleBackward) {
    Generator gen(5);
    Tensor base = randn({4, 3}, &gen, kFloat64), t = randint(0, 3, {4}, &gen);
    Tensor w = randn({4, 3}, &gen, kFloat64);
    std::vector<Tensor> second;
    for (bool fused : {true, false}) {
        Tensor x = base.clone().requires_grad_(true);
        Tensor loss = fused ? cross_entropy(x, t, Reduction::Mean, 0.1)
                            : cross_entropy_loss_reference(x, t, Reduction::Mean, 0.1);
        Tensor g = autograd::grad({loss}, {x}, {}, false, true)[0];
        sum(mul(g, w)).backward();
        second.push_back(x.grad());
    }
    expect_close(second[0], second[1], 1e-12, 1e-14, "second derivative");
}

TEST(Loss, ExtremeLogitsStayFinite) {
    for (DType dtype : {kFloat32, kFloat64}) {
        Tensor x = tensor({{1000, -1000, 0}, {-1000, -1000, 1000}}, dtype).requires_grad_(true);
        Tensor y = from_vector(std::vector<std::int64_t>{1, 2});
        Tensor probs = tensor({{0, 1, 0}, {0.5, 0, 0.5}}, dtype);
        Tensor bits = tensor({{0, 1, 1}, {1, 0, 1}}, dtype);
        for (Tensor loss : {cross_entropy(x, y), cross_entropy(x, probs, Reduction::Mean, 0.1),
                            binary_cross_entropy_with_logits(x, bits)}) {
            EXPECT_TRUE(std::isfinite(loss.item<double>())) << dtype;
            x.set_grad(Tensor());
            loss.backward();
            for (double g : x.grad().to_vector<double>()) EXPECT_TRUE(std::isfinite(g)) << dtype;
        }
        // Row 0 picks a class 2000 below the maximum.
        EXPECT_NEAR(cross_entropy(x.detach(), y, Reduction::None).to_vector<double>()[0], 2000,
                    1e-3);
    }
}

TEST(Loss, BinaryCrossEntropyAtTheEdges) {
    Tensor p = tensor({0, 1, 0, 1}, kFloat64).requires_grad_(true);
    Tensor y = tensor({1, 0, 0, 1}, kFloat64);
    Tensor loss = binary_cross_entropy(p, y, Reduction::None);
    // Element by element: GCC 12.2 with AVX-512 miscompiles the literal vector {100, 100, 0, 0}
    // (it broadcasts 100 into all four slots).
    std::vector<double> got = loss.to_vector<double>();
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], 100);
    EXPECT_EQ(got[1], 100);
    EXPECT_EQ(got[2], 0);
    EXPECT_EQ(got[3], 0);
    sum(loss).backward();
    for (double g : p.grad().to_vector<double>()) EXPECT_TRUE(std::isfinite(g));
}

TEST(Loss, Errors) {
    Tensor a = zeros({3, 4}), b = zeros({3, 5});
    expect_error([&] { mse_loss(a, b); }, "mse_loss: input (3, 4) and target (3, 5)");
    expect_error(
        [&] {
            l1_loss(a, zeros({3, 4}, kFloat64));
        },
        "input is float32 but target is float64");
    expect_error([&] { huber_loss(a, a, Reduction::Mean, 0); }, "delta must be positive");
    Tensor logits = zeros({2, 5});
    expect_error(
        [&] {
            cross_entropy(logits, from_vector(std::vector<std::int64_t>{1, 7}));
        },
        "cross_entropy: target class 7 is out of range for 5 classes");
    expect_error(
        [&] {
            cross_entropy(logits, from_vector(std::vector<std::int64_t>{-1, 0}));
        },
        "target class -1 is out of range");
    expect_error([&] { cross_entropy(logits, zeros({2})); }, "class-index targets must be int64");
    expect_error(
        [&] {
            cross_entropy(logits, from_vector(std::vector<std::int64_t>{1, 2, 3}));
        },
        "class-index target (3,) does not match logits (2, 5) (expected (2,))");
    expect_error(
        [&] {
            cross_entropy(logits, zeros({2, 5}, kFloat64));
        },
        "probability target is float64 but logits are float32");
    expect_error(
        [&] {
            cross_entropy(logits, zeros({2, 4}));
        },
        "probability target (2, 4) does not match logits (2, 5)");
    expect_error(
        [&] {
            cross_entropy(logits, zeros({2, 5}), Reduction::Mean, 1.5);
        },
        "label_smoothing must lie in [0, 1]");
    expect_error(
        [&] {
            cross_entropy(logits, from_vector(std::vector<std::int64_t>{1, 2}), Reduction::Mean,
                          0.0, ones({4}));
        },
        "cross_entropy: weight of shape (4,) does not match the 5 classes of the input (2, 5) "
        "(expected (5,))");
    expect_error(
        [&] {
            cross_entropy(logits, from_vector(std::vector<std::int64_t>{1, 2}), Reduction::Mean,
                          0.0, ones({5}, kFloat64));
        },
        "cross_entropy: weight is float64 but the input is float32");
    expect_error(
        [&] {
            cross_entropy(logits, zeros({2, 5}), Reduction::Mean, 0.0, Tensor(), 0);
        },
        "cross_entropy: ignore_index 0 is not supported with probability targets");
    expect_error(
        [&] {
            // -100 is only skipped when it is the ignore_index.
            cross_entropy(logits, from_vector(std::vector<std::int64_t>{-100, 2}), Reduction::Mean,
                          0.0, Tensor(), -1);
        },
        "cross_entropy: target class -100 is out of range for 5 classes");
    expect_error(
        [&] {
            nll_loss(logits, from_vector(std::vector<std::int64_t>{1, 2}), Reduction::Mean,
                     ones({2, 5}));
        },
        "nll_loss: weight of shape (2, 5) does not match the 5 classes");
    expect_error([&] { nll_loss(logits, zeros({2})); }, "nll_loss: target must hold int64");
    expect_error(
        [&] {
            nll_loss(logits, from_vector(std::vector<std::int64_t>{0, 5}));
        },
        "nll_loss: target class 5 is out of range for 5 classes");
    expect_error([&] { binary_cross_entropy(full({2}, 1.5), zeros({2})); },
                 "binary_cross_entropy: input holds 1.5");
    expect_error([&] { kl_normal(zeros({2}), zeros({3})); }, "kl_normal: mu (2,) and logvar (3,)");
}

}  // namespace
}  // namespace soma::nn
