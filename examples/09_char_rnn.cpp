// A character-level GRU language model on Debian's word list; samples words.
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 09_char_rnn [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) { return soma::gallery::example_main("09_char_rnn", argc, argv); }
