// The slide's XOR network of McCulloch-Pitts binary neurons; prints its truth table.
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 01_binary_xor [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) { return soma::gallery::example_main("01_binary_xor", argc, argv); }
