#pragma once
// The 2-D Gaussian mixtures of the mode-collapse literature (Metz et al. 2017, VEEGAN,
// PacGAN), and the measure it reports: which modes a generator's samples reach, and how many
// samples are close to a mode.
//
//   data::Mixture ring = data::gaussian_ring(8, 1.0, 0.01);       // 8 modes on the unit circle
//   data::Mixture grid = data::gaussian_grid(5, 2.0, 0.05);       // {-4, -2, 0, 2, 4}²
//   Tensor x = ring.sample(2500, &gen);                           // (2500, 2)
//   data::ModeCoverage c = data::mode_coverage(samples, ring);    // c.modes, c.high_quality
//
// A sample belongs to its nearest mode and is of high quality when it lies within 3 standard
// deviations of it; a mode is captured when it holds at least one high-quality sample.

#include <cstdint>
#include <vector>

#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::data {

struct Mixture {
    std::vector<double> centers;  // (modes, 2), row-major
    double std = 0;               // the same isotropic standard deviation for every mode

    std::int64_t modes() const { return static_cast<std::int64_t>(centers.size() / 2); }
    // n points: a mode drawn uniformly, plus N(0, std² I) noise. (n, 2) float32.
    Tensor sample(std::int64_t n, Generator* gen = nullptr) const;
};

// `modes` centres evenly on a circle of that radius (the first at angle 0).
Mixture gaussian_ring(std::int64_t modes, double radius, double std);
// side² centres on the grid {-(side-1)/2, ..., (side-1)/2}² times spacing.
Mixture gaussian_grid(std::int64_t side, double spacing, double std);

struct ModeCoverage {
    std::int64_t modes = 0;              // modes captured
    double high_quality = 0;             // fraction of samples within 3 std of their nearest mode
    std::vector<std::int64_t> per_mode;  // high-quality samples per mode
};
// samples: (n, 2).
ModeCoverage mode_coverage(const Tensor& samples, const Mixture& mixture);

}  // namespace soma::data
