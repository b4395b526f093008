#pragma once
// Figures as SVG files: line plots, scatter plots and heat maps (decision regions), with axes,
// "nice" ticks, labels, a legend and a title; several panels side by side.
//
//   plot::Figure fig({.title = "Training", .xlabel = "epoch", .ylabel = "loss", .logy = true});
//   fig.line(epochs, train_loss, "train");
//   fig.line(epochs, test_loss, "test", {.dashed = true});
//   fig.save("loss.svg");
//
//   plot::Figure panels({.title = "XOR", .width = 960, .height = 340},
//                       {{.title = "h1"}, {.title = "h2"}, {.title = "y"}});
//   panels.axes(2).heatmap(values, rows, cols, {.x0 = 0, .x1 = 1, .y0 = 0, .y1 = 1});
//
// Heat maps are embedded as PNG images (libpng); everything else is plain SVG elements.
// The plot layer sits beside train/recipes: the tensor, ops and nn layers never include it.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soma/tensor.h"

namespace soma::plot {

struct Range {
    double lo = 0, hi = 1;
};

enum class Marker { Circle, Square, Triangle, Diamond, Cross };
enum class ColorMap { Viridis, RedBlue, Gray };
enum class Legend { TopRight, TopLeft, BottomRight, BottomLeft, None };

// The colours series get by default, in order ("#1f77b4", ...); wraps around.
const std::string& palette(std::size_t i);
// A colour map at t in [0, 1] (clamped) as 8-bit RGB.
std::array<std::uint8_t, 3> colormap(ColorMap map, double t);

// One panel's axes. Limits default to the data's range (padded a little for lines and
// scatters; a heat map's extent is used as is); given limits need lo < hi (and lo > 0 on a
// log axis), else rendering throws soma::Error.
// A tick placed by hand: matplotlib's set_xticks(values, labels), e.g. letters under the
// columns of a heat map.
struct Tick {
    double value;
    std::string label;
};

struct AxesOptions {
    std::string title{}, xlabel{}, ylabel{};
    bool logy = false;  // log10 y axis; non-positive values are left out
    std::optional<Range> xlim{}, ylim{};
    Legend legend = Legend::TopRight;  // shown when at least one series has a label
    // Empty: ticks at "nice" values, labelled with their numbers. Else exactly these (and their
    // grid lines); the axis range still comes from the data or the limits.
    std::vector<Tick> xticks{}, yticks{};
};

struct FigureOptions {
    std::string title{}, xlabel{}, ylabel{};
    int width = 640, height = 420;  // pixels, the whole figure
    bool logy = false;
    std::optional<Range> xlim{}, ylim{};
    Legend legend = Legend::TopRight;
    std::vector<Tick> xticks{}, yticks{};  // as AxesOptions
};

struct LineStyle {
    std::string color{};  // empty: the next palette colour
    double width = 2;
    bool dashed = false;
};

struct ScatterStyle {
    std::string color{};             // empty: the next palette colour
    std::optional<Marker> marker{};  // empty: the next marker in the panel's cycle
    double size = 4;                 // radius in pixels
};

// The grid covers [x0, x1] x [y0, y1]; values are row-major (rows, cols) with row 0 at the
// bottom (y0), so cell (i, j) is centred at x0 + (j + 0.5) dx, y0 + (i + 0.5) dy (see
// cell_centers). NaN cells are left transparent. Heat maps belong on linear axes (on a log y
// axis the grid is still drawn evenly from y0 to y1, and left out unless y0 > 0).
struct HeatmapOptions {
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    std::optional<double> vmin{}, vmax{};  // empty: the values' range
    ColorMap cmap = ColorMap::Viridis;
    bool colorbar = true;
    std::string label{};  // the colour bar's label
    bool smooth = false;  // let the viewer interpolate between cells
    double opacity = 1;   // below 1, grid lines and whatever is below shine through
};

// n cell centres evenly spread over [lo, hi] (for evaluating a function on a heat map grid).
std::vector<double> cell_centers(double lo, double hi, int n);

class Axes {
public:
    explicit Axes(AxesOptions options = {}) : options_(std::move(options)) {}

    // A polyline through (xs[i], ys[i]); a NaN breaks the line. xs and ys have equal sizes.
    // Lines and heat maps are clipped to the axes; scatter points outside them are left out.
    Axes& line(const std::vector<double>& xs, const std::vector<double>& ys,
               const std::string& label = "", LineStyle style = {});
    Axes& scatter(const std::vector<double>& xs, const std::vector<double>& ys,
                  const std::string& label = "", ScatterStyle style = {});
    // One scatter series per class: points with classes[i] == c get names[c] (or "class c"),
    // a palette colour and a marker of their own.
    Axes& scatter_classes(const std::vector<double>& xs, const std::vector<double>& ys,
                          const std::vector<int>& classes,
                          const std::vector<std::string>& names = {}, double size = 4);
    // values.size() == rows * cols.
    Axes& heatmap(const std::vector<double>& values, int rows, int cols,
                  HeatmapOptions options = {});

    // The same from 1-D tensors (any floating dtype) and a 2-D (rows, cols) tensor.
    Axes& line(const Tensor& xs, const Tensor& ys, const std::string& label = "",
               LineStyle style = {});
    Axes& scatter(const Tensor& xs, const Tensor& ys, const std::string& label = "",
                  ScatterStyle style = {});
    Axes& heatmap(const Tensor& values, HeatmapOptions options = {});

    AxesOptions& options() { return options_; }
    const AxesOptions& options() const { return options_; }

    struct Series {
        enum Kind { Line, Scatter } kind;
        std::vector<double> xs, ys;
        std::string label, color;
        double width;  // line width or marker radius
        bool dashed;
        Marker marker;
    };
    struct Heatmap {
        std::vector<double> values;
        int rows, cols;
        HeatmapOptions options;
    };
    const std::vector<Series>& series() const { return series_; }
    const std::vector<Heatmap>& heatmaps() const { return heatmaps_; }

private:
    std::string next_color();
    Marker next_marker();

    AxesOptions options_;
    std::vector<Series> series_;
    std::vector<Heatmap> heatmaps_;
    std::size_t colors_used_ = 0, markers_used_ = 0;
};

class Figure {
public:
    // One panel, with the figure's labels, scale and limits.
    explicit Figure(FigureOptions options = {});
    // Panels side by side (at least one), the figure's title above them all; only the title,
    // width and height of `options` are used (each panel has its own labels and scales).
    Figure(FigureOptions options, std::vector<AxesOptions> panels);

    Axes& axes(std::size_t i = 0);
    std::size_t num_axes() const { return axes_.size(); }

    // Shortcuts to the first panel.
    Figure& line(const std::vector<double>& xs, const std::vector<double>& ys,
                 const std::string& label = "", LineStyle style = {}) {
        axes().line(xs, ys, label, std::move(style));
        return *this;
    }
    Figure& scatter(const std::vector<double>& xs, const std::vector<double>& ys,
                    const std::string& label = "", ScatterStyle style = {}) {
        axes().scatter(xs, ys, label, std::move(style));
        return *this;
    }
    Figure& heatmap(const std::vector<double>& values, int rows, int cols,
                    HeatmapOptions options = {}) {
        axes().heatmap(values, rows, cols, std::move(options));
        return *this;
    }

    // The whole document.
    std::string svg() const;
    // Writes svg() atomically (temporary file, then rename); throws soma::Error naming the path.
    void save(const std::string& path) const;

private:
    FigureOptions options_;
    std::vector<Axes> axes_;
    bool suptitle_;  // the title goes above the panels rather than on the single panel
};

// Tick positions for an axis over [lo, hi]: multiples of the smallest step of 1, 2, 2.5 or 5
// times a power of ten that cuts the range into at most `target` intervals, all inside the
// range (lo < hi).
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
// Powers of ten inside [lo, hi] (0 < lo < hi); when fewer than three, also 2x and 5x them.
std::vector<double> log_ticks(double lo, double hi);
// A tick label: `value` with as many decimals as `step` needs ("0.25", "1000", "1e+06").
std::string format_tick(double value, double step);

}  // namespace soma::plot
