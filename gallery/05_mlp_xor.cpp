// 05: the slide's single-hidden-layer perceptron (two sigmoid units, linear output, squared
// loss) learns XOR; h1, h2 and the output plotted over the unit square.

#include <cmath>
#include <memory>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

nn::Sequential make_mlp(Generator& gen) {
    return nn::Sequential{
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = 2, .out = 2, .gen = &gen}),
        std::make_shared<nn::Sigmoid>(),
        std::make_shared<nn::Linear>(nn::LinearOptions{.in = 2, .out = 1, .gen = &gen})};
}

bool solved(const std::vector<double>& yhat, const std::vector<double>& y) {
    for (std::size_t i = 0; i < y.size(); ++i)
        if ((yhat[i] > 0.5) != (y[i] > 0.5)) return false;
    return true;
}

Result run_mlp_xor(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 1000 + 5);
    const Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});  // (4, 2)
    const Tensor y = tensor({{0}, {1}, {1}, {0}});              // (4, 1)
    const std::vector<double> targets = y.to_vector<double>();
    const int steps = ctx.quick ? 600 : 1500;

    // Two sigmoid units can end in a local minimum (one unit saturated); a fresh start from
    // the same generator is the usual remedy, and the log says how many were needed.
    nn::Sequential net;
    std::vector<double> losses, yhat;
    int attempt = 0;
    for (attempt = 1; attempt <= 10; ++attempt) {
        net = make_mlp(gen);
        optim::Adam opt(net.parameters(), {.lr = 0.1});
        losses.clear();
        for (int step = 0; step < steps; ++step) {
            Tensor loss = nn::mse_loss(net(x), y);  // squared loss, averaged over the 4 points
            opt.zero_grad();
            loss.backward();
            opt.step();
            losses.push_back(loss.item());
        }
        NoGrad no_grad;
        yhat = net(x).to_vector<double>();
        for (double& v : yhat) v = std::abs(v) < 5e-4 ? 0.0 : v;  // no "-0.000" in the table
        if (solved(yhat, targets)) break;
        out << "attempt " << attempt << " stuck at loss " << losses.back() << "; restarting\n";
    }
    const bool ok = attempt <= 10;
    out << net << "\n\n x1 x2 | target | y_hat\n";
    for (int i = 0; i < 4; ++i)
        out << strf("  %d  %d |   %d    | %.3f\n", i >= 2, i % 2, static_cast<int>(targets[i]),
                    yhat[i]);

    // h1, h2 and y_hat on a grid over the unit square and a margin around it (so the training
    // points sit inside): (G*G, 2) -> (G*G, 2) and (G*G, 1).
    const int g = ctx.quick ? 24 : 72;
    const double lo = -0.1, hi = 1.1;
    std::vector<double> centers = plot::cell_centers(lo, hi, g), grid;
    for (int i = 0; i < g; ++i)      // rows: x2, bottom to top
        for (int j = 0; j < g; ++j)  // cols: x1
            grid.insert(grid.end(), {centers[j], centers[i]});
    NoGrad no_grad;
    Tensor points = from_vector(grid, {g * g, 2}, kFloat64).to(kFloat32);
    Tensor hidden = sigmoid(net.at<nn::Linear>(0)(points));
    std::vector<double> h = hidden.to_vector<double>(), out_grid = net(points).to_vector<double>();
    std::vector<double> h1(g * g), h2(g * g);
    for (int k = 0; k < g * g; ++k) h1[k] = h[2 * k], h2[k] = h[2 * k + 1];

    plot::Figure fig({.title = "XOR with a single hidden layer (2 sigmoid units, linear output)",
                      .width = 1260,
                      .height = 400},
                     {{.title = "h1", .xlabel = "x1", .ylabel = "x2", .legend = plot::Legend::None},
                      {.title = "h2", .xlabel = "x1", .legend = plot::Legend::None},
                      {.title = "ŷ", .xlabel = "x1", .legend = plot::Legend::None}});
    const std::vector<std::vector<double>*> maps = {&h1, &h2, &out_grid};
    for (int p = 0; p < 3; ++p) {
        plot::HeatmapOptions hm{
            .x0 = lo, .x1 = hi, .y0 = lo, .y1 = hi, .vmin = 0, .vmax = 1, .smooth = true};
        if (p == 2) hm.cmap = plot::ColorMap::RedBlue;
        fig.axes(p).heatmap(*maps[p], g, g, hm);
        fig.axes(p).scatter_classes({0, 0, 1, 1}, {0, 1, 0, 1}, {0, 1, 1, 0}, {"y = 0", "y = 1"},
                                    7);
    }
    Result result;
    result.figures.push_back(ctx.path("05_mlp_xor.svg"));
    fig.save(result.figures.back());

    plot::Figure curve({.title = "Training loss (Adam, lr 0.1)",
                        .xlabel = "step",
                        .ylabel = "mean squared error",
                        .width = 520,
                        .height = 360,
                        .logy = true});
    std::vector<double> steps_x(losses.size());
    for (std::size_t i = 0; i < steps_x.size(); ++i) steps_x[i] = static_cast<double>(i + 1);
    curve.line(steps_x, losses, "final attempt");
    result.figures.push_back(ctx.path("05_mlp_xor_loss.svg"));
    curve.save(result.figures.back());

    for (int i = 0; i < 4; ++i) result.metrics["yhat_" + std::to_string(i)] = yhat[i];
    result.metrics["loss"] = losses.back();
    result.metrics["attempts"] = ok ? attempt : 10;
    result.ok = ok;
    result.summary = strf(
        "MLP 2-2(sigmoid)-1 on XOR, MSE + Adam, %d steps%s: outputs %.2f %.2f "
        "%.2f %.2f for targets 0 1 1 0 (%s)",
        steps, attempt > 1 ? strf(", %d starts", attempt).c_str() : "", yhat[0], yhat[1], yhat[2],
        yhat[3], ok ? "solved" : "NOT solved");
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry mlp_xor_entry() {
    return {
        .name = "05_mlp_xor",
        .slide = "Example: XOR with single-hidden-layer perceptron",
        .caption =
            "A single hidden layer of two sigmoid units with a linear output, trained on the "
            "squared "
            "loss, solves XOR, which the perceptron cannot. As on the slide, the panels show the "
            "hidden units h1 and h2 and the output ŷ over the unit square, with the four training "
            "points on top: each hidden unit cuts the square with one line, and the output "
            "combines "
            "the two half-planes.",
        .run = run_mlp_xor};
}

}  // namespace soma::gallery
