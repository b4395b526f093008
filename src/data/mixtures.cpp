#include "soma/data/mixtures.h"

#include <cmath>
#include <numbers>

#include "soma/error.h"

namespace soma::data {

Tensor Mixture::sample(std::int64_t n, Generator* gen) const {
    check(n > 0, "Mixture::sample: n must be positive, got ", n);
    check(modes() > 0, "Mixture::sample: the mixture has no modes");
    const Tensor which = randint(0, modes(), {n}, gen);  // (n)
    const Tensor noise = randn({n, 2}, gen, kFloat64);   // (n, 2)
    const std::vector<std::int64_t> w = which.to_vector<std::int64_t>();
    const std::vector<double> e = noise.to_vector<double>();
    std::vector<float> x(static_cast<std::size_t>(2 * n));
    for (std::int64_t i = 0; i < n; ++i)
        for (int d = 0; d < 2; ++d)
            x[2 * i + d] = static_cast<float>(centers[2 * w[i] + d] + std * e[2 * i + d]);
    return from_vector(x, {n, 2});
}

Mixture gaussian_ring(std::int64_t modes, double radius, double std) {
    check(modes > 0 && radius > 0 && std > 0, "gaussian_ring: modes, radius and std must be ",
          "positive, got ", modes, ", ", radius, ", ", std);
    Mixture m{.centers = {}, .std = std};
    for (std::int64_t k = 0; k < modes; ++k) {
        const double a = 2 * std::numbers::pi * k / modes;
        m.centers.push_back(radius * std::cos(a));
        m.centers.push_back(radius * std::sin(a));
    }
    return m;
}

Mixture gaussian_grid(std::int64_t side, double spacing, double std) {
    check(side > 0 && spacing > 0 && std > 0, "gaussian_grid: side, spacing and std must be ",
          "positive, got ", side, ", ", spacing, ", ", std);
    Mixture m{.centers = {}, .std = std};
    const double half = (side - 1) / 2.0;
    for (std::int64_t i = 0; i < side; ++i)
        for (std::int64_t j = 0; j < side; ++j) {
            m.centers.push_back((i - half) * spacing);
            m.centers.push_back((j - half) * spacing);
        }
    return m;
}

ModeCoverage mode_coverage(const Tensor& samples, const Mixture& mixture) {
    check(samples.dim() == 2 && samples.size(1) == 2 && samples.size(0) > 0,
          "mode_coverage: samples must be (n, 2) with n >= 1, got ", samples.shape());
    check(mixture.modes() > 0, "mode_coverage: the mixture has no modes");
    const std::vector<double> x = samples.to(kFloat64).contiguous().to_vector<double>();
    ModeCoverage c;
    c.per_mode.assign(static_cast<std::size_t>(mixture.modes()), 0);
    std::int64_t good = 0;
    const std::int64_t n = samples.size(0);
    for (std::int64_t i = 0; i < n; ++i) {
        std::int64_t best = 0;
        double best_d = INFINITY;
        for (std::int64_t k = 0; k < mixture.modes(); ++k) {
            const double d = std::hypot(x[2 * i] - mixture.centers[2 * k],
                                        x[2 * i + 1] - mixture.centers[2 * k + 1]);
            if (d < best_d) best_d = d, best = k;
        }
        if (best_d <= 3 * mixture.std) ++good, ++c.per_mode[best];
    }
    for (std::int64_t k : c.per_mode) c.modes += k > 0;
    c.high_quality = static_cast<double>(good) / n;
    return c;
}

}  // namespace soma::data
