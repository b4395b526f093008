// 01: the slide's XOR network of McCulloch-Pitts neurons and its truth table.

#include <ostream>

#include "entries.h"
#include "soma/nn/neuron.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

Result run_binary_xor(Context& ctx) {
    std::ostream& out = ctx.out();
    // h1 = OR (θ = 1), h2 = AND (θ = 2), y = [h1 - h2 >= 1].
    nn::BinaryNetwork net({{nn::or_gate(2), nn::and_gate(2)}, {nn::BinaryNeuron({1, -1}, 1)}});
    out << "The slide's XOR network of binary neurons:\n" << net << "\n\n";

    // Rows in the slide's order, with its table x1 x2 h1 h2 y.
    const std::vector<std::vector<int>> slide = {
        {0, 0, 0, 0, 0}, {1, 0, 1, 0, 1}, {0, 1, 1, 0, 1}, {1, 1, 1, 1, 0}};
    Tensor x = tensor({{0, 0}, {1, 0}, {0, 1}, {1, 1}});
    std::vector<Tensor> layers = net.forward_all(x);  // h: (4, 2), y: (4, 1)
    std::vector<double> h = layers.at(0).to_vector<double>(), y = layers.at(1).to_vector<double>();

    out << " x1 x2 | h1 h2 | y   slide\n";
    int matching = 0;
    for (int r = 0; r < 4; ++r) {
        std::vector<int> row = {slide[r][0], slide[r][1], static_cast<int>(h[2 * r]),
                                static_cast<int>(h[2 * r + 1]), static_cast<int>(y[r])};
        bool same = row == slide[r];
        matching += same;
        out << strf("  %d  %d |  %d  %d | %d   %s\n", row[0], row[1], row[2], row[3], row[4],
                    same ? "ok" : "DIFFERENT");
    }

    // The general construction (DNF) must compute the same function.
    nn::BinaryNetwork dnf = nn::logic_network({0, 1, 1, 0});
    std::vector<double> y_dnf = dnf(nn::binary_inputs(2)).to_vector<double>();
    bool dnf_ok = y_dnf == std::vector<double>{0, 1, 1, 0};
    out << "\nlogic_network(XOR truth table 0 1 1 0) outputs " << y_dnf[0] << " " << y_dnf[1] << " "
        << y_dnf[2] << " " << y_dnf[3] << (dnf_ok ? " (XOR)" : " (NOT XOR)") << "\n";

    plot::Figure fig({.title = "XOR from binary neurons",
                      .xlabel = "x1",
                      .ylabel = "x2",
                      .width = 480,
                      .height = 420,
                      .xlim = plot::Range{-0.3, 1.5},
                      .ylim = plot::Range{-0.3, 1.5},
                      .legend = plot::Legend::TopRight});
    fig.line({-1, 2}, {2, -1}, "h1 fires: x1 + x2 ≥ 1", {.color = "#555", .dashed = true});
    fig.line({-1, 2}, {3, 0}, "h2 fires: x1 + x2 ≥ 2", {.color = "#555", .width = 1});
    std::vector<int> classes(y.begin(), y.end());
    fig.axes().scatter_classes({0, 1, 0, 1}, {0, 0, 1, 1}, classes, {"y = 0", "y = 1"}, 7);
    Result result;
    result.figures.push_back(ctx.path("01_binary_xor.svg"));
    fig.save(result.figures.back());

    result.metrics["rows_matching"] = matching;
    result.ok = matching == 4 && dnf_ok;
    result.summary = strf(
        "binary neurons OR(θ=1), AND(θ=2) -> [h1-h2>=1]: truth table %s (%d/4 "
        "rows as on the slide)",
        matching == 4 ? "matches" : "DIFFERS", matching);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry binary_xor_entry() {
    return {
        .name = "01_binary_xor",
        .slide = "Example: XOR-Network",
        .caption =
            "McCulloch-Pitts neurons with weights ±1 and thresholds: h1 is an OR (θ = 1), h2 an "
            "AND "
            "(θ = 2), and the output fires when h1 − h2 ≥ 1. The printed truth table x1 x2 h1 h2 y "
            "is the slide's; the figure shows the four inputs coloured by y and the lines where h1 "
            "and h2 switch on: XOR is the band between them. A network built by "
            "nn::logic_network from the XOR truth table gives the same outputs.",
        .run = run_binary_xor};
}

}  // namespace soma::gallery
