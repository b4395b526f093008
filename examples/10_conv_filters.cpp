// Gallery entry 10_conv_filters; the logic lives in src/gallery/, shared with `soma gallery` and
// the tests. Usage: 10_conv_filters [--out DIR] [--seed S] [--quick]

#include <soma/gallery/gallery.h>

int main(int argc, char** argv) {
    return soma::gallery::example_main("10_conv_filters", argc, argv);
}
