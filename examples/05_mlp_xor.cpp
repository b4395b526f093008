// A single hidden layer of sigmoid units learns XOR; plots h1, h2 and the output.
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 05_mlp_xor [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) { return soma::gallery::example_main("05_mlp_xor", argc, argv); }
