// Guards the build flags: GCC 12 with AVX-512 (-march=native on AVX-512 machines) built this
// initializer as {100, 100, 100, 100}. cmake/SomaOptions.cmake turns AVX-512 code generation
// off for that compiler; this test fails if the flags ever let the bug back in.

#include <gtest/gtest.h>

#include <vector>

namespace {

// Separate function so the constant vector is materialised the way library code would be.
__attribute__((noinline)) std::vector<double> constant_vector() { return {100, 100, 0, 0}; }

}  // namespace

TEST(Toolchain, ConstantVectorsAreBuiltCorrectly) {
    std::vector<double> v = constant_vector();
    EXPECT_EQ(v, (std::vector<double>{100, 100, 0, 0}));
    std::vector<double> w{100, 100, 0, 0};
    EXPECT_EQ(w[2], 0.0);
    EXPECT_EQ(w[3], 0.0);
}
