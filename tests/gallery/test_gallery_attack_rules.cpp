// The two rules of thumb of the slide "Defenses against adversarial attacks" (gallery entries 20
// and 21), seeded quick runs: each entry's claim holds, and its exact (analytic) perturbations
// agree with what the attacks find. Bounds: measured quick runs (seed 0), with margin.

#include <gtest/gtest.h>

#include <cmath>

#include "gallery/gallery_test_util.h"
#include "io/io_test_util.h"

namespace soma::gallery {
namespace {

TEST(GalleryAttackRules, LargeMarginKeepsTheClosestPointsSafest) {
    test::TempDir dir;
    const EntryRun run = run_quick("20_large_margin", dir.path.string());
    const Result& r = run.result;
    ASSERT_TRUE(r.ok) << r.summary << "\n" << run.log;
    EXPECT_EQ(r.figures.size(), 2u);
    const auto& m = r.metrics;

    // The hinge loss reached the maximum margin (0.2093, found by trying every direction);
    // logistic regression with scikit-learn's default penalty did not (measured 0.172).
    EXPECT_GE(m.at("hinge_train_margin"), 0.99 * m.at("best_margin"));
    EXPECT_GT(m.at("hinge_train_margin"), 1.1 * m.at("logistic_train_margin"));

    // The claim: the closest test point needs a larger perturbation against the SVM than
    // against logistic regression in most fresh draws of the data (measured 16 of 20; one draw's
    // closest test point is a sample and may fall either way), and in this run also more than
    // against the MLP (measured L2 0.200, 0.129 for logistic regression, 0.164 for the MLP).
    EXPECT_EQ(m.at("draws"), 20);
    EXPECT_GE(m.at("draws_closest_farther"), 12);
    EXPECT_GT(m.at("draws_closest_ratio"), 1.0);
    EXPECT_GT(m.at("hinge_l2_min"), 1.3 * m.at("logistic_l2_min"));
    EXPECT_GT(m.at("hinge_l2_min"), m.at("mlp_l2_min"));

    // And what the caption says a margin does not buy: the typical (median) point needs about
    // the same perturbation under all three (measured within 1%), and the SVM's median is not
    // the larger one in most draws (measured 9 of 20).
    for (const char* other : {"logistic_l2_median", "mlp_l2_median"})
        EXPECT_NEAR(m.at(other) / m.at("hinge_l2_median"), 1.0, 0.05) << other;
    EXPECT_LE(m.at("draws_median_farther"), 13);

    // The linear models' distances are exact: PGD flips every point just beyond, none inside.
    for (const char* model : {"hinge", "logistic"})
        for (const char* norm : {"linf", "l2"}) {
            const std::string key = std::string(model) + "_" + norm;
            EXPECT_GE(m.at(key + "_pgd_above"), 0.99) << key;
            EXPECT_EQ(m.at(key + "_pgd_below"), 0.0) << key;
        }
    // Every model learned the task.
    for (const char* key : {"hinge_accuracy", "logistic_accuracy", "mlp_accuracy"})
        EXPECT_GE(m.at(key), 0.98) << key;
}

TEST(GalleryAttackRules, HighDimensionalInputsFlipWithSmallerLinfPerturbations) {
    test::TempDir dir;
    const EntryRun run = run_quick("21_input_dimension", dir.path.string());
    const Result& r = run.result;
    ASSERT_TRUE(r.ok) << r.summary << "\n" << run.log;
    EXPECT_EQ(r.figures.size(), 1u);
    const auto& m = r.metrics;
    ASSERT_EQ(m.at("d_min"), 2);
    ASSERT_EQ(m.at("d_max"), 512);

    // The task is learned in every dimension (measured 95% and 89%) ...
    EXPECT_GE(m.at("accuracy_d_min"), 0.85);
    EXPECT_GE(m.at("accuracy_d_max"), 0.85);
    // ... yet the L-inf perturbation needed falls by about sqrt(512 / 2) = 16 (measured 16.6x),
    // while the L2 one stays within a few tens of percent (measured 1.63 -> 1.42).
    EXPECT_LT(m.at("linf_eps_d_max"), m.at("linf_eps_d_min") / 8);
    EXPECT_GT(m.at("l2_eps_d_max"), 0.7 * m.at("l2_eps_d_min"));
    // FGSM at the analytic eps flips the points: at 1.01x all (at least 99%), at 0.99x none;
    // its L2 form likewise at 1.01x the L2 distance.
    EXPECT_GE(m.at("fgsm_flipped_above_min"), 0.99);
    EXPECT_EQ(m.at("fgsm_flipped_below_max"), 0.0);
    EXPECT_GE(m.at("fgm_l2_flipped_above_min"), 0.99);
    // One budget, eps = 0.1: harmless in 2-D (measured 93% accuracy), ruinous in 512-D (26%).
    EXPECT_GT(m.at("fixed_eps_accuracy_d_min"), 0.85);
    EXPECT_LT(m.at("fixed_eps_accuracy_d_max"), 0.5);
}

}  // namespace
}  // namespace soma::gallery
