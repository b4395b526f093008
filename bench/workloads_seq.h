#pragma once
// The recurrent and convolutional workloads of ../shared/bench/WORKLOADS.md (cos2sin-rnn,
// cos2sin-gru, fmnist-cnn, fmnist-lstm, seq2seq); see workloads_models.h for the conventions.
// A recurrent layer's FLOPs are its input and hidden projections at every step; a k x k
// convolution's are those of the equivalent im2col GEMM.

#include <soma/nn/conv.h>
#include <soma/nn/dropout.h>
#include <soma/nn/pool.h>
#include <soma/nn/rnn.h>

#include "workloads_models.h"

namespace soma_bench {

inline double rnn_flops(int64_t batch, int64_t steps, int64_t in, int64_t hidden, int64_t gates,
                        bool dx) {
    return steps * (linear_flops(batch, in, gates * hidden, true, dx) +
                    linear_flops(batch, hidden, gates * hidden, true, true));
}

inline double conv_flops(int64_t batch, int64_t h, int64_t w, int64_t c_in, int64_t c_out,
                         int64_t k, bool dx) {
    return linear_flops(batch * h * w, c_in * k * k, c_out, true, dx);
}

// 16 sequences x_t = cos(0.1 t + phi), y_t = sin(0.1 t + phi), t = 0..63, batch-first.
template <class Layer, class Options>
Setup cos2sin(int64_t gates) {
    const int64_t batch = 16, len = 64, hidden = 10;
    auto rnn =
        make_shared<Layer>(Options{.input_size = 1, .hidden_size = hidden, .batch_first = true});
    auto out = linear(hidden, 1);
    auto opt =
        make_shared<optim::Adam>(params_of({rnn.get(), out.get()}), optim::AdamOptions{.lr = 1e-2});
    std::vector<float> phase = (rand({batch}) * (2 * M_PI)).to_vector<float>(), xs, ys;
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = 0; t < len; ++t) {
            xs.push_back(std::cos(0.1f * t + phase[b]));
            ys.push_back(std::sin(0.1f * t + phase[b]));
        }
    Tensor x = from_vector(xs, {batch, len, 1}), y = from_vector(ys, {batch, len, 1});
    return {[=] {
                opt->zero_grad();
                Tensor loss = nn::mse_loss(out->forward(rnn->forward(x).output), y);
                loss.backward();
                opt->step();
            },
            rnn_flops(batch, len, 1, hidden, gates, false) +
                linear_flops(batch * len, hidden, 1, true, true)};
}

inline Setup cos2sin_rnn() { return cos2sin<nn::RNN, nn::RNNOptions>(1); }
inline Setup cos2sin_gru() { return cos2sin<nn::GRU, nn::GRUOptions>(3); }

inline Setup fmnist_cnn() {
    const int64_t batch = 64;
    auto conv = [](int64_t in, int64_t out) {
        return make_shared<nn::Conv2d>(nn::ConvOptions{
            .in_channels = in, .out_channels = out, .kernel_size = 3, .padding = 1});
    };
    auto pool = [] { return make_shared<nn::MaxPool2d>(nn::MaxPoolOptions{.kernel_size = 2}); };
    auto net = make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
        conv(1, 32), make_shared<nn::ReLU>(), pool(), conv(32, 64), make_shared<nn::ReLU>(), pool(),
        make_shared<nn::Flatten>(), linear(3136, 128), make_shared<nn::ReLU>(),
        make_shared<nn::Dropout>(0.25), linear(128, 10)});
    auto opt = make_shared<optim::Adam>(net->parameters(), optim::AdamOptions{.lr = 1e-3});
    Tensor x = rand({batch, 1, 28, 28}), y = randint(0, 10, {batch});
    return {
        [=] {
            opt->zero_grad();
            Tensor loss = nn::cross_entropy(net->forward(x), y);
            loss.backward();
            opt->step();
        },
        conv_flops(batch, 28, 28, 1, 32, 3, false) + conv_flops(batch, 14, 14, 32, 64, 3, true) +
            linear_flops(batch, 3136, 128, true, true) + linear_flops(batch, 128, 10, true, true)};
}

// The 28 rows of an image as a sequence; the last hidden state is classified.
inline Setup fmnist_lstm() {
    const int64_t batch = 128, hidden = 128;
    auto lstm = make_shared<nn::LSTM>(
        nn::LSTMOptions{.input_size = 28, .hidden_size = hidden, .batch_first = true});
    auto fc = linear(hidden, 10);
    auto opt =
        make_shared<optim::Adam>(params_of({lstm.get(), fc.get()}), optim::AdamOptions{.lr = 1e-3});
    Tensor x = rand({batch, 28, 28}), y = randint(0, 10, {batch});
    return {
        [=] {
            opt->zero_grad();
            Tensor last = lstm->forward(x).output.select(1, 27);
            Tensor loss = nn::cross_entropy(fc->forward(last), y);
            loss.backward();
            opt->step();
        },
        rnn_flops(batch, 28, 28, hidden, 4, false) + linear_flops(batch, hidden, 10, true, true)};
}

// GRU encoder-decoder with teacher forcing: the decoder reads a start token (0) and the target
// shifted right, starting from the encoder's final state.
inline Setup seq2seq() {
    const int64_t batch = 64, len = 12, vocab = 32, emb = 32, hidden = 128;
    struct Model {
        Tensor src_emb = randn({32, 32}).requires_grad_(),
               tgt_emb = randn({32, 32}).requires_grad_();
        nn::GRU enc{{.input_size = 32, .hidden_size = 128, .batch_first = true}};
        nn::GRU dec{{.input_size = 32, .hidden_size = 128, .batch_first = true}};
        std::shared_ptr<nn::Linear> out = linear(128, 32);
    };
    auto m = make_shared<Model>();
    std::vector<Tensor> params{m->src_emb, m->tgt_emb};
    for (nn::Module* mod : {static_cast<nn::Module*>(&m->enc), static_cast<nn::Module*>(&m->dec),
                            static_cast<nn::Module*>(m->out.get())})
        for (Tensor& p : mod->parameters()) params.push_back(p);
    auto opt = make_shared<optim::Adam>(params, optim::AdamOptions{.lr = 1e-3});
    Tensor src = randint(0, vocab, {batch, len}), tgt = randint(0, vocab, {batch, len});
    std::vector<std::int64_t> t = tgt.to_vector<std::int64_t>(), shifted(t.size(), 0);
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t i = 1; i < len; ++i) shifted[b * len + i] = t[b * len + i - 1];
    Tensor dec_in = from_vector(shifted, {batch, len}), target = tgt.reshape({batch * len});
    return {[=] {
                opt->zero_grad();
                Tensor h = m->enc.forward(embedding(m->src_emb, src)).h_n;
                Tensor states = m->dec.forward(embedding(m->tgt_emb, dec_in), h).output;
                Tensor logits = m->out->forward(states).reshape({batch * len, vocab});
                Tensor loss = nn::cross_entropy(logits, target);
                loss.backward();
                opt->step();
            },
            2 * rnn_flops(batch, len, emb, hidden, 3, true) +
                linear_flops(batch * len, hidden, vocab, true, true)};
}

}  // namespace soma_bench
