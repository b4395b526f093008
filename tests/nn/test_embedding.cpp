// nn::Embedding with padding_idx and the positional encodings: PyTorch fixtures
// (tests/fixtures/ops_embedding.json from tools/fixtures/ops_embedding.py), the padding row's
// zero init and missing gradient, initialisation, dropout, state, printing and errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "soma/nn/embedding.h"
#include "soma/nn/positional.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::nn {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;
using Inputs = std::vector<Tensor>;

Tensor ids(std::vector<std::int64_t> v, Shape shape = {}) {
    if (shape.size() == 0) shape = {static_cast<std::int64_t>(v.size())};
    return from_vector(v, shape);
}

TEST(Embedding, Fixtures) {
    test::run_op_group(
        "embedding",
        {
            {"embedding",
             [](const Inputs& x, const json& a) {
                 return embedding(x[0], x[1], a["padding_idx"].get<std::int64_t>());
             }},
            {"sinusoidal",
             [](const Inputs& x, const json& a) {
                 const std::int64_t max_len = a["max_len"], d_model = x[0].size(2);
                 SinusoidalPositionalEncoding pe({.d_model = d_model, .max_len = max_len});
                 // The table computed in the input's dtype: a float32 one converted would be
                 // off by float32 rounding in the float64 replay.
                 pe.pe = sinusoidal_table(max_len, d_model, x[0].dtype());
                 return pe(x[0]);
             }},
        });
}

TEST(Embedding, PaddingRowStartsAtZeroAndGetsNoGradient) {
    manual_seed(3);
    Embedding emb({.num_embeddings = 5, .embedding_dim = 3, .padding_idx = 1});
    EXPECT_TRUE(allclose(emb.weight.narrow(0, 1, 1), zeros({1, 3}), 0, 0));
    EXPECT_EQ(emb.padding_idx(), 1);
    Tensor y = emb(ids({1, 2, 1, 4}, {2, 2}));  // (2, 2) -> (2, 2, 3)
    EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
    EXPECT_TRUE(allclose(y.narrow(1, 0, 1), zeros({2, 1, 3}), 0, 0));  // both padding lookups
    sum(y * y + y).backward();
    Tensor g = emb.weight.grad();
    EXPECT_TRUE(allclose(g.narrow(0, 1, 1), zeros({1, 3}), 0, 0));
    EXPECT_TRUE(allclose(g.narrow(0, 2, 1), ones({1, 3}) + emb.weight.narrow(0, 2, 1) * 2.0));
    EXPECT_TRUE(allclose(g.narrow(0, 0, 1), zeros({1, 3}), 0, 0));  // row 0 unused
    // A negative padding_idx counts from the end.
    Embedding last({.num_embeddings = 4, .embedding_dim = 2, .padding_idx = -1});
    EXPECT_EQ(last.padding_idx(), 3);
    EXPECT_TRUE(allclose(last.weight.narrow(0, 3, 1), zeros({1, 2}), 0, 0));
}

TEST(Embedding, GradCheckWithPadding) {
    // The padding row's gradient is zero by design, not its derivative: it stays a constant
    // outside the check, and the other rows' gradients must be the true ones.
    Generator gen(8);
    Tensor pad = uniform({1, 3}, -1, 1, &gen, kFloat64);
    Tensor rest = uniform({3, 3}, -1, 1, &gen, kFloat64);
    Tensor idx = ids({0, 3, 0, 2, 2, 1});
    auto r = autograd::grad_check(
        [&](const std::vector<Tensor>& in) {
            Tensor y = embedding(cat({pad, in[0]}, 0), idx, 0);
            return y * y;
        },
        {rest});
    EXPECT_TRUE(r.ok) << r.message;
}

TEST(Embedding, InitIsStandardNormalAndSeeded) {
    Generator a(5), b(5);
    Embedding e1({.num_embeddings = 200, .embedding_dim = 50, .gen = &a});
    Embedding e2({.num_embeddings = 200, .embedding_dim = 50, .gen = &b});
    EXPECT_TRUE(allclose(e1.weight, e2.weight, 0, 0));
    EXPECT_NEAR(mean(e1.weight).item<double>(), 0.0, 0.03);
    EXPECT_NEAR(std::sqrt(var(e1.weight).item<double>()), 1.0, 0.03);
    EXPECT_EQ(e1.extra_repr(), "200, 50");
    Embedding p({.num_embeddings = 4, .embedding_dim = 2, .padding_idx = 0});
    EXPECT_EQ(p.extra_repr(), "4, 2, padding_idx=0");
    std::vector<std::string> names;
    for (const auto& [n, t] : p.state_dict().items()) names.push_back(n);
    EXPECT_EQ(names, std::vector<std::string>{"weight"});
}

TEST(Embedding, Errors) {
    Embedding emb({.num_embeddings = 5, .embedding_dim = 2});
    expect_error(
        [&] {
            emb(ids({0, 7}));
        },
        "embedding: index 7 is out of range for a table of 5 rows");
    expect_error([&] { emb(ids({-1})); }, "index -1 is out of range for a table of 5 rows");
    expect_error([&] { emb(tensor({0.5})); }, "embedding");
    expect_error([] { Embedding({.num_embeddings = 0, .embedding_dim = 2}); },
                 "Embedding: num_embeddings must be positive, got 0");
    expect_error([] { Embedding({.num_embeddings = 3, .embedding_dim = 0}); },
                 "embedding_dim must be positive");
    expect_error([] { Embedding({.num_embeddings = 3, .embedding_dim = 2, .padding_idx = 3}); },
                 "Embedding: padding_idx 3 is out of range for 3 embeddings (expected -3 to 2)");
    expect_error(
        [] {
            embedding(zeros({3, 2}), ids({0}), -4);
        },
        "embedding: padding_idx -4 is out of range for a table of 3 rows");
}

TEST(PositionalEncoding, SinusoidalTable) {
    SinusoidalPositionalEncoding pe({.d_model = 4, .max_len = 10});
    EXPECT_EQ(pe.pe.shape(), (Shape{10, 4}));
    // Position 0: sin 0 = 0 and cos 0 = 1 alternate; position 3, columns 2 and 3: frequency
    // 10000^(-2/4) = 0.01.
    EXPECT_TRUE(allclose(pe.pe.narrow(0, 0, 1), tensor({{0, 1, 0, 1}}), 0, 0));
    EXPECT_NEAR(pe.pe.narrow(0, 3, 1).to_vector<double>()[2], std::sin(0.03), 1e-7);
    EXPECT_NEAR(pe.pe.narrow(0, 3, 1).to_vector<double>()[3], std::cos(0.03), 1e-7);
    std::vector<std::string> names;
    for (const auto& [n, t] : pe.named_buffers()) names.push_back(n);
    EXPECT_EQ(names, std::vector<std::string>{"pe"});
    EXPECT_EQ(pe.parameters().size(), 0u);
    EXPECT_EQ(pe.extra_repr(), "d_model=4, max_len=10, dropout=0");
}

TEST(PositionalEncoding, LearnedAddsOneTrainableRowPerPosition) {
    Generator gen(1);
    LearnedPositionalEncoding pos({.d_model = 3, .max_len = 6, .gen = &gen});
    std::vector<std::string> names;
    for (const auto& [n, t] : pos.named_parameters()) names.push_back(n);
    EXPECT_EQ(names, std::vector<std::string>{"embedding.weight"});
    Tensor x = uniform({2, 4, 3}, -1, 1, &gen).requires_grad_();
    Tensor y = pos(x);  // (2, 4, 3) + rows 0..3
    expect_close(y, x + pos.embedding.weight.narrow(0, 0, 4), 0, 0, "sum");
    sum(y).backward();
    Tensor g = pos.embedding.weight.grad();
    expect_close(g.narrow(0, 0, 4), full({4, 3}, 2.0), 0, 0, "used rows (two samples each)");
    expect_close(g.narrow(0, 4, 2), zeros({2, 3}), 0, 0, "unused rows");
}

TEST(PositionalEncoding, DropoutOnlyWhenTraining) {
    Generator gen(4);
    SinusoidalPositionalEncoding pe({.d_model = 8, .max_len = 16, .dropout = 0.5, .gen = &gen});
    Tensor x = zeros({4, 16, 8}) + 1.0;
    Tensor train = pe(x);
    const auto v = train.to_vector<double>();
    const double zeros_seen = static_cast<double>(std::count(v.begin(), v.end(), 0.0));
    EXPECT_GT(zeros_seen, 0.3 * v.size());
    EXPECT_LT(zeros_seen, 0.7 * v.size());
    pe.eval();
    EXPECT_TRUE(allclose(pe(x), x + pe.pe, 0, 0));
}

TEST(PositionalEncoding, Errors) {
    SinusoidalPositionalEncoding pe({.d_model = 4, .max_len = 5});
    expect_error(
        [&] {
            pe(zeros({2, 6, 4}));
        },
        "SinusoidalPositionalEncoding: sequence length 6 exceeds max_len=5");
    expect_error(
        [&] {
            pe(zeros({2, 3, 5}));
        },
        "expected input (N, L, 4) (batch first, d_model=4), got (2, 3, 5)");
    expect_error([&] { pe(zeros({3, 4})); }, "expected input (N, L, 4)");
    expect_error([&] { pe(zeros({1, 3, 4}, kFloat64)); }, "input is float64 but pe is float32");
    LearnedPositionalEncoding learned({.d_model = 2, .max_len = 3});
    expect_error(
        [&] {
            learned(zeros({1, 4, 2}));
        },
        "LearnedPositionalEncoding: sequence length 4 exceeds max_len=3");
    expect_error([] { SinusoidalPositionalEncoding({.d_model = 0}); }, "d_model must be positive");
    expect_error([] { LearnedPositionalEncoding({.d_model = 2, .max_len = 0}); },
                 "max_len must be positive");
    expect_error([] { SinusoidalPositionalEncoding({.d_model = 2, .dropout = 1.5}); },
                 "dropout must be in [0, 1]");
}

}  // namespace
}  // namespace soma::nn
