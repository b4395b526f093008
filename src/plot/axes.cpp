// Collecting a panel's series; rendering is in svg.cpp.

#include <cmath>
#include <map>

#include "soma/error.h"
#include "soma/plot/svg.h"

namespace soma::plot {

namespace {

std::vector<double> vector_of(const Tensor& t, const char* what) {
    check(t.dim() == 1, "plot: ", what, " must be 1-D, got ", t.shape());
    return t.detach().to_vector<double>();
}

}  // namespace

std::string Axes::next_color() { return palette(colors_used_++); }

Marker Axes::next_marker() {
    static constexpr Marker cycle[] = {Marker::Circle, Marker::Square, Marker::Triangle,
                                       Marker::Diamond, Marker::Cross};
    return cycle[markers_used_++ % 5];
}

Axes& Axes::line(const std::vector<double>& xs, const std::vector<double>& ys,
                 const std::string& label, LineStyle style) {
    check(xs.size() == ys.size(), "plot line '", label, "': ", xs.size(), " x values but ",
          ys.size(), " y values");
    std::string color = style.color.empty() ? next_color() : style.color;
    series_.push_back(
        {Series::Line, xs, ys, label, color, style.width, style.dashed, Marker::Circle});
    return *this;
}

Axes& Axes::scatter(const std::vector<double>& xs, const std::vector<double>& ys,
                    const std::string& label, ScatterStyle style) {
    check(xs.size() == ys.size(), "plot scatter '", label, "': ", xs.size(), " x values but ",
          ys.size(), " y values");
    std::string color = style.color.empty() ? next_color() : style.color;
    Marker marker = style.marker ? *style.marker : next_marker();
    series_.push_back({Series::Scatter, xs, ys, label, color, style.size, false, marker});
    return *this;
}

Axes& Axes::scatter_classes(const std::vector<double>& xs, const std::vector<double>& ys,
                            const std::vector<int>& classes, const std::vector<std::string>& names,
                            double size) {
    check(xs.size() == ys.size() && xs.size() == classes.size(),
          "plot scatter_classes: ", xs.size(), " x values, ", ys.size(), " y values and ",
          classes.size(), " classes");
    std::map<int, std::pair<std::vector<double>, std::vector<double>>> by_class;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        by_class[classes[i]].first.push_back(xs[i]);
        by_class[classes[i]].second.push_back(ys[i]);
    }
    for (auto& [c, points] : by_class) {
        bool named = c >= 0 && static_cast<std::size_t>(c) < names.size();
        scatter(points.first, points.second, named ? names[c] : "class " + std::to_string(c),
                {.size = size});
    }
    return *this;
}

Axes& Axes::heatmap(const std::vector<double>& values, int rows, int cols, HeatmapOptions options) {
    check(rows >= 1 && cols >= 1 && values.size() == static_cast<std::size_t>(rows) * cols,
          "plot heatmap: ", values.size(), " values for a ", rows, " x ", cols, " grid");
    check(options.x0 < options.x1 && options.y0 < options.y1, "plot heatmap: empty extent [",
          options.x0, ", ", options.x1, "] x [", options.y0, ", ", options.y1, "]");
    heatmaps_.push_back({values, rows, cols, std::move(options)});
    return *this;
}

Axes& Axes::line(const Tensor& xs, const Tensor& ys, const std::string& label, LineStyle style) {
    return line(vector_of(xs, "x"), vector_of(ys, "y"), label, std::move(style));
}

Axes& Axes::scatter(const Tensor& xs, const Tensor& ys, const std::string& label,
                    ScatterStyle style) {
    return scatter(vector_of(xs, "x"), vector_of(ys, "y"), label, std::move(style));
}

Axes& Axes::heatmap(const Tensor& values, HeatmapOptions options) {
    check(values.dim() == 2, "plot heatmap: values must be 2-D (rows, cols), got ", values.shape());
    return heatmap(values.detach().to_vector<double>(), static_cast<int>(values.size(0)),
                   static_cast<int>(values.size(1)), std::move(options));
}

}  // namespace soma::plot
