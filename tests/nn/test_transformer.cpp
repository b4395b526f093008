// nn::TransformerEncoderLayer / TransformerDecoderLayer and the stacks against PyTorch: state
// dicts loaded from safetensors (tests/fixtures/nn_transformer/, written by
// tools/fixtures/nn_transformer.py), outputs and gradients in post-norm and pre-norm, with
// masks and key padding masks; float64 gradient checks; the causal mask; names; errors.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "soma/autograd.h"
#include "soma/io/safetensors.h"
#include "soma/nn/transformer.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma {
namespace {

using nlohmann::json;
using test::expect_close;
using test::expect_error;
using test::tensor_from_json;

const json& cases() { return test::fixture_cases("nn_transformer.json"); }

nn::TransformerLayerOptions layer_options(const json& o) {
    return {.d_model = o["d_model"],
            .nhead = o["nhead"],
            .dim_feedforward = o["dim_feedforward"],
            .dropout = 0.0,
            .activation = o["activation"] == "gelu" ? nn::TransformerActivation::GELU
                                                    : nn::TransformerActivation::ReLU,
            .batch_first = o["batch_first"],
            .norm_first = o["norm_first"]};
}

// A fixture case's module and how to call it with named inputs and masks.
struct Subject {
    std::shared_ptr<nn::Module> module;
    std::function<Tensor(const std::map<std::string, Tensor>&)> forward;
};

Subject make_subject(const json& c) {
    const json& o = c["options"];
    const nn::TransformerLayerOptions lo = layer_options(o);
    const std::int64_t layers = o["num_layers"];
    auto get = [](const std::map<std::string, Tensor>& x, const char* name) {
        auto it = x.find(name);
        return it == x.end() ? Tensor() : it->second;
    };
    if (c["kind"] == "encoder") {
        if (layers == 0) {
            auto m = std::make_shared<nn::TransformerEncoderLayer>(lo);
            return {m, [m, get](const std::map<std::string, Tensor>& x) {
                        return m->forward(get(x, "src"), get(x, "src_mask"),
                                          get(x, "src_key_padding_mask"));
                    }};
        }
        auto m = std::make_shared<nn::TransformerEncoder>(
            nn::TransformerEncoderOptions{.layer = lo, .num_layers = layers, .norm = o["norm"]});
        return {m, [m, get](const std::map<std::string, Tensor>& x) {
                    return m->forward(get(x, "src"), get(x, "src_mask"),
                                      get(x, "src_key_padding_mask"));
                }};
    }
    auto call = [get](auto& m, const std::map<std::string, Tensor>& x) {
        return m.forward(get(x, "tgt"), get(x, "memory"), get(x, "tgt_mask"), get(x, "memory_mask"),
                         get(x, "tgt_key_padding_mask"), get(x, "memory_key_padding_mask"));
    };
    if (layers == 0) {
        auto m = std::make_shared<nn::TransformerDecoderLayer>(lo);
        return {m, [m, call](const std::map<std::string, Tensor>& x) { return call(*m, x); }};
    }
    auto m = std::make_shared<nn::TransformerDecoder>(
        nn::TransformerDecoderOptions{.layer = lo, .num_layers = layers, .norm = o["norm"]});
    return {m, [m, call](const std::map<std::string, Tensor>& x) { return call(*m, x); }};
}

void check_case(const json& c, DType dt) {
    const std::string name = c["name"].get<std::string>() + " " + dtype_name(dt);
    const double tol = dt == kFloat64 ? 1e-10 : 5e-5;
    Subject s = make_subject(c);
    s.module->to(dt);
    s.module->eval();
    s.module->load_state_dict(io::load_safetensors(std::string(SOMA_FIXTURE_DIR) +
                                                   "/nn_transformer/" +
                                                   c["name"].get<std::string>() + ".safetensors")
                                  .tensors);
    // Parameter names and order as in PyTorch's state_dict.
    std::vector<std::string> names;
    for (const auto& [n, t] : s.module->state_dict().items()) names.push_back(n);
    EXPECT_EQ(names, c["state_dict"].get<std::vector<std::string>>()) << name;

    std::map<std::string, Tensor> x;
    for (const auto& [k, v] : c["inputs"].items())
        x[k] = tensor_from_json(v).to(dt).requires_grad_();
    for (const auto& [k, v] : c["masks"].items()) {
        Tensor m = tensor_from_json(v);
        x[k] = m.dtype() == kInt64 ? m : m.to(dt);
    }
    Tensor out = s.forward(x);
    expect_close(out, tensor_from_json(c["output"]).to(dt), tol, tol, name + " output");
    sum(out * tensor_from_json(c["w"]).to(dt)).backward();
    const json& g = c["grads"];
    for (const auto& [k, v] : c["inputs"].items())
        expect_close(x[k].grad(), tensor_from_json(g[k]).to(dt), tol, tol, name + " grad " + k);
    for (const auto& [pname, p] : s.module->named_parameters())
        expect_close(p.grad(), tensor_from_json(g[pname]).to(dt), tol, tol,
                     name + " grad " + pname);
}

TEST(Transformer, PyTorchStateDictOutputsAndGradients) {
    ASSERT_EQ(cases().size(), 8u);
    for (const json& c : cases())
        for (DType dt : {kFloat64, kFloat32}) check_case(c, dt);
}

// Inputs, masks and a few parameters of each kind (attention, feed-forward, norm), in float64.
TEST(Transformer, GradCheckEncoderLayer) {
    for (bool norm_first : {false, true}) {
        manual_seed(1);
        nn::TransformerEncoderLayer m({.d_model = 4,
                                       .nhead = 2,
                                       .dim_feedforward = 6,
                                       .dropout = 0,
                                       .norm_first = norm_first});
        m.to_double();
        Generator g(2);
        Tensor src = randn({3, 2, 4}, &g, kFloat64), mask = randn({3, 3}, &g, kFloat64);
        Tensor pad = zeros({2, 3}, kInt64);
        pad.select(0, 1).narrow(0, 2, 1).fill_(1);
        auto f = [&](const std::vector<Tensor>& x) {
            m.self_attn.in_proj_weight = x[1];
            m.linear1.weight = x[2];
            m.norm1.weight = x[3];
            m.norm2.bias = x[4];
            return m.forward(x[0], x[5], pad, /*is_causal=*/norm_first);
        };
        auto r = autograd::grad_check(
            f, {src, m.self_attn.in_proj_weight.detach(), m.linear1.weight.detach(),
                m.norm1.weight.detach() + 0.1 * randn({4}, &g, kFloat64),
                m.norm2.bias.detach() + 0.1 * randn({4}, &g, kFloat64), mask});
        EXPECT_TRUE(r.ok) << (norm_first ? "pre-norm: " : "post-norm: ") << r.message;
    }
}

TEST(Transformer, GradCheckDecoderLayer) {
    for (bool norm_first : {false, true}) {
        manual_seed(3);
        nn::TransformerDecoderLayer m({.d_model = 4,
                                       .nhead = 2,
                                       .dim_feedforward = 5,
                                       .dropout = 0,
                                       .activation = nn::TransformerActivation::GELU,
                                       .batch_first = true,
                                       .norm_first = norm_first});
        m.to_double();
        Generator g(4);
        Tensor tgt = randn({2, 3, 4}, &g, kFloat64), memory = randn({2, 4, 4}, &g, kFloat64);
        Tensor memory_mask = randn({3, 4}, &g, kFloat64);
        Tensor pad = zeros({2, 4}, kInt64);
        pad.select(0, 0).narrow(0, 3, 1).fill_(1);
        auto f = [&](const std::vector<Tensor>& x) {
            m.multihead_attn.in_proj_weight = x[2];
            m.linear2.weight = x[3];
            m.norm3.weight = x[4];
            return m.forward(x[0], x[1], {}, x[5], {}, pad, /*tgt_is_causal=*/true);
        };
        auto r = autograd::grad_check(
            f, {tgt, memory, m.multihead_attn.in_proj_weight.detach(), m.linear2.weight.detach(),
                m.norm3.weight.detach() + 0.1 * randn({4}, &g, kFloat64), memory_mask});
        EXPECT_TRUE(r.ok) << (norm_first ? "pre-norm: " : "post-norm: ") << r.message;
    }
}

TEST(Transformer, CausalMaskAndIsCausalAgree) {
    Tensor m = nn::generate_square_subsequent_mask(3);
    EXPECT_EQ(m.shape(), (Shape{3, 3}));
    EXPECT_EQ(m.dtype(), kFloat32);
    const float inf = std::numeric_limits<float>::infinity();
    EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{0, -inf, -inf, 0, 0, -inf, 0, 0, 0}));
    EXPECT_EQ(nn::generate_square_subsequent_mask(2, kFloat64).dtype(), kFloat64);

    manual_seed(5);
    nn::TransformerDecoderLayer dec({.d_model = 8, .nhead = 2, .dim_feedforward = 16});
    dec.eval();
    Tensor tgt = randn({5, 2, 8}), memory = randn({6, 2, 8});
    Tensor a = dec.forward(tgt, memory, nn::generate_square_subsequent_mask(5));
    Tensor b = dec.forward(tgt, memory, {}, {}, {}, {}, /*tgt_is_causal=*/true);
    expect_close(a, b, 1e-5, 1e-5, "mask vs tgt_is_causal");
    // A causal decoder's first positions do not depend on the later ones.
    Tensor c = dec.forward(tgt.narrow(0, 0, 3), memory, {}, {}, {}, {}, true);
    expect_close(c, a.narrow(0, 0, 3), 1e-5, 1e-5, "prefix");

    nn::TransformerEncoderLayer enc({.d_model = 8, .nhead = 2, .dim_feedforward = 16});
    enc.eval();
    expect_close(enc.forward(tgt, nn::generate_square_subsequent_mask(5)),
                 enc.forward(tgt, {}, {}, /*is_causal=*/true), 1e-5, 1e-5, "encoder is_causal");
}

TEST(Transformer, BatchedUnbatchedAndBatchFirstAgree) {
    manual_seed(6);
    nn::TransformerEncoderLayer seq_first({.d_model = 8, .nhead = 4, .dim_feedforward = 16});
    nn::TransformerEncoderLayer batch_first(
        {.d_model = 8, .nhead = 4, .dim_feedforward = 16, .batch_first = true});
    batch_first.load_state_dict(seq_first.state_dict());
    seq_first.eval();
    batch_first.eval();
    Tensor x = randn({5, 3, 8});
    Tensor a = seq_first.forward(x);
    expect_close(batch_first.forward(x.transpose(0, 1)), a.transpose(0, 1), 1e-5, 1e-5,
                 "batch_first");
    expect_close(seq_first.forward(x.select(1, 2)), a.select(1, 2), 1e-5, 1e-5, "unbatched");
}

TEST(Transformer, NamesDefaultsAndStacks) {
    manual_seed(7);
    nn::TransformerEncoderLayer layer({.d_model = 8, .nhead = 2});
    EXPECT_EQ(layer.linear1.weight.shape(), (Shape{2048, 8}));  // dim_feedforward = 2048
    EXPECT_EQ(layer.dropout.p, 0.1);
    EXPECT_EQ(layer.norm1.options().eps, 1e-5);

    nn::TransformerDecoderLayer no_bias(
        {.d_model = 4, .nhead = 2, .dim_feedforward = 8, .bias = false});
    std::vector<std::string> names;
    for (const auto& [n, t] : no_bias.named_parameters()) names.push_back(n);
    EXPECT_EQ(names, (std::vector<std::string>{
                         "self_attn.in_proj_weight", "self_attn.out_proj.weight",
                         "multihead_attn.in_proj_weight", "multihead_attn.out_proj.weight",
                         "linear1.weight", "linear2.weight", "norm1.weight", "norm2.weight",
                         "norm3.weight"}));

    nn::TransformerEncoder enc(
        {.layer = {.d_model = 4, .nhead = 2, .dim_feedforward = 8}, .num_layers = 3, .norm = true});
    EXPECT_EQ(enc.num_layers(), 3);
    auto sd = enc.state_dict();
    ASSERT_NE(sd.find("layers.2.linear2.bias"), nullptr);
    ASSERT_NE(sd.find("norm.weight"), nullptr);
    EXPECT_EQ(sd.size(), 3u * 12 + 2);
    // Every layer starts as a copy of the first (PyTorch deep-copies the layer), not as a view.
    expect_close(enc.layer(2).linear1.weight, enc.layer(0).linear1.weight, 0, 0, "copied");
    EXPECT_FALSE(enc.layer(2).linear1.weight.same(enc.layer(0).linear1.weight));
    EXPECT_EQ(enc.parameters().size(), 3u * 12 + 2);

    nn::TransformerDecoder dec(
        {.layer = {.d_model = 4, .nhead = 2, .dim_feedforward = 8}, .num_layers = 2});
    EXPECT_EQ(dec.state_dict().size(), 2u * 18);
    EXPECT_EQ(dec.norm, nullptr);
}

TEST(Transformer, DropoutOnlyInTraining) {
    manual_seed(8);
    nn::TransformerEncoderLayer m(
        {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.5});
    Tensor x = randn({4, 2, 8});
    m.eval();
    Tensor a = m.forward(x), b = m.forward(x);
    expect_close(a, b, 0, 0, "eval is deterministic");
    m.train();
    EXPECT_GT(max(abs(m.forward(x) - a)).item<float>(), 1e-3);
}

TEST(Transformer, Errors) {
    expect_error([] { nn::TransformerEncoderLayer({.d_model = 6, .nhead = 4}); },
                 "TransformerEncoderLayer: d_model (6) must be divisible by nhead (4)");
    expect_error([] { nn::TransformerDecoderLayer({.d_model = 0}); },
                 "TransformerDecoderLayer: d_model must be positive, got 0");
    expect_error([] { nn::TransformerEncoderLayer({.d_model = 4, .dropout = 1.0}); },
                 "dropout must be in [0, 1), got 1");
    expect_error([] { nn::TransformerEncoder({.layer = {.d_model = 4}, .num_layers = 0}); },
                 "TransformerEncoder: num_layers must be positive, got 0");
    expect_error([] { nn::TransformerDecoder({.layer = {.d_model = 5, .nhead = 2}}); },
                 "TransformerDecoder: d_model (5) must be divisible by nhead (2)");

    nn::TransformerEncoderLayer enc({.d_model = 4, .nhead = 2, .dim_feedforward = 8});
    Tensor x = randn({3, 2, 4});
    expect_error(
        [&] {
            enc.forward(x, zeros({3, 4}));
        },
        "TransformerEncoderLayer: src_mask must be (3, 3) or (N·nhead, L, S) = (4, 3, "
        "3); got (3, 4)");
    expect_error(
        [&] {
            enc.forward(x, {}, zeros({3, 2}, kInt64));
        },
        "src_key_padding_mask must be (N, S) = (2, 3); got (3, 2)");
    expect_error(
        [&] {
            enc.forward(randn({3, 2, 5}));
        },
        "TransformerEncoderLayer: src has 5 features, d_model is 4");
    expect_error([&] { enc.forward(randn({4})); }, "src must be (L, N, E) or (L, E) unbatched");

    nn::TransformerDecoderLayer dec({.d_model = 4, .nhead = 2, .dim_feedforward = 8});
    Tensor mem = randn({5, 2, 4});
    expect_error(
        [&] {
            dec.forward(x, mem, {}, zeros({3, 3}));
        },
        "TransformerDecoderLayer: memory_mask must be (3, 5) or (N·nhead, L, S) = (4, "
        "3, 5); got (3, 3)");
    expect_error([&] { dec.forward(x, mem, zeros({5, 5})); }, "tgt_mask must be (3, 3)");
    expect_error(
        [&] {
            dec.forward(x, mem, {}, {}, {}, zeros({2, 3}, kInt64));
        },
        "memory_key_padding_mask must be (N, S) = (2, 5); got (2, 3)");
    expect_error(
        [&] {
            dec.forward(x, randn({5, 3, 4}));
        },
        "tgt (3, 2, 4) and memory (5, 3, 4) must have the same batch size");
    expect_error([&] { dec.forward(x, randn({5, 2, 3})); }, "memory has 3 features, d_model is 4");
}

}  // namespace
}  // namespace soma
