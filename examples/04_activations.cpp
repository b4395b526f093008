// Sigmoid, tanh and ReLU with autograd derivatives checked against the slide's formulas.
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 04_activations [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) {
    return soma::gallery::example_main("04_activations", argc, argv);
}
