// The regressor and classifier recipes on scikit-learn's diabetes and digits data.
// The logic lives in the gallery (src/gallery/), shared with `soma gallery` and the tests.
// Usage: 06_recipes [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) { return soma::gallery::example_main("06_recipes", argc, argv); }
