// 03: the lecture's backpropagation slide. A computational graph
//     x_u (input)  ->  x_w1 = x_u^2,  x_w2 = 4 x_u  ->  x_v = log(x_w1) * x_w2 (output)
// differentiated by autograd, next to the derivative worked out by hand:
//     dv/du = (dw1/du)(dv/dw1) + (dw2/du)(dv/dw2) = 2u * (4u / u^2) + 4 * log(u^2)
//           = 8 + 4 log(u^2).
// Writes the graph as Graphviz DOT (03_backprop.dot, or the path given as the first argument)
// and, when Graphviz's `dot` is installed, renders it to SVG.

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

// dv/du for one u by autograd; also the graph in DOT when asked.
double derivative(double u_value, std::string* dot) {
    Tensor u = tensor({u_value}, kFloat64).requires_grad_();
    Tensor w1 = u * u;                    // x_w1 = x_u^2
    Tensor w2 = 4.0 * u;                  // x_w2 = 4 x_u
    Tensor v = log(w1) * w2;              // x_v = log(x_w1) x_w2
    if (dot) *dot = autograd::to_dot(v);  // before backward frees the saved values
    v.backward();
    return u.grad().item();
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (!path) return false;
    std::string dirs = path;
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::filesystem::path candidate =
            std::filesystem::path(dirs.substr(start, end - start)) / program;
        if (::access(candidate.c_str(), X_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

Result run_backprop(Context& ctx) {
    std::ostream& out = ctx.out();
    const std::string dot_path = ctx.args.empty() ? ctx.path("03_backprop.dot") : ctx.args[0];

    out << "Backpropagation on the slide's graph: v = log(u^2) * 4u\n";
    out << strf("%6s %14s %14s %10s\n", "u", "autograd dv/du", "8 + 4 log(u^2)", "|diff|");
    double worst = 0;
    for (double u_value : {0.5, 1.0, 2.0, 3.0, -1.5}) {
        std::string dot;
        double by_autograd = derivative(u_value, u_value == 2.0 ? &dot : nullptr);
        double by_hand = 8 + 4 * std::log(u_value * u_value);
        worst = std::max(worst, std::abs(by_autograd - by_hand));
        out << strf("%6.2f %14.6f %14.6f %10.2e\n", u_value, by_autograd, by_hand,
                    std::abs(by_autograd - by_hand));
        if (u_value == 2.0) {
            std::ofstream file(dot_path);
            file << dot;
            check(static_cast<bool>(file), "03_backprop: cannot write ", dot_path);
        }
    }
    const bool match = worst < 1e-12;
    out << strf("largest difference: %.2e -> %s\n", worst, match ? "match" : "MISMATCH");
    out << strf("graph written to %s (render: dot -Tsvg %s -o graph.svg)\n", dot_path.c_str(),
                dot_path.c_str());

    Result result;
    // The graph as an image when Graphviz is there, else the DOT source itself.
    std::string svg_path = std::filesystem::path(dot_path).replace_extension(".svg").string();
    if (on_path("dot") && std::system(("dot -Tsvg " + shell_quote(dot_path) + " -o " +
                                       shell_quote(svg_path) + " 2>/dev/null")
                                          .c_str()) == 0)
        result.figures.push_back(svg_path);
    else
        result.figures.push_back(dot_path);

    // Both derivatives over a range of u (v has a pole at u = 0, so two branches).
    plot::Figure fig({.title = "dv/du for v = log(u²)·4u",
                      .xlabel = "u",
                      .ylabel = "dv/du",
                      .width = 560,
                      .height = 400,
                      .legend = plot::Legend::BottomRight});
    std::vector<double> us, auto_d, hand_us, hand_d;
    for (int i = -40; i <= 40; ++i) {
        double u = i / 10.0;
        if (i == 0) {
            us.push_back(NAN), auto_d.push_back(NAN);
            continue;
        }
        us.push_back(u);
        auto_d.push_back(derivative(u, nullptr));
        if (i % 4 == 0) hand_us.push_back(u), hand_d.push_back(8 + 4 * std::log(u * u));
    }
    fig.line(us, auto_d, "autograd");
    fig.scatter(hand_us, hand_d, "8 + 4 log(u²)", {.marker = plot::Marker::Circle, .size = 3.5});
    result.figures.push_back(ctx.path("03_backprop_derivative.svg"));
    fig.save(result.figures.back());

    result.metrics["max_abs_diff"] = worst;
    result.ok = match;
    result.summary = strf(
        "autograd on v = log(u^2)*4u: dv/du matches 8 + 4 log(u^2) at 5 points "
        "(max |diff| %.1e)%s",
        worst, match ? "" : " -> MISMATCH");
    return result;
}

}  // namespace

Entry backprop_entry() {
    return {
        .name = "03_backprop",
        .slide =
            "Backpropagation(Linnainmaa 1970; Werbos 1974; Rumelhart, Hinton, and "
            "Williams 1986)",
        .caption =
            "The slide's computational graph u → (u², 4u) → log(w1)·w2, differentiated by autograd "
            "and compared with the chain rule worked out by hand, dv/du = 8 + 4 log(u²). The graph "
            "autograd recorded is exported as Graphviz DOT; the plot compares the two derivatives "
            "over a range of u.",
        .run = run_backprop};
}

}  // namespace soma::gallery
