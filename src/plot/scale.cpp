// Ticks, tick labels, colours and colour maps.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "soma/error.h"
#include "soma/plot/svg.h"

namespace soma::plot {

const std::string& palette(std::size_t i) {
    // matplotlib's "tab10": distinct, and readable for most colour-blind viewers.
    static const std::array<std::string, 10> colors = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                       "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                       "#bcbd22", "#17becf"};
    return colors[i % colors.size()];
}

std::array<std::uint8_t, 3> colormap(ColorMap map, double t) {
    using Stop = std::array<double, 3>;
    // Control points at equal spacing, interpolated linearly in RGB.
    static const std::vector<Stop> viridis = {{68, 1, 84},    {71, 45, 123},  {59, 82, 139},
                                              {44, 114, 142}, {33, 145, 140}, {40, 174, 128},
                                              {94, 201, 98},  {173, 220, 48}, {253, 231, 37}};
    static const std::vector<Stop> red_blue = {
        {5, 48, 97}, {67, 147, 195}, {247, 247, 247}, {214, 96, 77}, {103, 0, 31}};
    static const std::vector<Stop> gray = {{0, 0, 0}, {255, 255, 255}};
    const std::vector<Stop>& stops = map == ColorMap::Viridis   ? viridis
                                     : map == ColorMap::RedBlue ? red_blue
                                                                : gray;
    if (!(t > 0)) t = 0;  // also NaN
    if (t > 1) t = 1;
    double pos = t * static_cast<double>(stops.size() - 1);
    std::size_t i = std::min(static_cast<std::size_t>(pos), stops.size() - 2);
    double f = pos - static_cast<double>(i);
    std::array<std::uint8_t, 3> rgb;
    for (int c = 0; c < 3; ++c)
        rgb[c] =
            static_cast<std::uint8_t>(std::lround(stops[i][c] * (1 - f) + stops[i + 1][c] * f));
    return rgb;
}

std::vector<double> cell_centers(double lo, double hi, int n) {
    check(n >= 1, "cell_centers: need at least one cell, got ", n);
    std::vector<double> c(n);
    for (int i = 0; i < n; ++i) c[i] = lo + (hi - lo) * (i + 0.5) / n;
    return c;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    check(std::isfinite(lo) && std::isfinite(hi) && lo < hi, "nice_ticks: bad range [", lo, ", ",
          hi, "]");
    target = std::max(target, 2);
    double raw = (hi - lo) / target;
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    // The smallest nice step that gives at most `target` intervals.
    double step = 10 * mag;
    for (double m : {5.0, 2.5, 2.0, 1.0})
        if (m * mag >= raw * (1 - 1e-9)) step = m * mag;
    // Integer multiples of the step, so that 0.1 * 3 prints as 0.3 rather than accumulating.
    auto first = static_cast<long long>(std::ceil(lo / step - 1e-9));
    auto last = static_cast<long long>(std::floor(hi / step + 1e-9));
    std::vector<double> ticks;
    for (long long k = first; k <= last; ++k) ticks.push_back(k == 0 ? 0.0 : k * step);
    return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
    check(lo > 0 && lo < hi && std::isfinite(hi), "log_ticks: bad range [", lo, ", ", hi, "]");
    const int k0 = static_cast<int>(std::floor(std::log10(lo))),
              k1 = static_cast<int>(std::floor(std::log10(hi)));
    auto inside = [&](double v) { return v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9); };
    std::vector<double> ticks;
    // Decades (with 2x and 5x between them when there are fewer than three); thinned to every
    // second or third one over wide ranges.
    const int every = std::max(1, (k1 - k0 + 1) / 8 + 1);
    for (int k = k0; k <= k1 + 1; ++k)
        if (inside(std::pow(10.0, k)) && (k % every == 0)) ticks.push_back(std::pow(10.0, k));
    if (ticks.size() >= 3) return ticks;
    ticks.clear();
    for (int k = k0; k <= k1; ++k)
        for (double m : {1.0, 2.0, 5.0})
            if (inside(m * std::pow(10.0, k))) ticks.push_back(m * std::pow(10.0, k));
    if (ticks.size() >= 2) return ticks;
    return nice_ticks(lo, hi, 4);
}

std::string format_tick(double value, double step) {
    char buf[64];
    double mag = std::abs(value) > std::abs(step) ? std::abs(value) : std::abs(step);
    if (mag >= 1e6 || (mag > 0 && mag < 1e-4)) {
        std::snprintf(buf, sizeof buf, "%.3g", value);
    } else {
        int decimals = 0;
        double scaled = std::abs(step);
        while (decimals < 8 &&
               std::abs(scaled - std::round(scaled)) > 1e-6 * std::max(scaled, 1.0)) {
            scaled *= 10;
            ++decimals;
        }
        std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    }
    std::string s = buf;
    if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // -0.00
    return s;
}

}  // namespace soma::plot
