// Gallery entry 11_fmnist_classifier; the logic lives in src/gallery/, shared with `soma gallery`
// and the tests. Usage: 11_fmnist_classifier [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) {
    return soma::gallery::example_main("11_fmnist_classifier", argc, argv);
}
