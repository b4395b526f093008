// 07: the slide's cosine-to-sine task. From x_t = cos(0.1 t + φ) alone a feed-forward net
// cannot tell whether the cosine is rising or falling, so the best it can do for y_t = sin(...)
// is predict 0 (MSE = E[sin²] = 0.5); a recurrent net remembers the previous input and can.

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numbers>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/nn/rnn.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

constexpr std::int64_t kHidden = 10;
constexpr double kStep = 0.1;

struct Waves {
    Tensor x, y;  // (N, T, 1) each, batch-first
};

Waves make_waves(std::int64_t n, std::int64_t steps, Generator& gen) {
    std::vector<double> phase = uniform({n}, 0, 2 * std::numbers::pi, &gen, kFloat64)
                                    .to_vector<double>(),
                        x(n * steps), y(n * steps);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t t = 0; t < steps; ++t) {
            x[i * steps + t] = std::cos(kStep * t + phase[i]);
            y[i * steps + t] = std::sin(kStep * t + phase[i]);
        }
    return {from_vector(x, {n, steps, 1}, kFloat64).to(kFloat32),
            from_vector(y, {n, steps, 1}, kFloat64).to(kFloat32)};
}

// A model maps (N, T, 1) to its hidden features (N, T, K); a shared Linear(K -> 1) reads out
// every step.
struct Model {
    std::string name;
    std::shared_ptr<nn::Module> body;
    std::function<Tensor(const Tensor&)> features;
    nn::Linear readout;
    Tensor predict(const Tensor& x) {
        Tensor h = features(x);
        const std::int64_t n = h.size(0), t = h.size(1);
        return readout(h.reshape({n * t, kHidden})).reshape({n, t, 1});
    }
    std::vector<Tensor> parameters() {
        std::vector<Tensor> p = body->parameters(), r = readout.parameters();
        p.insert(p.end(), r.begin(), r.end());
        return p;
    }
};

std::vector<Model> make_models(Generator& gen) {
    nn::LinearOptions ro{.in = kHidden, .out = 1, .gen = &gen};
    std::vector<Model> models;
    auto mlp = std::make_shared<nn::Sequential>(nn::Sequential{
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = 1, .out = kHidden, .gen = &gen}),
        std::make_shared<nn::Tanh>()});
    models.push_back(
        {"perceptron", mlp,
         [mlp](const Tensor& x) {
             return (*mlp)(x.reshape({-1, 1})).reshape({x.size(0), x.size(1), kHidden});
         },
         nn::Linear(ro)});
    auto rnn = std::make_shared<nn::RNN>(
        nn::RNNOptions{.input_size = 1, .hidden_size = kHidden, .batch_first = true, .gen = &gen});
    models.push_back({"recurrent net", rnn, [rnn](const Tensor& x) { return (*rnn)(x).output; },
                      nn::Linear(ro)});
    auto gru = std::make_shared<nn::GRU>(
        nn::GRUOptions{.input_size = 1, .hidden_size = kHidden, .batch_first = true, .gen = &gen});
    models.push_back(
        {"GRU", gru, [gru](const Tensor& x) { return (*gru)(x).output; }, nn::Linear(ro)});
    auto lstm = std::make_shared<nn::LSTM>(
        nn::LSTMOptions{.input_size = 1, .hidden_size = kHidden, .batch_first = true, .gen = &gen});
    models.push_back(
        {"LSTM", lstm, [lstm](const Tensor& x) { return (*lstm)(x).output; }, nn::Linear(ro)});
    return models;
}

Result run_cos2sin(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 1000 + 7);
    const std::int64_t steps_per_seq = 64, batch = 16;
    const int iterations = ctx.quick ? 150 : 1500;
    const Waves test = make_waves(64, steps_per_seq, gen);
    std::vector<Model> models = make_models(gen);

    Result result;
    std::vector<std::vector<double>> curves(models.size());
    std::vector<double> test_mse(models.size());
    for (std::size_t m = 0; m < models.size(); ++m) {
        Model& model = models[m];
        optim::Adam opt(model.parameters(), {.lr = 1e-2});
        for (int it = 0; it < iterations; ++it) {
            Waves w = make_waves(batch, steps_per_seq, gen);  // fresh phases every step
            Tensor loss = nn::mse_loss(model.predict(w.x), w.y);
            opt.zero_grad();
            loss.backward();
            opt.step();
            if (it % 10 == 0) curves[m].push_back(loss.item());
        }
        NoGrad no_grad;
        test_mse[m] = nn::mse_loss(model.predict(test.x), test.y).item();
        result.metrics[m == 0   ? "perceptron_mse"
                       : m == 1 ? "rnn_mse"
                       : m == 2 ? "gru_mse"
                                : "lstm_mse"] = test_mse[m];
        out << model.name << ": " << *model.body << "\n"
            << strf("  test MSE %.5f after %d Adam steps (lr 0.01, %lld sequences of %lld steps)\n",
                    test_mse[m], iterations, static_cast<long long>(batch),
                    static_cast<long long>(steps_per_seq));
    }
    const double sin2 = mean(test.y * test.y).item();
    out << strf("E[sin²] on the test set: %.3f (what predicting 0 scores)\n", sin2);
    result.metrics["mean_sin2"] = sin2;

    // One test sequence per panel, as on the slide: x_t, y_t and each model's ŷ_t.
    NoGrad no_grad;
    std::vector<plot::AxesOptions> panels;
    for (const Model& model : models)
        panels.push_back({.title = model.name + " (K = 10)",
                          .xlabel = "t",
                          .ylim = plot::Range{-1.3, 1.3},
                          .legend = plot::Legend::BottomLeft});
    panels[0].ylabel = "value";
    plot::Figure fig(
        {.title = "Cosine-to-sine prediction (test sequence)", .width = 1400, .height = 360},
        panels);
    Tensor x0 = test.x.select(0, 0).unsqueeze(0), y0 = test.y.select(0, 0);
    std::vector<double> ts(steps_per_seq);
    for (std::int64_t t = 0; t < steps_per_seq; ++t) ts[t] = static_cast<double>(t);
    for (std::size_t m = 0; m < models.size(); ++m) {
        plot::Axes& ax = fig.axes(static_cast<int>(m));
        ax.line(ts, x0.reshape({-1}).to_vector<double>(), "x_t",
                {.color = "#999999", .dashed = true});
        ax.line(ts, y0.reshape({-1}).to_vector<double>(), "y_t", {.color = "#1f77b4"});
        ax.line(ts, models[m].predict(x0).reshape({-1}).to_vector<double>(), "ŷ_t",
                {.color = "#d62728"});
    }
    result.figures.push_back(ctx.path("07_cos2sin.svg"));
    fig.save(result.figures.back());

    plot::Figure curve({.title = "Training loss (every 10th step)",
                        .xlabel = "step",
                        .ylabel = "MSE",
                        .width = 560,
                        .height = 360,
                        .logy = true});
    for (std::size_t m = 0; m < models.size(); ++m) {
        std::vector<double> xs(curves[m].size());
        for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = 10.0 * i;
        curve.line(xs, curves[m], models[m].name);
    }
    result.figures.push_back(ctx.path("07_cos2sin_loss.svg"));
    curve.save(result.figures.back());

    // The slide's claim: the perceptron stays near E[sin²], every recurrent net at least 5x below.
    const double worst_rec = std::max({test_mse[1], test_mse[2], test_mse[3]});
    result.ok = test_mse[0] > 0.5 * sin2 && worst_rec < 0.2 * test_mse[0];
    result.summary = strf(
        "cos(t) -> sin(t), K = 10: test MSE perceptron %.3f, Elman RNN %.4f, GRU %.4f, "
        "LSTM %.4f (E[sin²] = %.2f)",
        test_mse[0], test_mse[1], test_mse[2], test_mse[3], sin2);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry cos2sin_entry() {
    return {
        .name = "07_cos2sin",
        .slide = "Example: Cosine-to-Sine prediction",
        .caption =
            "Input x_t = cos(0.1 t + φ), target y_t = sin(0.1 t + φ), random phases φ, a Linear(10 "
            "→ 1) read-out at every step, MSE and Adam. A perceptron with K = 10 hidden units sees "
            "only x_t and cannot tell a rising from a falling cosine, so it predicts about 0 (its "
            "error stays near E[sin²] = 0.5); the Elman recurrent net, the GRU and the LSTM (K = "
            "10 each) remember where the wave came from and follow the sine. Each panel shows one "
            "test sequence: x_t dashed, y_t and the model's ŷ_t.",
        .run = run_cos2sin};
}

}  // namespace soma::gallery
