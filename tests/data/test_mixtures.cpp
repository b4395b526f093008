// data::gaussian_ring / gaussian_grid and mode_coverage: the centres, samples around them, the
// protocol's counting (nearest mode, 3 std), errors.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/data/mixtures.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::data {
namespace {

TEST(Mixtures, RingAndGridCentres) {
    const Mixture ring = gaussian_ring(8, 1.0, 0.01);
    ASSERT_EQ(ring.modes(), 8);
    EXPECT_NEAR(ring.centers[0], 1.0, 1e-12);
    EXPECT_NEAR(ring.centers[1], 0.0, 1e-12);
    EXPECT_NEAR(ring.centers[4], 0.0, 1e-12);  // the third mode, at 90 degrees
    EXPECT_NEAR(ring.centers[5], 1.0, 1e-12);
    const Mixture grid = gaussian_grid(5, 2.0, 0.05);
    ASSERT_EQ(grid.modes(), 25);
    EXPECT_EQ(grid.centers[0], -4.0);
    EXPECT_EQ(grid.centers[1], -4.0);
    EXPECT_EQ(grid.centers[48], 4.0);
    EXPECT_EQ(grid.centers[49], 4.0);
}

TEST(Mixtures, SamplesSitAroundTheirModes) {
    Generator gen(3);
    const Mixture grid = gaussian_grid(5, 2.0, 0.05);
    const Tensor x = grid.sample(2500, &gen);
    EXPECT_EQ(x.shape(), (Shape{2500, 2}));
    const ModeCoverage c = mode_coverage(x, grid);
    EXPECT_EQ(c.modes, 25);
    // Within 3 std in 2-D: 1 - exp(-9/2) = 98.9% of a Gaussian's samples.
    EXPECT_NEAR(c.high_quality, 0.989, 0.01);
}

TEST(Mixtures, CoverageCountsTheProtocol) {
    const Mixture ring = gaussian_ring(4, 1.0, 0.1);  // modes (1,0), (0,1), (-1,0), (0,-1)
    // Two close to mode 0, one close to mode 1, one between modes (nearest is mode 2, but 0.5
    // away: low quality).
    const Tensor x =
        from_vector(std::vector<float>{1.05f, 0.0f, 0.9f, 0.1f, 0.0f, 1.2f, -0.5f, 0.0f}, {4, 2});
    const ModeCoverage c = mode_coverage(x, ring);
    EXPECT_EQ(c.modes, 2);
    EXPECT_EQ(c.per_mode, (std::vector<std::int64_t>{2, 1, 0, 0}));
    EXPECT_DOUBLE_EQ(c.high_quality, 0.75);
}

TEST(Mixtures, Errors) {
    test::expect_error([] { gaussian_ring(0, 1, 0.1); }, "gaussian_ring: modes, radius and std");
    test::expect_error([] { gaussian_grid(5, 2, 0); }, "gaussian_grid: side, spacing and std");
    test::expect_error(
        [] {
            mode_coverage(zeros({3, 3}), gaussian_ring(8, 1, 0.01));
        },
        "mode_coverage: samples must be (n, 2)");
    test::expect_error([] { gaussian_ring(8, 1, 0.01).sample(0); }, "n must be positive");
}

}  // namespace
}  // namespace soma::data
