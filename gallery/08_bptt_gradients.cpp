// 08: why LSTM and GRU. Backpropagation through time multiplies one Jacobian per step, so in an
// Elman net ∂loss_T/∂h_t shrinks geometrically with the lag T − t, and a dependency that far
// back cannot be learned; the LSTM's additive cell state keeps the gradient alive. Shown on a
// memory task: recall a bit seen `lag` steps ago, with noise on a second input channel.

#include <algorithm>
#include <cmath>
#include <memory>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/nn/rnn.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/optim/clip.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

constexpr std::int64_t kHidden = 16;

struct Recall {
    Tensor x;       // (N, lag + 1, 2): channel 0 a random ±1 bit every step, channel 1 marks t = 0
    Tensor target;  // (N, 1): the bit at t = 0, as 0/1
};

// Every step brings a new bit, so the net must keep the first one and ignore the rest.
Recall make_recall(std::int64_t n, std::int64_t lag, Generator& gen) {
    Tensor bits = randint(0, 2, {n, lag + 1, 1}, &gen).to(kFloat32);
    Tensor marker = cat({ones({n, 1, 1}), zeros({n, lag, 1})}, 1);
    return {cat({bits * 2 - 1, marker}, 2), bits.select(1, 0)};
}

enum class Kind { RNN, GRU, LSTM };
const char* kind_name(Kind k) {
    return k == Kind::RNN ? "Elman RNN" : k == Kind::GRU ? "GRU" : "LSTM";
}

// A sequence layer (trained fused) plus its read-out of the last state.
struct Net {
    Kind kind;
    std::shared_ptr<nn::detail::RecurrentLayers> layer;
    nn::Linear readout;

    Tensor last_state(const Tensor& x) {
        Tensor out = kind == Kind::RNN   ? static_cast<nn::RNN&>(*layer)(x).output
                     : kind == Kind::GRU ? static_cast<nn::GRU&>(*layer)(x).output
                                         : static_cast<nn::LSTM&>(*layer)(x).output;
        return out.select(1, out.size(1) - 1);
    }
    Tensor logit(const Tensor& x) { return readout(last_state(x)); }
};

Net make_net(Kind kind, Generator& gen) {
    nn::GRUOptions o{.input_size = 2, .hidden_size = kHidden, .batch_first = true, .gen = &gen};
    std::shared_ptr<nn::detail::RecurrentLayers> layer;
    if (kind == Kind::RNN)
        layer = std::make_shared<nn::RNN>(nn::RNNOptions{
            .input_size = 2, .hidden_size = kHidden, .batch_first = true, .gen = &gen});
    else if (kind == Kind::GRU)
        layer = std::make_shared<nn::GRU>(o);
    else
        layer = std::make_shared<nn::LSTM>(o);
    if (kind != Kind::RNN) {
        // The LSTM's forget gate and the GRU's update gate (both the second block of rows)
        // start with positive biases (Jozefowicz et al. 2015: 1 for the forget gate; larger
        // here, for a long lag), so the state starts out remembering.
        NoGrad no_grad;
        for (Tensor* b : {&layer->weights[0].bias_ih, &layer->weights[0].bias_hh})
            b->narrow(0, kHidden, kHidden).fill_(kind == Kind::LSTM ? 2.0 : 1.0);
    }
    return {kind, layer, nn::Linear({.in = kHidden, .out = 1, .gen = &gen})};
}

double accuracy(Net& net, const Recall& d) {
    NoGrad no_grad;
    std::vector<double> z = net.logit(d.x).to_vector<double>(), y = d.target.to_vector<double>();
    int right = 0;
    for (std::size_t i = 0; i < z.size(); ++i) right += (z[i] > 0) == (y[i] > 0.5);
    return static_cast<double>(right) / z.size();
}

// ||∂loss_T/∂h_t|| for t = 0..T−1 (index = lag T−1−t), from the layer's weights in a cell
// unrolled step by step so every h_t can keep its gradient.
std::vector<double> state_gradients(Net& net, const Recall& d) {
    const nn::RecurrentWeights& w = net.layer->weights[0];
    const std::int64_t steps = d.x.size(1);
    std::vector<Tensor> hs;
    Tensor h, c;
    nn::RNNCell rnn({.input_size = 2, .hidden_size = kHidden});
    nn::GRUCell gru({.input_size = 2, .hidden_size = kHidden});
    nn::LSTMCell lstm({.input_size = 2, .hidden_size = kHidden});
    rnn.weight_ih = gru.weight_ih = lstm.weight_ih = w.weight_ih;
    rnn.weight_hh = gru.weight_hh = lstm.weight_hh = w.weight_hh;
    rnn.bias_ih = gru.bias_ih = lstm.bias_ih = w.bias_ih;
    rnn.bias_hh = gru.bias_hh = lstm.bias_hh = w.bias_hh;
    for (std::int64_t t = 0; t < steps; ++t) {
        Tensor x = d.x.select(1, t);
        if (net.kind == Kind::RNN)
            h = rnn(x, h);
        else if (net.kind == Kind::GRU)
            h = gru(x, h);
        else {
            nn::LSTMState s = lstm(x, h, c);
            h = s.h, c = s.c;
        }
        h.retain_grad();
        hs.push_back(h);
    }
    Tensor loss = nn::binary_cross_entropy_with_logits(net.readout(h), d.target);
    loss.backward();
    std::vector<double> norms(steps);
    for (std::int64_t t = 0; t < steps; ++t) {
        Tensor g = hs[t].grad();
        norms[steps - 1 - t] = std::sqrt(sum(g * g).item());
    }
    net.readout.zero_grad();
    for (Tensor p : net.layer->parameters()) p.set_grad(Tensor());
    return norms;
}

Result run_bptt_gradients(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 1000 + 8);
    const std::int64_t lag = ctx.quick ? 40 : 50, batch = 32;
    const int iterations = ctx.quick ? 300 : 500;
    const Recall test = make_recall(512, lag, gen);

    Result result;
    std::vector<Kind> kinds = {Kind::RNN, Kind::GRU, Kind::LSTM};
    std::vector<std::vector<double>> norms_before, norms_after;
    std::vector<double> acc;
    for (Kind kind : kinds) {
        Net net = make_net(kind, gen);
        norms_before.push_back(state_gradients(net, test));
        std::vector<Tensor> params = net.layer->parameters(), r = net.readout.parameters();
        params.insert(params.end(), r.begin(), r.end());
        optim::Adam opt(params, {.lr = 1e-2});
        for (int it = 0; it < iterations; ++it) {
            Recall d = make_recall(batch, lag, gen);
            Tensor loss = nn::binary_cross_entropy_with_logits(net.logit(d.x), d.target);
            opt.zero_grad();
            loss.backward();
            optim::clip_grad_norm(params, 1.0);
            opt.step();
        }
        acc.push_back(accuracy(net, test));
        norms_after.push_back(state_gradients(net, test));
        out << strf(
            "%-9s recall of a bit %lld steps back: test accuracy %.1f%%; ||dloss/dh_t|| "
            "at lag 0 / %lld: %.2e / %.2e (init) %.2e / %.2e (trained)\n",
            kind_name(kind), static_cast<long long>(lag), 100 * acc.back(),
            static_cast<long long>(lag), norms_before.back()[0], norms_before.back()[lag],
            norms_after.back()[0], norms_after.back()[lag]);
    }
    const char* keys[] = {"rnn", "gru", "lstm"};
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        result.metrics[std::string(keys[k]) + "_accuracy"] = acc[k];
        result.metrics[std::string(keys[k]) + "_grad_lag0"] = norms_after[k][0];
        result.metrics[std::string(keys[k]) + "_grad_lag_max"] = norms_after[k][lag];
        result.metrics[std::string(keys[k]) + "_grad_ratio"] =
            norms_after[k][lag] / norms_after[k][0];
        result.metrics[std::string(keys[k]) + "_init_grad_ratio"] =
            norms_before[k][lag] / norms_before[k][0];
    }

    plot::Figure fig({.title = strf("∂loss_T/∂h_t on recalling a bit %lld steps back",
                                    static_cast<long long>(lag)),
                      .width = 1000,
                      .height = 380},
                     {{.title = "at initialisation",
                       .xlabel = "lag T − t",
                       .ylabel = "‖∂loss_T/∂h_t‖",
                       .logy = true},
                      {.title = "after training", .xlabel = "lag T − t", .logy = true}});
    std::vector<double> lags(lag + 1);
    for (std::int64_t i = 0; i <= lag; ++i) lags[i] = static_cast<double>(i);
    for (std::size_t k = 0; k < kinds.size(); ++k) {
        fig.axes(0).line(lags, norms_before[k], kind_name(kinds[k]));
        fig.axes(1).line(lags, norms_after[k],
                         strf("%s (%.0f%% right)", kind_name(kinds[k]), 100 * acc[k]));
    }
    result.figures.push_back(ctx.path("08_bptt_gradients.svg"));
    fig.save(result.figures.back());

    const double rnn_ratio = result.metrics["rnn_grad_ratio"],
                 lstm_ratio = result.metrics["lstm_grad_ratio"];
    result.ok = rnn_ratio < 1e-2 * lstm_ratio && std::min(acc[1], acc[2]) > 0.9 && acc[0] < 0.75;
    result.summary = strf(
        "Recall a bit %lld steps back: accuracy Elman RNN %.0f%%, GRU %.0f%%, LSTM %.0f%%; "
        "gradient at lag %lld relative to lag 0: RNN %.1e, LSTM %.1e",
        static_cast<long long>(lag), 100 * acc[0], 100 * acc[1], 100 * acc[2],
        static_cast<long long>(lag), rnn_ratio, lstm_ratio);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry bptt_gradients_entry() {
    return {
        .name = "08_bptt_gradients",
        .slide = "Backpropagation through time (Werbos 1990)",
        .caption =
            "Backpropagation through time multiplies one Jacobian per step, so the gradient "
            "∂loss_T/∂h_t of an Elman net shrinks geometrically with the lag T − t (log scale), "
            "while the LSTM's additive cell state (Hochreiter and Schmidhuber 1997) and the GRU's "
            "update gate keep it alive. The task: recall a bit seen at the start of a sequence, "
            "with noise on a second input; the printout gives each net's accuracy: the gated nets "
            "learn the long-lag dependency, the Elman net stays near chance.",
        .run = run_bptt_gradients};
}

}  // namespace soma::gallery
