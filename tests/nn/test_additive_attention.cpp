// nn::AdditiveAttention (Bahdanau): values against the formula computed by hand in doubles,
// masked keys as if absent, many queries vs one at a time, float64 gradient checks, errors.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "soma/autograd.h"
#include "soma/nn/additive_attention.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using test::expect_close;
using test::expect_error;

// score_j = vᵀ tanh(Wq q + Wk k_j + b), softmax over the unmasked j, context = Σ w_j value_j;
// one query (N = 1), written out in loops.
std::vector<double> by_hand(nn::AdditiveAttention& m, const Tensor& q, const Tensor& k,
                            const std::vector<bool>& pad, std::vector<double>& context) {
    const auto Wq = m.query_proj.weight.to_vector<double>();
    const auto Wk = m.key_proj.weight.to_vector<double>();
    const auto b = m.key_proj.bias.to_vector<double>();
    const auto v = m.v.weight.to_vector<double>();
    const auto qs = q.to_vector<double>(), ks = k.to_vector<double>();
    const std::int64_t H = m.hidden(), Dq = m.query_dim(), Dk = m.key_dim(), S = k.size(1);
    std::vector<double> scores(S);
    for (std::int64_t j = 0; j < S; ++j) {
        double s = 0;
        for (std::int64_t h = 0; h < H; ++h) {
            double a = b[h];
            for (std::int64_t i = 0; i < Dq; ++i) a += Wq[h * Dq + i] * qs[i];
            for (std::int64_t i = 0; i < Dk; ++i) a += Wk[h * Dk + i] * ks[j * Dk + i];
            s += v[h] * std::tanh(a);
        }
        scores[j] = pad[j] ? -std::numeric_limits<double>::infinity() : s;
    }
    double mx = -std::numeric_limits<double>::infinity(), z = 0;
    for (double s : scores) mx = std::max(mx, s);
    std::vector<double> w(S);
    for (std::int64_t j = 0; j < S; ++j) z += (w[j] = std::exp(scores[j] - mx));
    context.assign(Dk, 0.0);
    for (std::int64_t j = 0; j < S; ++j) {
        w[j] /= z;
        for (std::int64_t i = 0; i < Dk; ++i) context[i] += w[j] * ks[j * Dk + i];
    }
    return w;
}

TEST(AdditiveAttention, MatchesTheFormula) {
    manual_seed(1);
    nn::AdditiveAttention m({.query_dim = 3, .key_dim = 4, .hidden = 5});
    m.to_double();
    Generator g(2);
    Tensor q = randn({1, 3}, &g, kFloat64), k = randn({1, 6, 4}, &g, kFloat64);
    Tensor pad = from_vector(std::vector<std::int64_t>{0, 0, 1, 0, 1, 1}, {1, 6});
    std::vector<double> ctx;
    std::vector<double> w = by_hand(m, q, k, {false, false, true, false, true, true}, ctx);
    auto r = m.forward(q, k, Tensor(), pad);
    EXPECT_EQ(r.weights.shape(), (Shape{1, 6}));
    EXPECT_EQ(r.context.shape(), (Shape{1, 4}));
    expect_close(r.weights, from_vector(w, {1, 6}), 1e-12, 1e-12, "weights");
    expect_close(r.context, from_vector(ctx, {1, 4}), 1e-12, 1e-12, "context");
    // Padding gets no weight at all.
    EXPECT_EQ(r.weights.to_vector<double>()[2], 0.0);
}

TEST(AdditiveAttention, PaddedKeysAreAsIfAbsent) {
    manual_seed(3);
    nn::AdditiveAttention m({.query_dim = 4, .key_dim = 3});
    EXPECT_EQ(m.hidden(), 4);
    Generator g(4);
    Tensor q = randn({2, 4}, &g), k = randn({2, 5, 3}, &g), v = randn({2, 5, 2}, &g);
    // Row 0 has 3 real keys, row 1 all 5; the padded keys hold garbage.
    Tensor pad = zeros({2, 5}, kInt64);
    pad.select(0, 0).narrow(0, 3, 2).fill_(1);
    auto full = m.forward(q, k, v, pad);
    auto alone = m.forward(q.narrow(0, 0, 1), k.narrow(0, 0, 1).narrow(1, 0, 3),
                           v.narrow(0, 0, 1).narrow(1, 0, 3));
    expect_close(full.context.narrow(0, 0, 1), alone.context, 1e-6, 1e-6, "context");
    expect_close(full.weights.narrow(0, 0, 1).narrow(1, 0, 3), alone.weights, 1e-6, 1e-6,
                 "weights");
    // A float mask with -inf at the padding does the same.
    Tensor additive =
        where(pad.to(kFloat32), scalar_tensor(-INFINITY), scalar_tensor(0.0, kFloat32));
    expect_close(m.forward(q, k, v, additive).context, full.context, 1e-6, 1e-6, "float mask");
    // Every row's weights sum to 1.
    expect_close(sum(full.weights, {1}), ones({2}), 1e-6, 1e-6, "weights sum");
}

TEST(AdditiveAttention, ManyQueriesAtOnceEqualOneAtATime) {
    manual_seed(5);
    nn::AdditiveAttention m({.query_dim = 3, .key_dim = 2, .hidden = 4});
    Generator g(6);
    Tensor q = randn({2, 3, 3}, &g), k = randn({2, 4, 2}, &g);
    Tensor pad = zeros({2, 4}, kInt64);
    pad.select(0, 1).narrow(0, 2, 2).fill_(1);
    auto all = m.forward(q, k, Tensor(), pad);
    EXPECT_EQ(all.weights.shape(), (Shape{2, 3, 4}));
    EXPECT_EQ(all.context.shape(), (Shape{2, 3, 2}));
    Tensor keys = m.project_keys(k);
    for (std::int64_t l = 0; l < 3; ++l) {
        auto one = m.attend(q.select(1, l), keys, k, pad);
        expect_close(one.context, all.context.select(1, l), 1e-6, 1e-6, "context");
        expect_close(one.weights, all.weights.select(1, l), 1e-6, 1e-6, "weights");
    }
}

TEST(AdditiveAttention, GradCheckInputsAndParameters) {
    manual_seed(7);
    nn::AdditiveAttention m({.query_dim = 3, .key_dim = 2, .hidden = 4});
    m.to_double();
    Generator g(8);
    Tensor q = randn({2, 3}, &g, kFloat64), k = randn({2, 4, 2}, &g, kFloat64);
    Tensor v = randn({2, 4, 3}, &g, kFloat64);
    Tensor pad = zeros({2, 4}, kInt64);
    pad.select(0, 0).narrow(0, 1, 2).fill_(1);
    auto f = [&](const std::vector<Tensor>& x) {
        m.query_proj.weight = x[3];
        m.key_proj.weight = x[4];
        m.key_proj.bias = x[5];
        m.v.weight = x[6];
        auto r = m.forward(x[0], x[1], x[2], pad);
        return cat({r.context.flatten(), r.weights.flatten()}, 0);
    };
    auto r =
        autograd::grad_check(f, {q, k, v, m.query_proj.weight.detach(), m.key_proj.weight.detach(),
                                 m.key_proj.bias.detach(), m.v.weight.detach()});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(AdditiveAttention, ParametersAndNames) {
    nn::AdditiveAttention m({.query_dim = 3, .key_dim = 2, .hidden = 4, .bias = false});
    std::vector<std::string> names;
    for (const auto& [n, t] : m.named_parameters()) names.push_back(n);
    EXPECT_EQ(names,
              (std::vector<std::string>{"query_proj.weight", "key_proj.weight", "v.weight"}));
    nn::AdditiveAttention b({.query_dim = 3, .key_dim = 2, .hidden = 4});
    EXPECT_EQ(b.key_proj.bias.shape(), (Shape{4}));
    EXPECT_EQ(b.num_parameters(), 4 * 3 + 4 * 2 + 4 + 4);
}

TEST(AdditiveAttention, Errors) {
    expect_error([] { nn::AdditiveAttention({.query_dim = 0, .key_dim = 2}); },
                 "AdditiveAttention: query_dim must be positive, got 0");
    expect_error([] { nn::AdditiveAttention({.query_dim = 2, .key_dim = -1}); },
                 "key_dim must be positive");
    nn::AdditiveAttention m({.query_dim = 3, .key_dim = 2});
    Tensor q = randn({2, 3}), k = randn({2, 4, 2});
    expect_error(
        [&] {
            m.forward(q, k, Tensor(), zeros({2, 3}, kInt64));
        },
        "key_padding_mask must be (N, S) = (2, 4); got (2, 3)");
    expect_error(
        [&] {
            m.forward(q, k, Tensor(), zeros({2, 4}, kFloat64));
        },
        "key_padding_mask is float64 but query is float32");
    expect_error([&] { m.forward(randn({2, 5}), k); }, "query has 5 features, query_dim is 3");
    expect_error([&] { m.forward(q, randn({2, 4, 3})); }, "key has 3 features, key_dim is 2");
    expect_error([&] { m.forward(q, randn({3, 4, 2})); }, "batch sizes differ");
    expect_error([&] { m.forward(q, k, randn({2, 5, 2})); }, "keys have 4 positions, value 5");
    expect_error([&] { m.forward(q, randn({2, 0, 2})); }, "no keys to attend to");
    expect_error([&] { m.forward(randn({3}), k); }, "query must be (N, query_dim)");
}

}  // namespace
}  // namespace soma
