#pragma once
// The recurrent and convolutional workloads of ../shared/bench/WORKLOADS.md (cos2sin-rnn,
// cos2sin-gru, fmnist-cnn, fmnist-lstm, seq2seq, g2p); see workloads_models.h for the
// conventions.
// A recurrent layer's FLOPs are its input and hidden projections at every step; a k x k
// convolution's are those of the equivalent im2col GEMM.

#include <soma/data/sequence_pairs.h>
#include <soma/models/seq2seq.h>
#include <soma/nn/conv.h>
#include <soma/nn/dropout.h>
#include <soma/nn/pool.h>
#include <soma/nn/rnn.h>
#include <soma/optim/clip.h>
#include <soma/train/g2p.h>

#include <numeric>
#include <stdexcept>

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

// g2p: the model of `soma train g2p` (models::Seq2Seq as train::G2POptions' defaults build it:
// bidirectional GRU encoder, additive attention, embedding 64, hidden 256, dropout 0.1) and the
// training step of train_g2p: teacher forcing, cross-entropy ignoring padding, gradients clipped
// to norm 5, Adam lr 2e-3, batch 64.
//
// The batch is fixed so that every framework does the same work: the lengths of 64 (word,
// pronunciation) pairs drawn once at random (Python's random.Random(3).sample) from the 133,515
// pronunciations of /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict whose word is only
// a-z and '. Random batches of 64 have 14 letters and 12 phonemes at most in the median, and so
// has this one (mean 7.7 letters and 6.5 phonemes against the dictionary's 7.5 and 6.4). The
// token ids are random; only the lengths decide the work. bench/pytorch/workloads.py and
// bench/libtorch/workloads.cpp hold the same two lists.
inline constexpr int64_t kG2PLetters[64] = {
    3, 10, 7,  12, 9, 5, 6,  9, 6, 6,  5, 5,  5,  9, 10, 6,  8,  3, 9, 8,  6, 11,
    8, 10, 10, 3,  5, 5, 12, 8, 9, 8,  3, 7,  10, 8, 9,  6,  14, 9, 7, 10, 9, 6,
    6, 7,  7,  6,  8, 7, 11, 7, 4, 10, 8, 10, 3,  8, 6,  11, 6,  9, 8, 14};
inline constexpr int64_t kG2PPhonemes[64] = {
    2, 7, 5, 11, 8, 5, 6,  7, 5, 5, 4, 5, 4, 8, 11, 7,  5,  3, 6, 5, 6, 10,
    8, 8, 8, 3,  5, 3, 10, 7, 9, 8, 3, 4, 6, 7, 7,  5,  12, 7, 6, 8, 7, 4,
    5, 6, 5, 5,  7, 6, 11, 4, 4, 7, 8, 8, 3, 6, 5,  11, 6,  7, 7, 12};

// Matrix products of one step: the encoder's two directions over each row's own letters (it
// stops at each row's end), the bridge, the attention's key projection once, then per decoder
// step the query projection, the scores' v, the context (weights @ outputs), the GRU cell on
// [embedding, context] and the readout of [state, context].
inline double g2p_flops(int64_t batch, int64_t src_len, int64_t letters, int64_t steps, int64_t emb,
                        int64_t hidden, int64_t vocab) {
    const int64_t enc = 2 * hidden;
    return 2 * rnn_flops(letters, 1, emb, hidden, 3, true) +
           linear_flops(batch, enc, hidden, true, true) +
           linear_flops(batch * src_len, enc, hidden, true, true) +
           steps * (linear_flops(batch, hidden, hidden, true, true) +
                    linear_flops(batch * src_len, hidden, 1, true, true) +
                    linear_flops(batch, src_len, enc, true, true) +
                    linear_flops(batch, hidden + enc, vocab, true, true)) +
           rnn_flops(batch, steps, emb + enc, hidden, 3, true);
}

inline Setup g2p() {
    const train::G2POptions d;  // the defaults of `soma train g2p`
    if (d.cell != "gru" || d.attention != "additive")
        throw std::runtime_error(
            "g2p: the workload assumes soma train g2p's GRU with additive "
            "attention; update it and its twins");
    // Letters a-z and ' after <pad> <sos> <eos>; the dictionary's 39 phonemes after the same.
    const int64_t batch = d.batch_size, letters = 3 + 27, phonemes = 3 + 39;
    auto model = make_shared<models::Seq2Seq>(
        models::Seq2SeqOptions{.src_vocab = letters,
                               .tgt_vocab = phonemes,
                               .embed_dim = d.embed_dim,
                               .hidden_size = d.hidden_size,
                               .num_layers = d.num_layers,
                               .cell = models::RecurrentCell::GRU,
                               .attention = models::Seq2SeqAttention::Additive,
                               .dropout = d.dropout,
                               .bidirectional = d.bidirectional,
                               .pad_id = data::kPad,
                               .sos_id = data::kSos,
                               .eos_id = data::kEos});
    // The twins build the same architecture by hand; the count shows they still do.
    if (model->num_parameters() != 1'500'458 || batch != 64)
        throw std::runtime_error(
            "g2p: soma train g2p's model is no longer the one of the "
            "PyTorch and LibTorch twins (1,500,458 parameters, batch 64)");
    auto opt = make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = d.lr});
    // The batch as train_g2p's loader makes it: spellings padded, pronunciations as
    // <sos> y <eos> padded; the decoder reads all but the last column and predicts all but
    // the first.
    std::vector<data::TokenSequence> words, prons;
    for (int64_t n = 0; n < batch; ++n) {
        auto ids = [](int64_t len, int64_t vocab) {
            std::vector<int64_t> v = randint(data::kFirstToken, vocab, {len}).to_vector<int64_t>();
            return data::TokenSequence(v.begin(), v.end());
        };
        words.push_back(ids(kG2PLetters[n], letters));
        prons.push_back(ids(kG2PPhonemes[n], phonemes));
    }
    std::vector<const data::TokenSequence*> w, p;
    for (int64_t n = 0; n < batch; ++n) w.push_back(&words[n]), p.push_back(&prons[n]);
    const Tensor src = data::pad_sequences(w, false), target = data::pad_sequences(p, true);
    const int64_t steps = target.size(1) - 1;
    const Tensor tgt_in = target.narrow(1, 0, steps).contiguous();
    const Tensor tgt_out = target.narrow(1, 1, steps).contiguous();
    const int64_t total_letters =
        std::accumulate(std::begin(kG2PLetters), std::end(kG2PLetters), int64_t{0});
    return {
        [=] {
            opt->zero_grad();
            Tensor loss =
                models::sequence_loss(model->forward(src, {}, tgt_in), tgt_out, data::kPad);
            loss.backward();
            optim::clip_grad_norm(model->parameters(), 5.0);  // train_g2p's kClipNorm
            opt->step();
        },
        g2p_flops(batch, src.size(1), total_letters, steps, d.embed_dim, d.hidden_size, phonemes)};
}

}  // namespace soma_bench
