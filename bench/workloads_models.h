#pragma once
// The models of ../shared/bench/WORKLOADS.md, built from soma's public API exactly as a user
// would write them. Each factory makes the model, its optimiser and its synthetic data once and
// returns the training step (or inference call) to be timed, plus the FLOPs that step does.
//
// FLOPs count the matrix products only (2 per multiply-add): forward, the weight gradient of
// every layer, and the input gradient wherever the input needs one (never for the data).
// bench/pytorch/workloads.py uses the same formulas.

#include <soma/nn/activation.h>
#include <soma/nn/attention.h>
#include <soma/nn/container.h>
#include <soma/nn/embedding.h>
#include <soma/nn/init.h>
#include <soma/nn/linear.h>
#include <soma/nn/loss.h>
#include <soma/nn/transformer.h>
#include <soma/optim/adam.h>
#include <soma/optim/sgd.h>
#include <soma/soma.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace soma_bench {

using namespace soma;
using std::int64_t;
using std::make_shared;

struct Setup {
    std::function<void()> step;
    double flops_per_step = 0;
};

// A Linear layer's matrix products over `rows` rows; `dx`: its input needs a gradient.
inline double linear_flops(int64_t rows, int64_t in, int64_t out, bool train, bool dx) {
    double f = 2.0 * rows * in * out;
    return train ? f * (dx ? 3 : 2) : f;
}

inline std::shared_ptr<nn::Linear> linear(int64_t in, int64_t out) {
    return make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out});
}

// Concatenates the parameter lists of several modules (one optimiser over all of them).
inline std::vector<Tensor> params_of(std::initializer_list<nn::Module*> modules) {
    std::vector<Tensor> all;
    for (nn::Module* m : modules)
        for (Tensor& p : m->parameters()) all.push_back(p);
    return all;
}

inline std::shared_ptr<nn::Sequential> xor_net() {
    return make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        linear(2, 8), make_shared<nn::Sigmoid>(), linear(8, 1)});
}

inline Setup xor_mlp() {
    auto net = xor_net();
    auto opt = make_shared<optim::SGD>(net->parameters(), optim::SGDOptions{.lr = 0.5});
    Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}}), y = tensor({{0}, {1}, {1}, {0}});
    return {[=] {
                opt->zero_grad();
                Tensor loss = nn::mse_loss(net->forward(x), y);
                loss.backward();
                opt->step();
            },
            linear_flops(4, 2, 8, true, false) + linear_flops(4, 8, 1, true, true)};
}

inline Setup xor_infer() {
    auto net = xor_net();
    Tensor x = tensor({{1, 0}});
    return {[=] {
                NoGrad no_grad;
                Tensor y = net->forward(x);
            },
            linear_flops(1, 2, 8, false, false) + linear_flops(1, 8, 1, false, false)};
}

inline Setup fmnist_mlp() {
    const int64_t batch = 128;
    auto net = make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        linear(784, 256), make_shared<nn::ReLU>(), linear(256, 256), make_shared<nn::ReLU>(),
        linear(256, 10)});
    auto opt = make_shared<optim::Adam>(net->parameters(), optim::AdamOptions{.lr = 1e-3});
    Tensor x = rand({batch, 784}), y = randint(0, 10, {batch});
    return {[=] {
                opt->zero_grad();
                Tensor loss = nn::cross_entropy(net->forward(x), y);
                loss.backward();
                opt->step();
            },
            linear_flops(batch, 784, 256, true, false) + linear_flops(batch, 256, 256, true, true) +
                linear_flops(batch, 256, 10, true, true)};
}

// Token embedding, one multi-head self-attention layer with residual, mean over positions,
// linear read-out. The attention is nn::MultiheadAttention with need_weights = false, as the
// PyTorch twin calls it: the fused scaled_dot_product_attention op.
inline Setup attention() {
    const int64_t batch = 32, len = 32, vocab = 32, d = 64, heads = 4, dh = d / heads;
    struct Model {
        Tensor emb = randn({32, 64}).requires_grad_();  // nn.Embedding's N(0, 1)
        nn::MultiheadAttention attn{{.embed_dim = 64, .num_heads = 4, .batch_first = true}};
        std::shared_ptr<nn::Linear> head = linear(64, 10);
    };
    auto m = make_shared<Model>();
    std::vector<Tensor> params{m->emb};
    for (nn::Module* mod :
         {static_cast<nn::Module*>(&m->attn), static_cast<nn::Module*>(m->head.get())})
        for (Tensor& p : mod->parameters()) params.push_back(p);
    auto opt = make_shared<optim::Adam>(params, optim::AdamOptions{.lr = 1e-3});
    Tensor tokens = randint(0, vocab, {batch, len}), labels = randint(0, 10, {batch});
    auto step = [=] {
        opt->zero_grad();
        Tensor x = embedding(m->emb, tokens);  // (B, L, d)
        Tensor h = x + m->attn.forward(x, x, x, {}, /*need_weights=*/false).output;
        Tensor loss = nn::cross_entropy(m->head->forward(mean(h, {1})), labels);
        loss.backward();
        opt->step();
    };
    const double bh = static_cast<double>(batch * heads);
    // scores and context: forward and both operand gradients, 2 L L dh each
    const double attn_flops = 2 * 3 * bh * 2.0 * len * len * dh;
    return {step, linear_flops(batch * len, d, 3 * d, true, true) + attn_flops +
                      linear_flops(batch * len, d, d, true, true) +
                      linear_flops(batch, d, 10, true, true)};
}

// Token embedding 64 -> 128, one nn::TransformerEncoderLayer (4 heads, feed-forward 512,
// ReLU, post-norm, dropout 0), mean over the positions, linear read-out.
inline Setup transformer() {
    const int64_t batch = 32, len = 64, vocab = 64, d = 128, heads = 4, ff = 512, dh = d / heads;
    struct Model {
        nn::Embedding emb{{.num_embeddings = 64, .embedding_dim = 128}};
        nn::TransformerEncoderLayer layer{{.d_model = 128,
                                           .nhead = 4,
                                           .dim_feedforward = 512,
                                           .dropout = 0.0,
                                           .batch_first = true}};
        std::shared_ptr<nn::Linear> head = linear(128, 10);
    };
    auto m = make_shared<Model>();
    auto opt = make_shared<optim::Adam>(params_of({&m->emb, &m->layer, m->head.get()}),
                                        optim::AdamOptions{.lr = 1e-3});
    Tensor tokens = randint(0, vocab, {batch, len}), labels = randint(0, 10, {batch});
    auto step = [=] {
        opt->zero_grad();
        Tensor h = m->layer.forward(m->emb(tokens));  // (B, L) -> (B, L, d)
        Tensor loss = nn::cross_entropy(m->head->forward(mean(h, {1})), labels);
        loss.backward();
        opt->step();
    };
    const double bh = static_cast<double>(batch * heads);
    const double attn_flops = 2 * 3 * bh * 2.0 * len * len * dh;
    const int64_t rows = batch * len;
    return {step, linear_flops(rows, d, 3 * d, true, true) + attn_flops +
                      linear_flops(rows, d, d, true, true) + linear_flops(rows, d, ff, true, true) +
                      linear_flops(rows, ff, d, true, true) +
                      linear_flops(batch, d, 10, true, true)};
}

inline Setup vae() {
    const int64_t batch = 128;
    auto enc = linear(784, 400), mu = linear(400, 2), logvar = linear(400, 2);
    auto dec1 = linear(2, 400), dec2 = linear(400, 784);
    auto opt = make_shared<optim::Adam>(
        params_of({enc.get(), mu.get(), logvar.get(), dec1.get(), dec2.get()}),
        optim::AdamOptions{.lr = 1e-3});
    Tensor x = rand({batch, 784});
    return {
        [=] {
            opt->zero_grad();
            Tensor h = relu(enc->forward(x));
            Tensor m = mu->forward(h), lv = logvar->forward(h);
            Tensor z = m + exp(lv * 0.5) * randn({batch, 2});  // the noise is part of the step
            Tensor recon = sigmoid(dec2->forward(relu(dec1->forward(z))));
            Tensor loss =
                nn::binary_cross_entropy(recon, x, nn::Reduction::Sum) + nn::kl_normal(m, lv);
            loss.backward();
            opt->step();
        },
        linear_flops(batch, 784, 400, true, false) + 2 * linear_flops(batch, 400, 2, true, true) +
            linear_flops(batch, 2, 400, true, true) + linear_flops(batch, 400, 784, true, true)};
}

// One step: G(noise) once; a D update on real vs G(noise) detached; then a G update through the
// updated D with "real" labels.
inline Setup gan() {
    const int64_t batch = 64;
    auto g = make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        linear(64, 256), make_shared<nn::ReLU>(), linear(256, 784), make_shared<nn::Tanh>()});
    auto d = make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        linear(784, 256), make_shared<nn::LeakyReLU>(0.2), linear(256, 1)});
    const optim::AdamOptions o{.lr = 2e-4, .betas = {0.5, 0.999}};
    auto opt_g = make_shared<optim::Adam>(g->parameters(), o);
    auto opt_d = make_shared<optim::Adam>(d->parameters(), o);
    Tensor real = rand({batch, 784}), noise = randn({batch, 64});
    Tensor ones_ = ones({batch, 1}), zeros_ = zeros({batch, 1});
    auto bce = [](const Tensor& logits, const Tensor& y) {
        return nn::binary_cross_entropy_with_logits(logits, y);
    };
    auto step = [=] {
        Tensor fake = g->forward(noise);
        opt_d->zero_grad();
        Tensor d_loss = bce(d->forward(real), ones_) + bce(d->forward(fake.detach()), zeros_);
        d_loss.backward();
        opt_d->step();
        opt_g->zero_grad();
        Tensor g_loss = bce(d->forward(fake), ones_);
        g_loss.backward();
        opt_g->step();
    };
    const double g_fwd =
        linear_flops(batch, 64, 256, false, false) + linear_flops(batch, 256, 784, false, false);
    const double g_bwd = linear_flops(batch, 64, 256, true, false) +
                         linear_flops(batch, 256, 784, true, true) - g_fwd;
    // D on data (real or detached fake): no input gradient; D on the live fake: one.
    const double d_data =
        linear_flops(batch, 784, 256, true, false) + linear_flops(batch, 256, 1, true, true);
    const double d_live =
        linear_flops(batch, 784, 256, true, true) + linear_flops(batch, 256, 1, true, true);
    return {step, g_fwd + 2 * d_data + d_live + g_bwd};
}

inline Setup gemm() {
    const int64_t n = 1024;
    Tensor a = rand({n, n}), b = rand({n, n});
    return {[=] {
                NoGrad no_grad;
                Tensor c = matmul(a, b);
            },
            2.0 * n * n * n};
}

}  // namespace soma_bench
