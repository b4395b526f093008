// A feed-forward net, an Elman RNN, a GRU and an LSTM learn cos(t) -> sin(t).
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 07_cos2sin [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) { return soma::gallery::example_main("07_cos2sin", argc, argv); }
