// The lecture's backpropagation slide: a computational graph
//     x_u (input)  ->  x_w1 = x_u^2,  x_w2 = 4 x_u  ->  x_v = log(x_w1) * x_w2 (output)
// differentiated by autograd, next to the derivative worked out by hand:
//     dv/du = (dw1/du)(dv/dw1) + (dw2/du)(dv/dw2) = 2u * (4u / u^2) + 4 * log(u^2)
//           = 8 + 4 log(u^2).
// Writes the graph as Graphviz DOT (03_backprop.dot, or the path given as the first argument).

#include <soma/soma.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
    using namespace soma;
    std::string dot_path = argc > 1 ? argv[1] : "03_backprop.dot";

    std::printf("Backpropagation on the slide's graph: v = log(u^2) * 4u\n");
    std::printf("%6s %14s %14s %10s\n", "u", "autograd dv/du", "8 + 4 log(u^2)", "|diff|");
    double worst = 0;
    Tensor last_v;
    for (double u_value : {0.5, 1.0, 2.0, 3.0, -1.5}) {
        Tensor u = tensor({u_value}, kFloat64).requires_grad_();
        Tensor w1 = u * u;      // x_w1 = x_u^2
        Tensor w2 = 4.0 * u;    // x_w2 = 4 x_u
        Tensor v = log(w1) * w2;  // x_v = log(x_w1) x_w2
        last_v = v;
        std::string dot = autograd::to_dot(v);  // before backward frees the saved values
        v.backward();
        double by_autograd = u.grad().item();
        double by_hand = 8 + 4 * std::log(u_value * u_value);
        worst = std::max(worst, std::abs(by_autograd - by_hand));
        std::printf("%6.2f %14.6f %14.6f %10.2e\n", u_value, by_autograd, by_hand,
                    std::abs(by_autograd - by_hand));
        if (u_value == 2.0) {
            std::ofstream(dot_path) << dot;
        }
    }
    std::printf("largest difference: %.2e -> %s\n", worst, worst < 1e-12 ? "match" : "MISMATCH");
    std::printf("graph written to %s (render: dot -Tsvg %s -o graph.svg)\n", dot_path.c_str(),
                dot_path.c_str());
    return worst < 1e-12 ? 0 : 1;
}
