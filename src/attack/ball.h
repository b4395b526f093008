#pragma once
// The geometry the attacks share, per example of a batch (N, ...): the step direction of a
// gradient, projection onto the norm ball, random points in it, and clipping to the input range.
// Plain loops over contiguous float data: a few passes over the batch, cheap next to the
// model's forward and backward.

#include <cstdint>

#include "soma/attack/attack.h"

namespace soma::attack::detail {

// The steepest-ascent direction of unit norm: sign(g) (L-inf), g / ||g||_2 per example (L2;
// zero where g is zero). Returns a new contiguous tensor of g's shape.
Tensor ascent_direction(const Tensor& g, Norm norm);

// x_adv = clip(x + project(x_adv + step * direction - x)): one projected step, in place of
// nothing (returns a new tensor). x and x_adv: (N, ...) contiguous, same shape and dtype.
Tensor projected_step(const Tensor& x, const Tensor& x_adv, const Tensor& direction, double step,
                      Norm norm, double eps, InputRange range);

// clip(x + delta) with delta uniform in the ball (L-inf: each coordinate in [-eps, eps]; L2:
// uniform in volume: a Gaussian direction times eps u^(1/D)).
Tensor random_start(const Tensor& x, Norm norm, double eps, InputRange range, Generator* gen);

// Throws unless x is floating with a batch dimension and inside the range (up to rounding).
void check_inputs(const Tensor& x, const Tensor& labels, InputRange range, const char* who);

}  // namespace soma::attack::detail
