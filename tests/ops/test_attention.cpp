// scaled_dot_product_attention: PyTorch fixtures (for the fused op and the composed reference),
// the fused op against the reference on shapes that cross the kernel's blocks, gradient checks,
// fully masked rows, dropout, thread independence and errors.

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/ops_attention.h"
#include "soma/threading.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;
using Inputs = std::vector<Tensor>;

std::optional<double> scale_of(const json& a) {
    return a.contains("scale") ? std::optional<double>(a["scale"].get<double>()) : std::nullopt;
}

template <bool Fused>
Tensor sdpa_case(const Inputs& x, const json& a) {
    Tensor mask = x.size() > 3 ? x[3] : Tensor();
    const bool causal = a.value("is_causal", false);
    if (Fused)
        return scaled_dot_product_attention(x[0], x[1], x[2], mask, 0.0, causal, scale_of(a));
    return scaled_dot_product_attention_reference(x[0], x[1], x[2], mask, 0.0, causal, scale_of(a));
}

TEST(Attention, FixturesFused) { test::run_op_group("attention", {{"sdpa", sdpa_case<true>}}); }

TEST(Attention, FixturesReference) {
    test::run_op_group("attention", {{"sdpa", sdpa_case<false>}});
}

enum class MaskKind { None, Bool, Float };

struct Config {
    Shape batch;
    std::int64_t L, S, E, Ev;
    MaskKind mask = MaskKind::None;
    Shape mask_shape = {};  // empty: (L, S)
    bool causal = false;
};

// Runs the fused op and the reference on the same inputs and compares the output and every
// gradient of sum(out * w).
void compare_with_reference(const Config& c, DType dt, double tol) {
    Generator g(1234 + c.L * 7 + c.S);
    auto with = [&](std::int64_t a, std::int64_t b) {
        Shape s = c.batch;
        s.push_back(a);
        s.push_back(b);
        return s;
    };
    Tensor q = randn(with(c.L, c.E), &g, dt), k = randn(with(c.S, c.E), &g, dt);
    Tensor v = randn(with(c.S, c.Ev), &g, dt), w = randn(with(c.L, c.Ev), &g, dt);
    const Shape ms = c.mask_shape.size() ? c.mask_shape : Shape{c.L, c.S};
    Tensor mask;
    if (c.mask == MaskKind::Bool) {
        mask = lt(rand(ms, &g, kFloat64), 0.7).to(kInt64);
        mask.narrow(-1, 0, 1).fill_(1);  // every row keeps a key
    } else if (c.mask == MaskKind::Float) {
        mask = rand(ms, &g, dt) * 3 - 2;
    }
    const std::string what = "L=" + std::to_string(c.L) + " S=" + std::to_string(c.S) + " " +
                             dtype_name(dt) + (c.causal ? " causal" : "");
    Inputs grads[2];
    Tensor outs[2];
    for (int fused = 0; fused < 2; ++fused) {
        Tensor qi = q.clone().requires_grad_(), ki = k.clone().requires_grad_();
        Tensor vi = v.clone().requires_grad_();
        Tensor mi = c.mask == MaskKind::Float ? mask.clone().requires_grad_() : mask;
        Tensor out = fused ? scaled_dot_product_attention(qi, ki, vi, mi, 0.0, c.causal)
                           : scaled_dot_product_attention_reference(qi, ki, vi, mi, 0.0, c.causal);
        sum(out * w).backward();
        outs[fused] = out.detach();
        grads[fused] = {qi.grad(), ki.grad(), vi.grad()};
        if (c.mask == MaskKind::Float) grads[fused].push_back(mi.grad());
    }
    expect_close(outs[1], outs[0], tol, tol, what + " output");
    const char* names[] = {"dq", "dk", "dv", "dmask"};
    for (std::size_t i = 0; i < grads[0].size(); ++i)
        expect_close(grads[1][i], grads[0][i], tol, tol, what + " " + names[i]);
}

// Sizes around and past the kernel's 64-row blocks, L != S, E != Ev.
const std::vector<Config> kConfigs = {
    {{2}, 70, 130, 9, 5},
    {{1, 3}, 65, 64, 16, 16, MaskKind::None, {}, true},
    {{2}, 130, 70, 4, 6, MaskKind::None, {}, true},
    {{2}, 70, 130, 3, 5, MaskKind::None, {}, true},
    {{2, 2}, 67, 129, 8, 3, MaskKind::Bool},
    {{2, 2}, 67, 129, 8, 3, MaskKind::Bool, {2, 1, 67, 129}, true},
    {{2, 2}, 33, 70, 4, 7, MaskKind::Float, {2, 1, 1, 70}},
    {{3}, 65, 66, 5, 2, MaskKind::Float, {3, 65, 66}, true},
    {{}, 1, 1, 1, 1},
    {{2}, 0, 3, 2, 2},
};

TEST(Attention, FusedMatchesReferenceFloat64) {
    for (const Config& c : kConfigs) compare_with_reference(c, kFloat64, 1e-10);
}

TEST(Attention, FusedMatchesReferenceFloat32) {
    for (const Config& c : kConfigs) compare_with_reference(c, kFloat32, 2e-4);
}

TEST(Attention, HeadViewsAndBroadcastBatchesReadInPlace) {
    // The heads of (N, L, H·hd) data as (N, H, L, hd) views (batch strides that are not a
    // product of the sizes), a key expanded over the heads (stride 0), and L = 1.
    Generator g(13);
    for (std::int64_t L : {1, 70}) {
        Tensor x = randn({2, L, 3 * 8}, &g, kFloat64), y = randn({2, 75, 3 * 8}, &g, kFloat64);
        Tensor w = randn({2, 3, L, 8}, &g, kFloat64);
        Tensor kv = randn({2, 1, 75, 8}, &g, kFloat64);
        Tensor outs[2], gx[2], gk[2];
        for (int fused = 0; fused < 2; ++fused) {
            Tensor xi = x.clone().requires_grad_(), ki = kv.clone().requires_grad_();
            Tensor q = xi.reshape({2, L, 3, 8}).transpose(1, 2);
            Tensor k = ki.expand({2, 3, 75, 8});
            Tensor v = y.reshape({2, 75, 3, 8}).transpose(1, 2);
            Tensor out = fused ? scaled_dot_product_attention(q, k, v, {}, 0.0, true)
                               : scaled_dot_product_attention_reference(q, k, v, {}, 0.0, true);
            sum(out * w).backward();
            outs[fused] = out.detach(), gx[fused] = xi.grad(), gk[fused] = ki.grad();
        }
        expect_close(outs[1], outs[0], 1e-10, 1e-10, "head views output");
        expect_close(gx[1], gx[0], 1e-10, 1e-10, "head views dq");
        expect_close(gk[1], gk[0], 1e-10, 1e-10, "expanded key dk");
    }
}

TEST(Attention, GradCheckAcrossBlocks) {
    // One query block and two key blocks in each direction, causal, with an additive mask.
    Generator g(7);
    Tensor q = randn({1, 66, 3}, &g, kFloat64), k = randn({1, 67, 3}, &g, kFloat64);
    Tensor v = randn({1, 67, 2}, &g, kFloat64), m = randn({1, 67}, &g, kFloat64);
    auto f = [](const Inputs& x) {
        return scaled_dot_product_attention(x[0], x[1], x[2], x[3], 0.0, true);
    };
    auto r = autograd::grad_check(f, {q, k, v, m});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Attention, GradCheckBoolMaskAndScale) {
    Generator g(8);
    Tensor q = randn({2, 2, 4, 3}, &g, kFloat64), k = randn({2, 2, 5, 3}, &g, kFloat64);
    Tensor v = randn({2, 2, 5, 4}, &g, kFloat64);
    Tensor mask = lt(rand({2, 1, 4, 5}, &g, kFloat64), 0.6).to(kInt64);
    mask.narrow(-1, 2, 1).fill_(1);
    auto f = [&](const Inputs& x) {
        return scaled_dot_product_attention(x[0], x[1], x[2], mask, 0.0, false, 0.7);
    };
    auto r = autograd::grad_check(f, {q, k, v});
    EXPECT_TRUE(r.ok) << r.message;
}

// Compares two tensors where NaN must meet NaN.
void expect_same_nans(const Tensor& got, const Tensor& expected, const std::string& what) {
    std::vector<double> a = got.to_vector<double>(), b = expected.to_vector<double>();
    ASSERT_EQ(a.size(), b.size()) << what;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(std::isnan(a[i]), std::isnan(b[i])) << what << " at " << i;
        if (!std::isnan(a[i])) {
            ASSERT_NEAR(a[i], b[i], 1e-10) << what << " at " << i;
        }
    }
}

TEST(Attention, FullyMaskedRowIsNaNLikeComposed) {
    // Row 1 of batch 0 sees no key: its output is NaN, as softmax over all -inf gives; the
    // other batch is untouched. Gradients follow the composed op (NaN spreads through dk, dv).
    Generator g(9);
    Tensor q = randn({2, 3, 2}, &g, kFloat64), k = randn({2, 4, 2}, &g, kFloat64);
    Tensor v = randn({2, 4, 3}, &g, kFloat64);
    Tensor mask = ones({2, 3, 4}, kInt64);
    mask.select(0, 0).select(0, 1).fill_(0);
    Inputs grads[2];
    Tensor outs[2];
    for (int fused = 0; fused < 2; ++fused) {
        Tensor qi = q.clone().requires_grad_(), ki = k.clone().requires_grad_();
        Tensor vi = v.clone().requires_grad_();
        Tensor out = fused ? scaled_dot_product_attention(qi, ki, vi, mask)
                           : scaled_dot_product_attention_reference(qi, ki, vi, mask);
        sum(out).backward();
        outs[fused] = out.detach();
        grads[fused] = {qi.grad(), ki.grad(), vi.grad()};
    }
    Tensor row = outs[1].select(0, 0).select(0, 1);
    for (double x : row.to_vector<double>()) EXPECT_TRUE(std::isnan(x));
    for (double x : outs[1].select(0, 1).to_vector<double>()) EXPECT_FALSE(std::isnan(x));
    expect_same_nans(outs[1], outs[0], "output");
    for (int i = 0; i < 3; ++i)
        expect_same_nans(grads[1][i], grads[0][i], "grad " + std::to_string(i));
}

TEST(Attention, DropoutTakesTheComposedPathWithTheGenerator) {
    Generator g(10);
    Tensor q = randn({2, 5, 3}, &g), k = randn({2, 6, 3}, &g), v = randn({2, 6, 2}, &g);
    Generator a(99), b(99);
    Tensor fused = scaled_dot_product_attention(q, k, v, {}, 0.4, false, std::nullopt, &a);
    Tensor ref = scaled_dot_product_attention_reference(q, k, v, {}, 0.4, false, std::nullopt, &b);
    expect_close(fused, ref, 0, 0, "dropout output");
    Tensor plain = scaled_dot_product_attention(q, k, v);
    EXPECT_GT(max(abs(fused - plain)).item<double>(), 1e-3);  // dropout did something
}

TEST(Attention, SameResultOnOneAndTwoThreads) {
    Generator g(11);
    Tensor q = randn({4, 2, 90, 8}, &g), k = randn({4, 2, 100, 8}, &g),
           v = randn({4, 2, 100, 8}, &g);
    Tensor w = randn({4, 2, 90, 8}, &g);
    Inputs results[2];
    for (int threads : {1, 2}) {
        set_num_threads(threads);
        Tensor qi = q.clone().requires_grad_(), ki = k.clone().requires_grad_();
        Tensor vi = v.clone().requires_grad_();
        Tensor out = scaled_dot_product_attention(qi, ki, vi, {}, 0.0, true);
        sum(out * w).backward();
        results[threads - 1] = {out.detach(), qi.grad(), ki.grad(), vi.grad()};
    }
    set_num_threads(1);
    for (int i = 0; i < 4; ++i) expect_close(results[1][i], results[0][i], 0, 0, "bitwise");
}

TEST(Attention, SecondDerivativeMatchesReference) {
    Generator g(12);
    Tensor q = randn({2, 4, 3}, &g, kFloat64), k = randn({2, 5, 3}, &g, kFloat64);
    Tensor v = randn({2, 5, 2}, &g, kFloat64), w = randn({2, 4, 2}, &g, kFloat64);
    Tensor results[2];
    for (int fused = 0; fused < 2; ++fused) {
        Tensor qi = q.clone().requires_grad_(), ki = k.clone().requires_grad_();
        Tensor out = fused ? scaled_dot_product_attention(qi, ki, v, {}, 0.0, true)
                           : scaled_dot_product_attention_reference(qi, ki, v, {}, 0.0, true);
        Tensor gq = autograd::grad({sum(out * w)}, {qi}, {}, false, true)[0];
        sum(gq * gq).backward();
        results[fused] = ki.grad();
    }
    expect_close(results[1], results[0], 1e-10, 1e-10, "d/dk |d out / dq|^2");
}

TEST(Attention, Errors) {
    Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 6});
    auto sdpa = [](const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& m = {},
                   double p = 0.0) { return scaled_dot_product_attention(a, b, c, m, p); };
    expect_error(
        [&] {
            sdpa(q, k, v, ones({3, 4}));
        },
        "attn_mask of shape (3, 4) does not broadcast");
    expect_error([&] { sdpa(q, k, v, ones({3, 2, 3, 5})); }, "does not broadcast to (N..., L, S)");
    expect_error([&] { sdpa(q, randn({2, 5, 3}), v); }, "differ in E");
    expect_error([&] { sdpa(q, k, randn({2, 4, 6})); }, "value of shape (2, 4, 6) has 4 positions");
    expect_error([&] { sdpa(q, randn({3, 5, 4}), randn({3, 5, 6})); }, "other batch dims");
    expect_error([&] { sdpa(q, k.unsqueeze(0), v); }, "must have query's 3 dims");
    expect_error([&] { sdpa(q, k.to(kFloat64), v); }, "key is float64");
    expect_error([&] { sdpa(q, k, v, ones({3, 5}, kFloat64)); }, "attn_mask is float64");
    expect_error([&] { sdpa(q, k, v, {}, 1.0); }, "dropout_p must be in [0, 1)");
    expect_error([&] { sdpa(q, randn({2, 0, 4}), randn({2, 0, 6})); }, "S = 0");
    expect_error([&] { sdpa(randn({4}), randn({4}), randn({4})); }, "query must be (N..., L, E)");
    expect_error([&] { sdpa(q, k, Tensor()); }, "undefined value");
    expect_error([&] { attention_weights(q, k, ones({2, 2, 3, 5})); }, "does not broadcast");
}

}  // namespace
}  // namespace soma
