// Rosenblatt's perceptron: zero errors on separable data, never on XOR.
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 02_perceptron [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) { return soma::gallery::example_main("02_perceptron", argc, argv); }
