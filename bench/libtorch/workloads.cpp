// The workloads of ../shared/bench/WORKLOADS.md in LibTorch, PyTorch's C++ API: a line-by-line
// twin of bench/pytorch/workloads.py, so that soma is also measured against PyTorch without the
// Python interpreter in every op.
//
//   libtorch_workloads --workload fmnist-mlp --threads 1 [--quick] [--peak-gflops G]
//   libtorch_workloads --list
//
// Prints one JSON line in the same format as bench_workloads (framework "libtorch"). One workload
// per process, so that the peak RSS is that workload's. Like the Python twin, OpenBLAS gets one
// thread (all of them for gemm, a lone BLAS call) and LibTorch's OpenMP pool gets --threads;
// OpenBLAS reads OPENBLAS_NUM_THREADS when it is loaded, before main, so main re-executes the
// program once with it set. FLOPs are counted as in bench/workloads_models.h (matrix products).

#include <sys/resource.h>
#include <torch/torch.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;
using torch::Tensor;

const char* const kNames[] = {"xor-mlp",    "xor-infer",  "cos2sin-rnn", "cos2sin-gru",
                              "fmnist-mlp", "fmnist-cnn", "fmnist-lstm", "attention",
                              "vae",        "gan",        "seq2seq",     "g2p",
                              "gemm"};

double linear_flops(double rows, double fan_in, double fan_out, bool train, bool dx) {
    const double f = 2.0 * rows * fan_in * fan_out;
    return train ? f * (dx ? 3 : 2) : f;
}

// A recurrent layer's products: input and hidden projections at every step.
double rnn_flops(double batch, double steps, double fan_in, double hidden, int gates, bool dx) {
    return steps * (linear_flops(batch, fan_in, gates * hidden, true, dx) +
                    linear_flops(batch, hidden, gates * hidden, true, true));
}

// A k x k convolution with 'same' padding over a height x width input, trained.
double conv_flops(double batch, double height, double width, double c_in, double c_out, double k,
                  bool dx) {
    return linear_flops(batch * height * width, c_in * k * k, c_out, true, dx);
}

struct Setup {
    std::function<void()> step;
    double flops;
};

using Optimizer = std::shared_ptr<torch::optim::Optimizer>;

// The optimiser lives in a shared_ptr because the step closure owns it (optimisers don't copy).
std::function<void()> train_step(std::function<Tensor()> loss, Optimizer opt) {
    return [loss = std::move(loss), opt = std::move(opt)] {
        opt->zero_grad();
        loss().backward();
        opt->step();
    };
}

Optimizer adam(std::vector<Tensor> params, double lr) {
    return std::make_shared<torch::optim::Adam>(std::move(params), torch::optim::AdamOptions(lr));
}

// list(a.parameters()) + list(b.parameters()) + ...
template <class... M>
std::vector<Tensor> params(const M&... modules) {
    std::vector<Tensor> all;
    for (const auto& ps : {modules->parameters()...}) all.insert(all.end(), ps.begin(), ps.end());
    return all;
}

Setup xor_net(bool infer) {
    nn::Sequential net(nn::Linear(2, 8), nn::Sigmoid(), nn::Linear(8, 1));
    if (infer) {
        Tensor x = torch::tensor({1.0f, 0.0f}).reshape({1, 2});
        return {[net, x]() mutable {
                    torch::NoGradGuard no_grad;
                    net->forward(x);
                },
                linear_flops(1, 2, 8, false, false) + linear_flops(1, 8, 1, false, false)};
    }
    Tensor x = torch::tensor({0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 1.0f, 1.0f}).reshape({4, 2});
    Tensor y = torch::tensor({0.0f, 1.0f, 1.0f, 0.0f}).reshape({4, 1});
    auto opt =
        std::make_shared<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(0.5));
    return {train_step([=]() mutable { return F::mse_loss(net->forward(x), y); }, opt),
            linear_flops(4, 2, 8, true, false) + linear_flops(4, 8, 1, true, true)};
}

// Cell is nn::RNN or nn::GRU, which share their constructor and forward's shape.
template <class Cell, class Options>
Setup cos2sin(int gates) {
    Cell rnn(Options(1, 10).batch_first(true));
    nn::Linear out(10, 1);
    Tensor t = torch::arange(64, torch::kFloat32) * 0.1;
    Tensor phase = torch::rand({16, 1}) * 2 * M_PI;
    Tensor x = torch::cos(t + phase).unsqueeze(-1), y = torch::sin(t + phase).unsqueeze(-1);
    auto opt = adam(params(rnn, out), 1e-2);
    return {train_step([=]() mutable { return F::mse_loss(out(std::get<0>(rnn(x))), y); }, opt),
            rnn_flops(16, 64, 1, 10, gates, false) + linear_flops(16 * 64, 10, 1, true, true)};
}

Setup fmnist_cnn() {
    nn::Sequential net(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)), nn::ReLU(),
                       nn::MaxPool2d(nn::MaxPool2dOptions(2)),
                       nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)), nn::ReLU(),
                       nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Flatten(), nn::Linear(3136, 128),
                       nn::ReLU(), nn::Dropout(0.25), nn::Linear(128, 10));
    Tensor x = torch::rand({64, 1, 28, 28}), y = torch::randint(0, 10, {64}, torch::kLong);
    auto opt = adam(net->parameters(), 1e-3);
    return {train_step([=]() mutable { return F::cross_entropy(net->forward(x), y); }, opt),
            conv_flops(64, 28, 28, 1, 32, 3, false) + conv_flops(64, 14, 14, 32, 64, 3, true) +
                linear_flops(64, 3136, 128, true, true) + linear_flops(64, 128, 10, true, true)};
}

Setup fmnist_lstm() {
    nn::LSTM lstm(nn::LSTMOptions(28, 128).batch_first(true));
    nn::Linear fc(128, 10);
    Tensor x = torch::rand({128, 28, 28}), y = torch::randint(0, 10, {128}, torch::kLong);
    auto opt = adam(params(lstm, fc), 1e-3);
    return {
        train_step(
            [=]() mutable { return F::cross_entropy(fc(std::get<0>(lstm(x)).select(1, -1)), y); },
            opt),
        rnn_flops(128, 28, 28, 128, 4, false) + linear_flops(128, 128, 10, true, true)};
}

// Registered in the Python twin's order, so that the initialisation draws the same numbers.
struct Seq2seqImpl : nn::Module {
    static constexpr int kVocab = 32, kEmb = 32, kHidden = 128;
    nn::Embedding src_emb{nullptr}, tgt_emb{nullptr};
    nn::GRU enc{nullptr}, dec{nullptr};
    nn::Linear out{nullptr};

    Seq2seqImpl() {
        src_emb = register_module("src_emb", nn::Embedding(kVocab, kEmb));
        tgt_emb = register_module("tgt_emb", nn::Embedding(kVocab, kEmb));
        enc = register_module("enc", nn::GRU(nn::GRUOptions(kEmb, kHidden).batch_first(true)));
        dec = register_module("dec", nn::GRU(nn::GRUOptions(kEmb, kHidden).batch_first(true)));
        out = register_module("out", nn::Linear(kHidden, kVocab));
    }
    Tensor forward(const Tensor& src, const Tensor& dec_in) {
        Tensor h = std::get<1>(enc(src_emb(src)));
        return out(std::get<0>(dec(tgt_emb(dec_in), h)));
    }
};
TORCH_MODULE(Seq2seq);

Setup seq2seq() {
    const int batch = 64, length = 12, vocab = Seq2seqImpl::kVocab;
    const int emb = Seq2seqImpl::kEmb, hidden = Seq2seqImpl::kHidden;
    Seq2seq net;
    Tensor src = torch::randint(0, vocab, {batch, length}, torch::kLong);
    Tensor tgt = torch::randint(0, vocab, {batch, length}, torch::kLong);
    Tensor dec_in =
        torch::cat({torch::zeros({batch, 1}, torch::kLong), tgt.slice(1, 0, length - 1)}, 1);
    auto opt = adam(net->parameters(), 1e-3);
    return {
        train_step(
            [=]() mutable {
                return F::cross_entropy(net(src, dec_in).reshape({-1, vocab}), tgt.reshape({-1}));
            },
            opt),
        2 * rnn_flops(batch, length, emb, hidden, 3, true) +
            linear_flops(batch * length, hidden, vocab, true, true)};
}

// g2p: soma's models::Seq2Seq as `soma train g2p` builds it (src/models/seq2seq.cpp), trained as
// train_g2p does (src/train/g2p.cpp); the Python twin's Net line by line. Letters <pad> <sos>
// <eos> a-z ' (30 ids), phonemes the same three and 39 (42 ids).
struct G2PNetImpl : nn::Module {
    static constexpr int kLetters = 30, kPhonemes = 42, kEmb = 64, kHidden = 256, kPad = 0;
    nn::Embedding src_emb{nullptr}, tgt_emb{nullptr};
    nn::GRU encoder{nullptr};
    nn::GRUCell cell{nullptr};
    nn::Linear bridge{nullptr}, query_proj{nullptr}, key_proj{nullptr}, v{nullptr},
        readout{nullptr};
    nn::Dropout drop{nullptr};

    G2PNetImpl() {
        const int H = kHidden;
        src_emb = register_module(
            "src_emb", nn::Embedding(nn::EmbeddingOptions(kLetters, kEmb).padding_idx(kPad)));
        tgt_emb = register_module(
            "tgt_emb", nn::Embedding(nn::EmbeddingOptions(kPhonemes, kEmb).padding_idx(kPad)));
        // One layer: soma's between-layer dropout does nothing here.
        encoder = register_module(
            "encoder", nn::GRU(nn::GRUOptions(kEmb, H).batch_first(true).bidirectional(true)));
        bridge = register_module("bridge", nn::Linear(2 * H, H));  // both directions -> decoder
        cell = register_module("cell", nn::GRUCell(kEmb + 2 * H, H));
        // Additive attention, v^T tanh(W_q s + W_k h + b), named as soma's.
        query_proj = register_module("query_proj", nn::Linear(nn::LinearOptions(H, H).bias(false)));
        key_proj = register_module("key_proj", nn::Linear(2 * H, H));
        v = register_module("v", nn::Linear(nn::LinearOptions(H, 1).bias(false)));
        readout = register_module("readout", nn::Linear(H + 2 * H, kPhonemes));
        drop = register_module("drop", nn::Dropout(0.1));
    }

    Tensor forward(const Tensor& src, const Tensor& tgt_in) {
        namespace rnn = torch::nn::utils::rnn;
        // Each row ends before its first pad; the encoder stops there (packed) and attention
        // masks the rest out.
        const Tensor lengths = (src != kPad).sum(1);
        Tensor x = drop(src_emb(src));
        auto [packed, h_n] = encoder->forward_with_packed_input(
            rnn::pack_padded_sequence(x, lengths, /*batch_first=*/true, /*enforce_sorted=*/false));
        const Tensor out =
            std::get<0>(rnn::pad_packed_sequence(packed, /*batch_first=*/true, 0.0, src.size(1)));
        const Tensor mask = torch::zeros(src.sizes())
                                .masked_fill(torch::arange(src.size(1)) >= lengths.unsqueeze(1),
                                             -std::numeric_limits<float>::infinity());
        const Tensor keys = key_proj(out);
        Tensor h = torch::tanh(bridge(torch::cat({h_n[0], h_n[1]}, -1)));
        std::vector<Tensor> logits;
        for (int64_t t = 0; t < tgt_in.size(1); ++t) {  // teacher forcing
            Tensor y = drop(tgt_emb(tgt_in.select(1, t)));
            Tensor scores = v(torch::tanh(query_proj(h).unsqueeze(1) + keys)).squeeze(-1);
            Tensor weights = torch::softmax(scores + mask, -1);
            Tensor context = torch::bmm(weights.unsqueeze(1), out).squeeze(1);
            h = cell(torch::cat({y, context}, 1), h);
            logits.push_back(readout(drop(torch::cat({h, context}, 1))));
        }
        return torch::stack(logits, 1);
    }
};
TORCH_MODULE(G2PNet);

// The lengths of bench/workloads_seq.h's kG2PLetters and kG2PPhonemes (which says where they
// come from).
const int kG2PLetters[64] = {3, 10, 7,  12, 9, 5,  6,  9,  6,  6,  5, 5,  5,  9, 10, 6,
                             8, 3,  9,  8,  6, 11, 8,  10, 10, 3,  5, 5,  12, 8, 9,  8,
                             3, 7,  10, 8,  9, 6,  14, 9,  7,  10, 9, 6,  6,  7, 7,  6,
                             8, 7,  11, 7,  4, 10, 8,  10, 3,  8,  6, 11, 6,  9, 8,  14};
const int kG2PPhonemes[64] = {2, 7, 5,  11, 8, 5,  6,  7, 5, 5, 4, 5,  4,  8, 11, 7,
                              5, 3, 6,  5,  6, 10, 8,  8, 8, 3, 5, 3,  10, 7, 9,  8,
                              3, 4, 6,  7,  7, 5,  12, 7, 6, 8, 7, 4,  5,  6, 5,  5,
                              7, 6, 11, 4,  4, 7,  8,  8, 3, 6, 5, 11, 6,  7, 7,  12};

// As g2p_flops in bench/workloads_seq.h.
double g2p_flops(double batch, double src_len, double letters, double steps, double emb,
                 double hidden, double vocab) {
    const double enc = 2 * hidden;
    return 2 * rnn_flops(letters, 1, emb, hidden, 3, true) +
           linear_flops(batch, enc, hidden, true, true) +
           linear_flops(batch * src_len, enc, hidden, true, true) +
           steps * (linear_flops(batch, hidden, hidden, true, true) +
                    linear_flops(batch * src_len, hidden, 1, true, true) +
                    linear_flops(batch, src_len, enc, true, true) +
                    linear_flops(batch, hidden + enc, vocab, true, true)) +
           rnn_flops(batch, steps, emb + enc, hidden, 3, true);
}

Setup g2p() {
    const int batch = 64, pad = G2PNetImpl::kPad, sos = 1, eos = 2;
    const int phonemes = G2PNetImpl::kPhonemes;
    G2PNet net;
    int64_t count = 0;
    for (const Tensor& p : net->parameters()) count += p.numel();
    if (count != 1500458)
        throw std::runtime_error("g2p: " + std::to_string(count) +
                                 " parameters, soma's model has 1,500,458");
    const int src_len = *std::max_element(std::begin(kG2PLetters), std::end(kG2PLetters));
    const int tgt_len = *std::max_element(std::begin(kG2PPhonemes), std::end(kG2PPhonemes));
    Tensor src = torch::full({batch, src_len}, pad, torch::kLong);
    Tensor target = torch::full({batch, tgt_len + 2}, pad, torch::kLong);  // <sos> y <eos>
    double letters = 0;
    for (int n = 0; n < batch; ++n) {
        const int s = kG2PLetters[n], t = kG2PPhonemes[n];
        src[n].slice(0, 0, s).copy_(torch::randint(3, G2PNetImpl::kLetters, {s}, torch::kLong));
        target[n][0] = sos, target[n][t + 1] = eos;
        target[n].slice(0, 1, t + 1).copy_(torch::randint(3, phonemes, {t}, torch::kLong));
        letters += s;
    }
    const Tensor tgt_in = target.slice(1, 0, tgt_len + 1).contiguous();
    const Tensor tgt_out = target.slice(1, 1, tgt_len + 2).contiguous();
    auto opt = adam(net->parameters(), 2e-3);
    return {[=]() mutable {
                opt->zero_grad();
                Tensor loss = F::cross_entropy(net(src, tgt_in).reshape({-1, phonemes}),
                                               tgt_out.reshape({-1}),
                                               F::CrossEntropyFuncOptions().ignore_index(pad));
                loss.backward();
                nn::utils::clip_grad_norm_(net->parameters(), 5.0);
                opt->step();
            },
            g2p_flops(batch, src_len, letters, tgt_len + 1, G2PNetImpl::kEmb, G2PNetImpl::kHidden,
                      phonemes)};
}

Setup fmnist_mlp() {
    nn::Sequential net(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 256), nn::ReLU(),
                       nn::Linear(256, 10));
    Tensor x = torch::rand({128, 784}), y = torch::randint(0, 10, {128}, torch::kLong);
    auto opt = adam(net->parameters(), 1e-3);
    return {train_step([=]() mutable { return F::cross_entropy(net->forward(x), y); }, opt),
            linear_flops(128, 784, 256, true, false) + linear_flops(128, 256, 256, true, true) +
                linear_flops(128, 256, 10, true, true)};
}

struct AttentionImpl : nn::Module {
    static constexpr int kDim = 64, kHeads = 4;
    nn::Embedding emb{nullptr};
    nn::MultiheadAttention attn{nullptr};
    nn::Linear head{nullptr};

    AttentionImpl() {
        emb = register_module("emb", nn::Embedding(32, kDim));
        attn = register_module("attn", nn::MultiheadAttention(kDim, kHeads));
        head = register_module("head", nn::Linear(kDim, 10));
    }
    // LibTorch 1.13's MultiheadAttention has no batch_first: transpose around it, as PyTorch's
    // batch_first=True does inside. One tensor for query, key and value, so it takes the packed
    // self-attention projection (it tests that with torch::equal, where Python tests identity).
    Tensor forward(const Tensor& tokens) {
        Tensor x = emb(tokens), xt = x.transpose(0, 1);
        Tensor a =
            std::get<0>(attn->forward(xt, xt, xt, /*key_padding_mask=*/{}, /*need_weights=*/false));
        return head((x + a.transpose(0, 1)).mean(1));
    }
};
TORCH_MODULE(Attention);

Setup attention() {
    const int batch = 32, length = 32, d = AttentionImpl::kDim, heads = AttentionImpl::kHeads;
    Attention net;
    Tensor tokens = torch::randint(0, 32, {batch, length}, torch::kLong);
    Tensor labels = torch::randint(0, 10, {batch}, torch::kLong);
    auto opt = adam(net->parameters(), 1e-3);
    const double attn_flops = 2 * 3 * batch * heads * 2.0 * length * length * (d / heads);
    return {train_step([=]() mutable { return F::cross_entropy(net(tokens), labels); }, opt),
            linear_flops(batch * length, d, 3 * d, true, true) + attn_flops +
                linear_flops(batch * length, d, d, true, true) +
                linear_flops(batch, d, 10, true, true)};
}

Setup vae() {
    nn::Linear enc(784, 400), mu(400, 2), logvar(400, 2), dec1(2, 400), dec2(400, 784);
    auto opt = adam(params(enc, mu, logvar, dec1, dec2), 1e-3);
    Tensor x = torch::rand({128, 784});
    auto loss = [=]() mutable {
        Tensor h = torch::relu(enc(x));
        Tensor m = mu(h), lv = logvar(h);
        Tensor z = m + torch::exp(0.5 * lv) * torch::randn({128, 2});  // drawn every step
        Tensor recon = torch::sigmoid(dec2(torch::relu(dec1(z))));
        Tensor kl = -0.5 * torch::sum(1 + lv - m.pow(2) - lv.exp());
        return F::binary_cross_entropy(recon, x,
                                       F::BinaryCrossEntropyFuncOptions().reduction(torch::kSum)) +
               kl;
    };
    return {train_step(loss, opt),
            linear_flops(128, 784, 400, true, false) + 2 * linear_flops(128, 400, 2, true, true) +
                linear_flops(128, 2, 400, true, true) + linear_flops(128, 400, 784, true, true)};
}

Setup gan() {
    const int batch = 64;
    nn::Sequential g(nn::Linear(64, 256), nn::ReLU(), nn::Linear(256, 784), nn::Tanh());
    nn::Sequential d(nn::Linear(784, 256),
                     nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)), nn::Linear(256, 1));
    const auto options = torch::optim::AdamOptions(2e-4).betas({0.5, 0.999});
    auto opt_g = std::make_shared<torch::optim::Adam>(g->parameters(), options);
    auto opt_d = std::make_shared<torch::optim::Adam>(d->parameters(), options);
    Tensor real = torch::rand({batch, 784}), noise = torch::randn({batch, 64});
    Tensor ones = torch::ones({batch, 1}), zeros = torch::zeros({batch, 1});
    auto bce = [](const Tensor& logits, const Tensor& target) {
        return F::binary_cross_entropy_with_logits(logits, target);
    };
    auto step = [=]() mutable {
        Tensor fake = g->forward(noise);
        opt_d->zero_grad();
        (bce(d->forward(real), ones) + bce(d->forward(fake.detach()), zeros)).backward();
        opt_d->step();
        opt_g->zero_grad();
        bce(d->forward(fake), ones).backward();
        opt_g->step();
    };
    const double g_fwd =
        linear_flops(batch, 64, 256, false, false) + linear_flops(batch, 256, 784, false, false);
    const double g_bwd = linear_flops(batch, 64, 256, true, false) +
                         linear_flops(batch, 256, 784, true, true) - g_fwd;
    const double d_data =
        linear_flops(batch, 784, 256, true, false) + linear_flops(batch, 256, 1, true, true);
    const double d_live =
        linear_flops(batch, 784, 256, true, true) + linear_flops(batch, 256, 1, true, true);
    return {step, g_fwd + 2 * d_data + d_live + g_bwd};
}

Setup gemm() {
    Tensor a = torch::rand({1024, 1024}), b = torch::rand({1024, 1024});
    return {[a, b] {
                torch::NoGradGuard no_grad;
                torch::matmul(a, b);
            },
            2.0 * 1024 * 1024 * 1024};
}

Setup build(const std::string& name) {
    if (name == "xor-mlp" || name == "xor-infer") return xor_net(name == "xor-infer");
    if (name == "cos2sin-rnn") return cos2sin<nn::RNN, nn::RNNOptions>(1);
    if (name == "cos2sin-gru") return cos2sin<nn::GRU, nn::GRUOptions>(3);
    if (name == "fmnist-cnn") return fmnist_cnn();
    if (name == "fmnist-lstm") return fmnist_lstm();
    if (name == "seq2seq") return seq2seq();
    if (name == "g2p") return g2p();
    if (name == "fmnist-mlp") return fmnist_mlp();
    if (name == "attention") return attention();
    if (name == "vae") return vae();
    if (name == "gan") return gan();
    if (name == "gemm") return gemm();
    throw std::invalid_argument(name);
}

// VmHWM: unlike ru_maxrss it does not include the parent's memory from before exec.
double peak_rss_mb() {
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        long kb = -1;
        while (std::fgets(line, sizeof line, f))
            if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
        std::fclose(f);
        if (kb >= 0) return kb / 1024.0;
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Timing {
    double median_us;
    long steps;
    double mean_us, cpu_us;
};

// Samples kept as in bench/workloads.cpp (a stride that doubles), so the RSS stays the model's.
constexpr std::size_t kMaxSamples = 8192;

Timing time_steps(const std::function<void()>& step, bool quick) {
    using Clock = std::chrono::steady_clock;
    const int warmup = quick ? 3 : 10, min_steps = quick ? 10 : 50;
    const double min_seconds = quick ? 0.0 : 2.0;
    for (int i = 0; i < warmup; ++i) step();
    std::vector<double> times;
    times.reserve(kMaxSamples);
    long steps = 0, stride = 1;
    const double cpu0 = cpu_seconds();
    const auto start = Clock::now();
    auto since = [](Clock::time_point t) {
        return std::chrono::duration<double>(Clock::now() - t).count();
    };
    while (steps < min_steps || since(start) < min_seconds) {
        const auto t0 = Clock::now();
        step();
        const double t = since(t0) * 1e6;
        if (steps++ % stride) continue;
        times.push_back(t);
        if (times.size() == kMaxSamples) {
            for (std::size_t i = 0; i < kMaxSamples / 2; ++i) times[i] = times[2 * i];
            times.resize(kMaxSamples / 2);
            stride *= 2;
        }
    }
    const double cpu_us = (cpu_seconds() - cpu0) * 1e6 / steps;
    const double mean_us = since(start) * 1e6 / steps;
    std::sort(times.begin(), times.end());
    const std::size_t n = times.size();
    return {n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2, steps, mean_us, cpu_us};
}

int usage() {
    std::fprintf(stderr,
                 "usage: libtorch_workloads [--workload NAME] [--threads N] [--quick] "
                 "[--peak-gflops G] [--list]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string workload;
    int threads = 1;
    const char* quick_env = std::getenv("SOMA_BENCH_QUICK");
    bool quick = quick_env && *quick_env, list = false;
    double peak_gflops = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--workload" && has_value) {
            workload = argv[++i];
        } else if (a == "--threads" && has_value) {
            threads = std::atoi(argv[++i]);
        } else if (a == "--peak-gflops" && has_value) {
            peak_gflops = std::atof(argv[++i]);
        } else if (a == "--quick") {
            quick = true;
        } else if (a == "--list") {
            list = true;
        } else {
            return usage();
        }
    }
    if (list || workload.empty()) {
        for (const char* n : kNames) std::printf("%s\n", n);
        return 0;
    }
    if (std::find_if(std::begin(kNames), std::end(kNames),
                     [&](const char* n) { return workload == n; }) == std::end(kNames) ||
        threads < 1)
        return usage();

    // gemm is one BLAS call with no OpenMP work beside it, so there OpenBLAS gets the threads.
    // OpenBLAS is already loaded (LibTorch links it), so a change needs a fresh process image.
    const std::string blas_threads = std::to_string(workload == "gemm" ? threads : 1);
    const char* have = std::getenv("OPENBLAS_NUM_THREADS");
    if (!have || blas_threads != have) {
        setenv("OPENBLAS_NUM_THREADS", blas_threads.c_str(), 1);
        execv("/proc/self/exe", argv);
        std::perror("libtorch_workloads: re-exec with OPENBLAS_NUM_THREADS set");  // go on anyway
    }

    try {
        at::set_num_threads(threads);
        at::set_num_interop_threads(1);  // nothing here runs ops in parallel with each other
        torch::manual_seed(0);
        Setup s = build(workload);
        const Timing t = time_steps(s.step, quick);
        const double gflops = s.flops / t.median_us / 1e3;
        std::printf(
            "{\"workload\":\"%s\",\"framework\":\"libtorch\",\"threads\":%d,\"median_us\":%.2f,"
            "\"steps\":%ld,\"mean_us\":%.2f,\"cpu_us\":%.2f,\"peak_rss_mb\":%.1f,"
            "\"flops_per_step\":%.1f,\"gflops\":%.3f",
            workload.c_str(), threads, t.median_us, t.steps, t.mean_us, t.cpu_us, peak_rss_mb(),
            s.flops, gflops);
        if (peak_gflops > 0)
            std::printf(",\"pct_peak\":%.2f,\"peak_gflops\":%g", 100 * gflops / peak_gflops,
                        peak_gflops);
        double load[1] = {0};
        std::printf(",\"load1\":%.2f,\"torch\":\"%s\"}\n", getloadavg(load, 1) == 1 ? load[0] : -1,
                    TORCH_VERSION);
    } catch (const c10::Error& e) {  // what() would add a C++ backtrace
        std::fprintf(stderr, "libtorch_workloads: %s: %s\n", workload.c_str(),
                     e.what_without_backtrace());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "libtorch_workloads: %s: %s\n", workload.c_str(), e.what());
        return 1;
    }
    return 0;
}
