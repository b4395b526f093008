// The lecture's backpropagation slide: a computational graph
//     x_u (input)  ->  x_w1 = x_u^2,  x_w2 = 4 x_u  ->  x_v = log(x_w1) * x_w2 (output)
// differentiated by autograd, next to the derivative worked out by hand:
//     dv/du = (dw1/du)(dv/dw1) + (dw2/du)(dv/dw2) = 2u * (4u / u^2) + 4 * log(u^2)
//           = 8 + 4 log(u^2).
// Writes the graph as Graphviz DOT (03_backprop.dot, or the path given as the first argument).
// The logic lives in the gallery (src/gallery/backprop.cpp), shared with `soma gallery`.

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) { return soma::gallery::example_main("03_backprop", argc, argv); }
