// nn::MultiheadAttention against torch.nn.MultiheadAttention: PyTorch state dicts loaded from
// safetensors (tests/fixtures/nn_attention/, written by tools/fixtures/nn_attention.py), outputs,
// weights and gradients on both paths (need_weights: composed; without: the fused op); float64
// gradient checks; PyTorch's parameter names and init; errors.

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "soma/autograd.h"
#include "soma/io/safetensors.h"
#include "soma/nn/attention.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;
using test::tensor_from_json;

const json& cases() { return test::fixture_cases("nn_attention.json"); }

nn::MultiheadAttention make_module(const json& c) {
    const json& o = c["options"];
    return nn::MultiheadAttention({.embed_dim = o["embed_dim"],
                                   .num_heads = o["num_heads"],
                                   .bias = o["bias"],
                                   .kdim = o["kdim"],
                                   .vdim = o["vdim"],
                                   .batch_first = o["batch_first"]});
}

Tensor mask_of(const json& c, const char* name, DType dt) {
    if (!c["masks"].contains(name)) return Tensor();
    Tensor m = tensor_from_json(c["masks"][name]);
    return m.dtype() == kInt64 ? m : m.to(dt);
}

// One fixture case through one path, in one dtype.
void check_case(const json& c, bool need_weights, DType dt) {
    const std::string name = c["name"].get<std::string>() + (need_weights ? " weights" : " fused") +
                             " " + dtype_name(dt);
    const double tol = dt == kFloat64 ? 1e-10 : 2e-5;
    nn::MultiheadAttention m = make_module(c);
    m.to(dt);
    m.load_state_dict(io::load_safetensors(std::string(SOMA_FIXTURE_DIR) + "/nn_attention/" +
                                           c["name"].get<std::string>() + ".safetensors")
                          .tensors);
    // Parameter names and order as in PyTorch's state_dict.
    std::vector<std::string> names;
    for (const auto& [n, t] : m.state_dict().items()) names.push_back(n);
    EXPECT_EQ(names, c["state_dict"].get<std::vector<std::string>>()) << name;

    const json& in = c["inputs"];
    Tensor q = tensor_from_json(in["query"]).to(dt).requires_grad_();
    const bool self = c["options"]["self_attention"];
    Tensor k = self ? q : tensor_from_json(in["key"]).to(dt).requires_grad_();
    Tensor v = self ? q : tensor_from_json(in["value"]).to(dt).requires_grad_();
    auto r = m.forward(q, k, v, mask_of(c, "key_padding_mask", dt), need_weights,
                       mask_of(c, "attn_mask", dt), c["options"]["average_attn_weights"]);
    expect_close(r.output, tensor_from_json(c["output"]).to(dt), tol, tol, name + " output");
    if (need_weights)
        expect_close(r.weights, tensor_from_json(c["weights"]).to(dt), tol, tol, name + " weights");
    else
        EXPECT_FALSE(r.weights.defined()) << name;
    sum(r.output * tensor_from_json(c["w"]).to(dt)).backward();
    const json& g = c["grads"];
    expect_close(q.grad(), tensor_from_json(g["query"]).to(dt), tol, tol, name + " grad query");
    if (!self) {
        expect_close(k.grad(), tensor_from_json(g["key"]).to(dt), tol, tol, name + " grad key");
        expect_close(v.grad(), tensor_from_json(g["value"]).to(dt), tol, tol, name + " grad value");
    }
    for (const auto& [pname, p] : m.named_parameters())
        expect_close(p.grad(), tensor_from_json(g[pname]).to(dt), tol, tol,
                     name + " grad " + pname);
}

TEST(MultiheadAttention, PyTorchStateDictAndOutputs) {
    ASSERT_FALSE(cases().empty());
    for (const json& c : cases())
        for (bool need_weights : {true, false})
            for (DType dt : {kFloat64, kFloat32}) check_case(c, need_weights, dt);
}

TEST(MultiheadAttention, ParametersAndInitLikePyTorch) {
    manual_seed(3);
    nn::MultiheadAttention packed({.embed_dim = 8, .num_heads = 2});
    EXPECT_EQ(packed.in_proj_weight.shape(), (Shape{24, 8}));
    EXPECT_EQ(packed.in_proj_bias.shape(), (Shape{24}));
    EXPECT_EQ(packed.out_proj.weight.shape(), (Shape{8, 8}));
    EXPECT_EQ(max(abs(packed.in_proj_bias)).item<float>(), 0.0f);
    EXPECT_EQ(max(abs(packed.out_proj.bias)).item<float>(), 0.0f);
    // xavier_uniform_ on (24, 8): bound sqrt(6 / (8 + 24)).
    const double bound = std::sqrt(6.0 / 32);
    EXPECT_LE(max(abs(packed.in_proj_weight)).item<float>(), bound);
    EXPECT_GT(max(abs(packed.in_proj_weight)).item<float>(), 0.8 * bound);
    EXPECT_EQ(packed.num_parameters(), 24 * 8 + 24 + 64 + 8);

    nn::MultiheadAttention split(
        {.embed_dim = 6, .num_heads = 3, .bias = false, .kdim = 5, .vdim = 4});
    EXPECT_FALSE(split.in_proj_weight.defined());
    EXPECT_EQ(split.k_proj_weight.shape(), (Shape{6, 5}));
    EXPECT_EQ(split.v_proj_weight.shape(), (Shape{6, 4}));
    EXPECT_FALSE(split.in_proj_bias.defined());
    EXPECT_FALSE(split.out_proj.bias.defined());
}

TEST(MultiheadAttention, GradCheckInputsAndParameters) {
    manual_seed(4);
    nn::MultiheadAttention m({.embed_dim = 4, .num_heads = 2, .kdim = 3, .vdim = 5});
    m.to_double();
    Generator g(5);
    Tensor q = randn({3, 2, 4}, &g, kFloat64), k = randn({4, 2, 3}, &g, kFloat64);
    Tensor v = randn({4, 2, 5}, &g, kFloat64), attn = randn({3, 4}, &g, kFloat64);
    Tensor pad = zeros({2, 4}, kInt64);
    pad.select(0, 1).narrow(0, 3, 1).fill_(1);
    for (bool need_weights : {true, false}) {
        auto f = [&](const std::vector<Tensor>& x) {
            m.q_proj_weight = x[3];
            m.v_proj_weight = x[4];
            m.in_proj_bias = x[5];
            return m.forward(x[0], x[1], x[2], pad, need_weights, x[6], true, true).output;
        };
        auto r = autograd::grad_check(f, {q, k, v, m.q_proj_weight.detach(),
                                          m.v_proj_weight.detach(), m.in_proj_bias.detach(), attn});
        EXPECT_TRUE(r.ok) << (need_weights ? "weights path: " : "fused path: ") << r.message;
    }
}

TEST(MultiheadAttention, CausalBatchedAndUnbatchedAgree) {
    manual_seed(6);
    nn::MultiheadAttention m({.embed_dim = 6, .num_heads = 2, .batch_first = true});
    Generator g(7);
    Tensor x = randn({2, 5, 6}, &g);
    // is_causal is the boolean mask "key after query" (True = may not attend).
    Tensor later = gt(arange(5).unsqueeze(0), arange(5).unsqueeze(1)).to(kInt64);
    auto causal = m.forward(x, x, x, {}, true, {}, true, true);
    auto masked = m.forward(x, x, x, {}, true, later);
    expect_close(causal.output, masked.output, 1e-6, 1e-6, "is_causal vs mask output");
    expect_close(causal.weights, masked.weights, 1e-6, 1e-6, "is_causal vs mask weights");
    auto fused = m.forward(x, x, x, {}, false, {}, true, true);
    expect_close(fused.output, causal.output, 1e-5, 1e-5, "fused vs composed");
    // Unbatched (L, E) is batch 1 without the batch dim.
    auto one = m.forward(x.select(0, 1), x.select(0, 1), x.select(0, 1), {}, true, {}, false);
    auto all = m.forward(x, x, x, {}, true, {}, false);
    expect_close(one.output, all.output.select(0, 1), 1e-6, 1e-6, "unbatched output");
    expect_close(one.weights, all.weights.select(0, 1), 1e-6, 1e-6, "unbatched weights");
    EXPECT_EQ(one.weights.shape(), (Shape{2, 5, 5}));
}

TEST(MultiheadAttention, DropoutOnlyInTraining) {
    manual_seed(8);
    nn::MultiheadAttention m({.embed_dim = 4, .num_heads = 2, .dropout = 0.5});
    Tensor x = randn({3, 2, 4});
    m.eval();
    auto a = m.forward(x, x, x), b = m.forward(x, x, x, {}, false);
    expect_close(a.output, b.output, 1e-5, 1e-5, "eval: no dropout");
    m.train();
    auto c = m.forward(x, x, x);
    EXPECT_GT(max(abs(c.output - a.output)).item<float>(), 1e-4);
}

TEST(MultiheadAttention, Errors) {
    expect_error([] { nn::MultiheadAttention({.embed_dim = 6, .num_heads = 4}); },
                 "embed_dim (6) must be divisible by num_heads (4)");
    nn::MultiheadAttention m({.embed_dim = 4, .num_heads = 2});
    Tensor x = randn({3, 2, 4});
    expect_error(
        [&] {
            m.forward(x, x, x, zeros({2, 4}, kInt64));
        },
        "key_padding_mask must be (N, S) = (2, 3); got (2, 4)");
    expect_error(
        [&] {
            m.forward(x, x, x, {}, true, zeros({3, 4}, kInt64));
        },
        "attn_mask must be (L, S) = (3, 3) or (N·num_heads, L, S) = (4, 3, 3); got (3, 4)");
    expect_error(
        [&] {
            m.forward(x, x, x, {}, true, zeros({3, 3}, kFloat64));
        },
        "attn_mask is float64 but query is float32");
    expect_error(
        [&] {
            m.forward(randn({3, 2, 5}), x, x);
        },
        "query has 5 features, embed_dim is 4");
    expect_error([&] { m.forward(x, randn({3, 1, 4}), randn({3, 1, 4})); }, "batch sizes differ");
    expect_error([&] { m.forward(x, x, randn({4, 2, 4})); }, "key has 3 positions, value 4");
    expect_error([&] { m.forward(randn({4}), x, x); }, "query must be (L, N, E)");
}

}  // namespace
}  // namespace soma
