// 04: sigmoid, tanh and ReLU with their derivatives from autograd, against the slide's formulas.

#include <cmath>
#include <functional>
#include <memory>
#include <ostream>

#include "entries.h"
#include "soma/nn/activation.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

struct Activation {
    const char* name;
    std::shared_ptr<nn::Module> module;
    std::function<double(double)> f, df;  // the slide's formulas
    const char* df_text;
};

double logistic(double x) { return 1 / (1 + std::exp(-x)); }

Result run_activations(Context& ctx) {
    std::ostream& out = ctx.out();
    const std::vector<Activation> acts = {
        {"sigmoid", std::make_shared<nn::Sigmoid>(), logistic,
         [](double x) { return logistic(x) * (1 - logistic(x)); }, "f(x)(1 - f(x))"},
        {"tanh", std::make_shared<nn::Tanh>(), [](double x) { return std::tanh(x); },
         [](double x) { return 1 - std::tanh(x) * std::tanh(x); }, "1 - tanh(x)^2"},
        {"ReLU", std::make_shared<nn::ReLU>(), [](double x) { return x > 0 ? x : 0.0; },
         [](double x) { return x > 0 ? 1.0 : 0.0; }, "1 if x > 0, 0 if x <= 0"},
    };
    // float64, and 0 among the points, where ReLU's derivative is the slide's 0.
    const int n = ctx.quick ? 81 : 401;
    std::vector<double> xs(n);
    for (int i = 0; i < n; ++i) xs[i] = -4.0 + 8.0 * i / (n - 1);

    plot::Figure fig({.title = "Activation functions and their derivatives (autograd)",
                      .width = 1200,
                      .height = 400},
                     {{.title = "logistic sigmoid", .xlabel = "x", .legend = plot::Legend::TopLeft},
                      {.title = "tanh", .xlabel = "x", .legend = plot::Legend::TopLeft},
                      {.title = "ReLU", .xlabel = "x", .legend = plot::Legend::TopLeft}});
    Result result;
    double worst = 0;
    out << strf("%-8s %-26s %14s %14s\n", "f", "slide's f'(x)", "max |f - ref|", "max |f' - ref|");
    for (std::size_t k = 0; k < acts.size(); ++k) {
        const Activation& a = acts[k];
        Tensor x = from_vector(xs, {n}).requires_grad_();  // float64
        Tensor y = (*a.module)(x);
        sum(y).backward();  // each y_i depends on x_i only, so x.grad holds f'(x_i)
        std::vector<double> fy = y.detach().to_vector<double>();
        std::vector<double> dy = x.grad().to_vector<double>();
        double err_f = 0, err_df = 0;
        std::vector<double> ref_df(n);
        for (int i = 0; i < n; ++i) {
            ref_df[i] = a.df(xs[i]);
            err_f = std::max(err_f, std::abs(fy[i] - a.f(xs[i])));
            err_df = std::max(err_df, std::abs(dy[i] - ref_df[i]));
        }
        worst = std::max({worst, err_f, err_df});
        result.metrics[std::string(a.name) + "_max_grad_error"] = err_df;
        out << strf("%-8s %-26s %14.2e %14.2e\n", a.name, a.df_text, err_f, err_df);

        plot::Axes& ax = fig.axes(k);
        ax.line(xs, fy, "f(x)");
        ax.line(xs, dy, "f'(x), autograd");
        ax.line(xs, ref_df, "f'(x), slide", {.color = "#222", .width = 1.2, .dashed = true});
    }
    result.figures.push_back(ctx.path("04_activations.svg"));
    fig.save(result.figures.back());
    result.metrics["max_error"] = worst;
    result.ok = worst < 1e-6;
    result.summary = strf(
        "sigmoid, tanh, ReLU on %d points in [-4, 4]: autograd derivatives "
        "%s the slide's formulas (max error %.1e)",
        n, result.ok ? "match" : "DIFFER FROM", worst);
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry activations_entry() {
    return {
        .name = "04_activations",
        .slide = "Activation functions",
        .caption =
            "The differentiable surrogates of the threshold: logistic sigmoid, tanh and ReLU, with "
            "their derivatives computed by autograd (solid) and by the slide's formulas "
            "f(1 − f), 1 − tanh² and [x > 0] (dashed); the two agree to rounding error.",
        .run = run_activations};
}

}  // namespace soma::gallery
