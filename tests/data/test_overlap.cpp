// find_overlap: exact and near duplicates of test examples among the training ones, against a
// brute-force count.

#include <gtest/gtest.h>

#include <cmath>

#include "soma/data/overlap.h"
#include "soma/error.h"
#include "soma/ops.h"
#include "soma/random.h"

namespace soma::data {
namespace {

TEST(Overlap, CountsExactAndNearCopiesLikeBruteForce) {
    manual_seed(4);
    const std::int64_t n = 300, m = 80, d = 50;
    Tensor train = randn({n, d});
    Tensor test = randn({m, d}).clone();
    float* t = test.data<float>();
    const float* tr = train.data<float>();
    // Test rows 0-9: exact copies; 10-19: copies with noise of RMS 0.01; 20-29: RMS 0.3.
    Generator gen(1);
    for (std::int64_t i = 0; i < 30; ++i)
        for (std::int64_t j = 0; j < d; ++j) {
            const double noise = i < 10 ? 0.0 : (i < 20 ? 0.01 : 0.3) * gen.normal();
            t[i * d + j] = tr[(7 * i) * d + j] + static_cast<float>(noise);
        }
    const double tol = 0.05;
    Overlap o = find_overlap(train.view({n, 5, 10}), test.view({m, 5, 10}), tol);
    // Brute force.
    std::int64_t exact = 0, near = 0;
    for (std::int64_t i = 0; i < m; ++i) {
        bool e = false, nr = false;
        for (std::int64_t k = 0; k < n; ++k) {
            double s = 0;
            for (std::int64_t j = 0; j < d; ++j)
                s += std::pow(double(t[i * d + j]) - tr[k * d + j], 2);
            e = e || s == 0;
            nr = nr || std::sqrt(s / double(d)) <= tol;
        }
        exact += e, near += nr;
    }
    EXPECT_EQ(exact, 10);
    EXPECT_EQ(near, 20);
    EXPECT_EQ(o.exact, exact);
    EXPECT_EQ(o.near, near);
    ASSERT_EQ(o.test_indices.size(), 20u);
    EXPECT_EQ(o.test_indices.front(), 0);
    EXPECT_EQ(o.test_indices.back(), 19);
}

TEST(Overlap, RefusesMismatchedShapes) {
    EXPECT_THROW(find_overlap(zeros({4, 3}), zeros({2, 5}), 0.1), Error);
    EXPECT_THROW(find_overlap(zeros({4, 3}), zeros({2, 3}), -1), Error);
    EXPECT_EQ(find_overlap(zeros({4, 3}), zeros({0, 3}), 0.1).near, 0);
}

}  // namespace
}  // namespace soma::data
