// The vectorisable float exp and log (backend/cpu/fast_math.h) against libm in double, over the
// whole float range, and their answers at the edges.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "backend/cpu/fast_math.h"

namespace soma::backend::cpu {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(FastMath, LogIsWithinAFewUlpEverywhere) {
    // Every 4099th float bit pattern from the smallest denormal to the largest finite float:
    // about half a million values, all exponents and mantissas.
    double worst = 0;
    float at = 0;
    for (std::uint32_t bits = 1; bits < 0x7F800000u; bits += 4099) {
        const float x = std::bit_cast<float>(bits);
        const double want = std::log(static_cast<double>(x));
        const double err = std::abs(log_f(x) - want) / std::max(std::abs(want), 1e-30);
        // Near x = 1 the relative error of any float result grows; an absolute bound holds.
        const double bound = std::abs(want) < 1e-3 ? 1e-7 / std::abs(want) : 4e-7;
        if (err / bound > worst) worst = err / bound, at = x;
    }
    EXPECT_LE(worst, 1.0) << "worst at x = " << at;
}

TEST(FastMath, LogEdges) {
    EXPECT_EQ(log_f(0.0f), -kInf);
    EXPECT_EQ(log_f(-0.0f), -kInf);
    EXPECT_TRUE(std::isnan(log_f(-1.0f)));
    EXPECT_TRUE(std::isnan(log_f(-1e-40f)));  // a negative denormal
    EXPECT_TRUE(std::isnan(log_f(-std::numeric_limits<float>::max())));
    EXPECT_TRUE(std::isnan(log_f(-kInf)));
    EXPECT_TRUE(std::isnan(log_f(std::numeric_limits<float>::quiet_NaN())));
    EXPECT_EQ(log_f(kInf), kInf);
    EXPECT_EQ(log_f(1.0f), 0.0f);
    EXPECT_NEAR(log_f(std::numeric_limits<float>::denorm_min()), std::log(1.401298464e-45), 1e-4);
    EXPECT_NEAR(log_f(std::numeric_limits<float>::max()), std::log(3.4028234664e38), 1e-4);
}

TEST(FastMath, ExpIsWithinAFewUlpOverItsRange) {
    double worst = 0;
    float at = 0;
    for (int i = 0; i <= 200000; ++i) {
        const float x = -87.0f + 175.0f * static_cast<float>(i) / 200000;
        const double want = std::exp(static_cast<double>(x));
        const double err = std::abs(exp_f(x) - want) / want;
        if (err > worst) worst = err, at = x;
    }
    EXPECT_LE(worst, 4e-7) << "worst at x = " << at;
}

TEST(FastMath, ExpEdges) {
    EXPECT_EQ(exp_f(0.0f), 1.0f);
    EXPECT_EQ(exp_f(-90.0f), 0.0f);  // would be denormal: 0, so masked softmax entries are 0
    EXPECT_EQ(exp_f(-kInf), 0.0f);
    EXPECT_TRUE(std::isnan(exp_f(std::numeric_limits<float>::quiet_NaN())));
    EXPECT_GT(exp_f(1000.0f), 1e38f);         // clamped: 1.65e38, never inf
    EXPECT_EQ(fast_exp(2.0), std::exp(2.0));  // double keeps libm
    EXPECT_EQ(fast_log(2.0), std::log(2.0));
}

TEST(FastMath, Expm1KeepsRelativeAccuracyNearZero) {
    // Both signs, from 1e-30 (where e^x - 1 by exp would be 0) out to the clamp, log-spaced.
    double worst = 0;
    float at = 0;
    for (int sign : {-1, 1})
        for (double m = 1e-30; m < 87; m *= 1.0001) {
            const float x = static_cast<float>(sign * m);
            const double want = std::expm1(static_cast<double>(x));
            const double err = std::abs(expm1_f(x) - want) / std::abs(want);
            if (err > worst) worst = err, at = x;
        }
    EXPECT_LE(worst, 4e-7) << "worst at x = " << at;
}

TEST(FastMath, Expm1Edges) {
    EXPECT_EQ(expm1_f(0.0f), 0.0f);
    EXPECT_EQ(expm1_f(-100.0f), -1.0f);
    EXPECT_EQ(expm1_f(-kInf), -1.0f);
    EXPECT_GT(expm1_f(1000.0f), 1e38f);  // clamped like exp_f
    EXPECT_TRUE(std::isnan(expm1_f(std::numeric_limits<float>::quiet_NaN())));
}

}  // namespace
}  // namespace soma::backend::cpu
