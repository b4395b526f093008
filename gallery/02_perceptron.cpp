// 02: Rosenblatt's perceptron. SGD on the perceptron loss, one sample at a time, finds a
// separating line when one exists, and never does on XOR.

#include <algorithm>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/neuron.h"
#include "soma/ops.h"
#include "soma/optim/sgd.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

struct Data {
    Tensor x;  // (N, 2) float32
    Tensor y;  // (N) float32 in {-1, +1}
};

// Points in the slide's box [-2, 2] x [-1, 1], labelled by a line, with a margin around it so
// that training takes a handful of epochs rather than hundreds.
Data separable(std::int64_t n, Generator& gen) {
    std::vector<float> xs, ys;
    while (static_cast<std::int64_t>(ys.size()) < n) {
        double x1 = 4 * gen.uniform() - 2, x2 = 2 * gen.uniform() - 1;
        double s = x2 - 0.35 * x1 - 0.1;
        if (std::abs(s) < 0.15) continue;
        xs.insert(xs.end(), {static_cast<float>(x1), static_cast<float>(x2)});
        ys.push_back(s > 0 ? 1.0f : -1.0f);
    }
    return {from_vector(xs, {n, 2}), from_vector(ys, {n})};
}

Data xor_data() { return {tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}}), tensor({-1, 1, 1, -1})}; }

std::int64_t errors(nn::Perceptron& p, const Data& d) {
    NoGrad no_grad;
    return static_cast<std::int64_t>(sum(ne(p(d.x), d.y)).item());
}

// (w1, w2, b) of the current boundary w1 x1 + w2 x2 + b = 0.
std::vector<double> boundary(const nn::Perceptron& p) {
    std::vector<double> w = p.weight.to_vector<double>();
    return {w[0], w[1], p.bias.item()};
}

// Two points of the boundary line spanning the box (the plot clips the rest).
void draw_boundary(plot::Axes& ax, const std::vector<double>& wb, plot::Range xr, plot::Range yr,
                   const std::string& label, plot::LineStyle style) {
    const double w1 = wb[0], w2 = wb[1], b = wb[2];
    if (std::abs(w2) >= std::abs(w1) && w2 != 0) {
        ax.line({xr.lo, xr.hi}, {-(w1 * xr.lo + b) / w2, -(w1 * xr.hi + b) / w2}, label, style);
    } else if (w1 != 0) {
        ax.line({-(w2 * yr.lo + b) / w1, -(w2 * yr.hi + b) / w1}, {yr.lo, yr.hi}, label, style);
    }
}

// The predicted label over the box, lightly shaded: red for +1, blue for -1.
void draw_regions(plot::Axes& ax, const std::vector<double>& wb, plot::Range xr, plot::Range yr) {
    const int g = 96;
    std::vector<double> cx = plot::cell_centers(xr.lo, xr.hi, g);
    std::vector<double> cy = plot::cell_centers(yr.lo, yr.hi, g), label(g * g);
    for (int i = 0; i < g; ++i)
        for (int j = 0; j < g; ++j) label[i * g + j] = wb[0] * cx[j] + wb[1] * cy[i] + wb[2] >= 0;
    ax.heatmap(label, g, g,
               {.x0 = xr.lo,
                .x1 = xr.hi,
                .y0 = yr.lo,
                .y1 = yr.hi,
                .vmin = -0.2,
                .vmax = 1.2,
                .cmap = plot::ColorMap::RedBlue,
                .colorbar = false,
                .opacity = 0.35});
}

// One epoch of single-sample SGD in a random order.
void epoch(nn::Perceptron& p, optim::SGD& opt, const Data& d, Generator& gen) {
    for (std::int64_t i : randperm(d.x.size(0), &gen)) {
        Tensor loss = nn::perceptron_loss(p.score(d.x.select(0, i)), d.y.select(0, i));
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
}

void scatter(plot::Axes& ax, const Data& d) {
    std::vector<float> x = d.x.to_vector<float>(), y = d.y.to_vector<float>();
    std::vector<double> x1, x2;
    std::vector<int> cls;
    for (std::size_t i = 0; i < y.size(); ++i) {
        x1.push_back(x[2 * i]);
        x2.push_back(x[2 * i + 1]);
        cls.push_back(y[i] > 0);
    }
    ax.scatter_classes(x1, x2, cls, {"y = -1", "y = +1"}, x1.size() < 10 ? 7 : 4.5);
}

Result run_perceptron(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 1000 + 2);
    const double lr = 0.5;

    // ---- linearly separable: train until no errors
    Data sep = separable(40, gen);
    nn::Perceptron p(2, true, &gen);
    optim::SGD opt(p.parameters(), {.lr = lr});
    std::vector<std::pair<int, std::vector<double>>> snapshots = {{0, boundary(p)}};
    std::vector<double> sep_errors = {static_cast<double>(errors(p, sep))};
    const int max_epochs = 100;
    int epochs = 0;
    out << "Separable data (40 points): errors after each epoch:";
    while (sep_errors.back() > 0 && epochs < max_epochs) {
        epoch(p, opt, sep, gen);
        ++epochs;
        sep_errors.push_back(static_cast<double>(errors(p, sep)));
        snapshots.push_back({epochs, boundary(p)});
        out << " " << sep_errors.back();
    }
    out << "\n";
    const auto final_errors = static_cast<std::int64_t>(sep_errors.back());

    // ---- XOR: no epoch can get all four right
    Data xr = xor_data();
    nn::Perceptron q(2, true, &gen);
    optim::SGD opt_q(q.parameters(), {.lr = lr});
    const int xor_epochs = ctx.quick ? 30 : 100;
    std::vector<double> xor_errors = {static_cast<double>(errors(q, xr))};
    std::vector<double> best_wb = boundary(q);
    for (int e = 1; e <= xor_epochs; ++e) {
        epoch(q, opt_q, xr, gen);
        xor_errors.push_back(static_cast<double>(errors(q, xr)));
        if (xor_errors.back() < *std::min_element(xor_errors.begin(), xor_errors.end() - 1))
            best_wb = boundary(q);
    }
    const auto best_xor =
        static_cast<std::int64_t>(*std::min_element(xor_errors.begin(), xor_errors.end()));
    out << "XOR (4 points), " << xor_epochs << " epochs: best error count " << best_xor << "\n";

    // ---- figure: the boundary's progress, XOR's best line, errors per epoch
    plot::Figure fig({.title = "Perceptron learning", .width = 1260, .height = 420},
                     {{.title = "separable data",
                       .xlabel = "x1",
                       .ylabel = "x2",
                       .xlim = plot::Range{-2.1, 2.1},
                       .ylim = plot::Range{-1.1, 1.1},
                       .legend = plot::Legend::BottomRight},
                      {.title = "XOR: best line found",
                       .xlabel = "x1",
                       .ylabel = "x2",
                       .xlim = plot::Range{-0.4, 1.4},
                       .ylim = plot::Range{-0.4, 1.4},
                       .legend = plot::Legend::None},
                      {.title = "errors per epoch", .xlabel = "epoch", .ylabel = "errors"}});
    plot::Axes& a = fig.axes(0);
    draw_regions(a, snapshots.back().second, {-2.1, 2.1}, {-1.1, 1.1});
    // The first, a few intermediate and the final boundary.
    std::vector<std::size_t> shown = {0};
    for (std::size_t k : {std::size_t{1}, snapshots.size() / 2})
        if (k > shown.back() && k + 1 < snapshots.size()) shown.push_back(k);
    shown.push_back(snapshots.size() - 1);
    for (std::size_t k : shown) {
        bool last = k + 1 == snapshots.size();
        draw_boundary(a, snapshots[k].second, {-2.1, 2.1}, {-1.1, 1.1},
                      "epoch " + std::to_string(snapshots[k].first),
                      {.color = last ? "#222" : plot::palette(2 + k % 6),
                       .width = last ? 2.5 : 1.5,
                       .dashed = !last});
    }
    scatter(a, sep);
    draw_regions(fig.axes(1), best_wb, {-0.4, 1.4}, {-0.4, 1.4});
    draw_boundary(fig.axes(1), best_wb, {-0.4, 1.4}, {-0.4, 1.4}, "", {.color = "#222"});
    scatter(fig.axes(1), xr);
    std::vector<double> e1(sep_errors.size()), e2(xor_errors.size());
    for (std::size_t i = 0; i < e1.size(); ++i) e1[i] = static_cast<double>(i);
    for (std::size_t i = 0; i < e2.size(); ++i) e2[i] = static_cast<double>(i);
    fig.axes(2).line(e1, sep_errors, "separable (40 points)");
    fig.axes(2).line(e2, xor_errors, "XOR (4 points)");

    Result result;
    result.figures.push_back(ctx.path("02_perceptron.svg"));
    fig.save(result.figures.back());
    result.metrics["separable_errors"] = static_cast<double>(final_errors);
    result.metrics["separable_epochs"] = epochs;
    result.metrics["xor_best_errors"] = static_cast<double>(best_xor);
    result.ok = final_errors == 0 && best_xor >= 1;
    result.summary = strf(
        "perceptron, SGD on perceptron_loss: separable data %lld errors after "
        "%d epochs; XOR best %lld error(s) in %d epochs",
        static_cast<long long>(final_errors), epochs, static_cast<long long>(best_xor), xor_epochs);
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry perceptron_entry() {
    return {
        .name = "02_perceptron",
        .slide = "Perceptron Learning Example",
        .caption =
            "Rosenblatt's perceptron trained by SGD on the perceptron loss, one sample at a time, "
            "which is exactly the slide's rule w ← w + η·x·y on mistakes. On linearly separable "
            "points it reaches zero errors (the boundary is drawn after several epochs); on XOR "
            "no line separates the classes, so the error count never reaches zero.",
        .run = run_perceptron};
}

}  // namespace soma::gallery
