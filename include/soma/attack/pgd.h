#pragma once
// Projected gradient descent (Madry et al., 2018): the strongest first-order attack, and the
// inner maximisation of robust training.
//
//   attack::PgdOptions o{.eps = 0.1, .steps = 20, .restarts = 10};
//   Tensor x_adv = attack::pgd(model, images, labels, o);
//
// Each restart starts at a uniformly random point of the ball (or at x without random_start),
// then takes `steps` steps of size `step_size` along the gradient's sign (L-inf) or its
// normalised direction (L2), projecting back onto the ball and the input range after each.
// Across restarts each example keeps its strongest adversarial example: a successful one first
// (misclassified, or classified as the target), else the one with the highest loss. The random
// starts draw from `generator` (the default generator when null). See attack.h for what an
// attack does to the model.

#include <cstdint>
#include <vector>

#include "soma/attack/attack.h"

namespace soma::attack {

struct PgdOptions {
    double eps = 0.1;
    Norm norm = Norm::Linf;
    std::int64_t steps = 20;
    double step_size = 0;  // 0: 2.5 * eps / steps (Madry et al.'s rule)
    bool random_start = true;
    std::int64_t restarts = 1;
    Loss loss = Loss::CrossEntropy;
    bool targeted = false;  // labels are the target classes
    InputRange range{};
    Generator* generator = nullptr;
};

// What pgd_detailed reports besides the examples.
struct PgdResult {
    Tensor adversarial;  // x's shape
    // Per restart r: how many examples had succeeded after restarts 0..r (non-decreasing).
    std::vector<std::int64_t> successes_after_restart;
};

// model: (N, ...) -> (N, C) logits; x: (N, ...) inputs in the range; labels: (N) int64.
Tensor pgd(nn::Module& model, const Tensor& x, const Tensor& labels, const PgdOptions& options);
PgdResult pgd_detailed(nn::Module& model, const Tensor& x, const Tensor& labels,
                       const PgdOptions& options);

// Projects delta (N, ...) onto the ball of radius eps (per example) in place of a copy: returns
// the projected tensor.
Tensor project(const Tensor& delta, Norm norm, double eps);

}  // namespace soma::attack
