// Vanishing gradients through time: Elman RNN vs LSTM and GRU.
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 08_bptt_gradients [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) {
    return soma::gallery::example_main("08_bptt_gradients", argc, argv);
}
