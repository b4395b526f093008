// Rendering figures to SVG. Each panel: grid, heat maps and series clipped to the plot area,
// then the frame, ticks, labels, colour bar, legend and title on top.

#include "soma/plot/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "soma/error.h"
#include "soma/io/atomic_file.h"
#include "soma/plot/png.h"

namespace soma::plot {

namespace {

constexpr double kCharWidth = 6.8;  // average glyph width at 12px, for layout estimates

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

std::string esc(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string base64(const std::string& bytes) {
    static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (unsigned char)bytes[i] << 16 | (unsigned char)bytes[i + 1] << 8 |
                     (unsigned char)bytes[i + 2];
        for (int s = 18; s >= 0; s -= 6) out += table[(v >> s) & 63];
    }
    if (i < bytes.size()) {
        unsigned v = (unsigned char)bytes[i] << 16;
        if (i + 1 < bytes.size()) v |= (unsigned char)bytes[i + 1] << 8;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string image_href(const Image& img) {
    return "data:image/png;base64," + base64(encode_png(img));
}

// Maps data values to pixels along one axis (p0 at lo, p1 at hi).
struct Scale {
    double lo, hi;
    bool log;
    double p0 = 0, p1 = 1;
    double t(double v) const { return log ? std::log10(v) : v; }
    double operator()(double v) const { return p0 + (t(v) - t(lo)) / (t(hi) - t(lo)) * (p1 - p0); }
};

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

// The axis range from the data: padded for series, exact for heat map extents.
Range axis_range(const Axes& axes, bool is_x, bool log, const std::optional<Range>& fixed) {
    if (fixed) {
        check(std::isfinite(fixed->lo) && std::isfinite(fixed->hi) && fixed->lo < fixed->hi &&
                  (!log || fixed->lo > 0),
              "plot: ", is_x ? "x" : "y", " limits [", fixed->lo, ", ", fixed->hi,
              "] are not an interval", log ? " of positive numbers" : "");
        return *fixed;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& s : axes.series())
        for (double v : is_x ? s.xs : s.ys)
            if (usable(v, log)) lo = std::min(lo, v), hi = std::max(hi, v);
    const bool pad = axes.heatmaps().empty();
    for (const auto& h : axes.heatmaps()) {
        for (double v : is_x ? std::vector{h.options.x0, h.options.x1}
                             : std::vector{h.options.y0, h.options.y1})
            if (usable(v, log)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (lo > hi) return log ? Range{1, 10} : Range{0, 1};
    auto from = [&](double v) { return log ? std::log10(v) : v; };
    auto to = [&](double v) { return log ? std::pow(10.0, v) : v; };
    double a = from(lo), b = from(hi);
    if (a == b) {
        double d = a == 0 ? 0.5 : std::abs(a) * 0.1;
        a -= d, b += d;
    } else if (pad) {
        double d = 0.04 * (b - a);
        a -= d, b += d;
    }
    return {to(a), to(b)};
}

std::string marker_svg(Marker m, double x, double y, double r, const std::string& color) {
    std::ostringstream o;
    const std::string style = "fill=\"" + color + "\" stroke=\"#222\" stroke-width=\"0.6\"";
    switch (m) {
        case Marker::Circle:
            o << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"" << num(r) << "\" "
              << style << "/>";
            break;
        case Marker::Square:
            o << "<rect x=\"" << num(x - r) << "\" y=\"" << num(y - r) << "\" width=\""
              << num(2 * r) << "\" height=\"" << num(2 * r) << "\" " << style << "/>";
            break;
        case Marker::Triangle:
            o << "<polygon points=\"" << num(x) << "," << num(y - 1.2 * r) << " "
              << num(x - 1.1 * r) << "," << num(y + 0.8 * r) << " " << num(x + 1.1 * r) << ","
              << num(y + 0.8 * r) << "\" " << style << "/>";
            break;
        case Marker::Diamond:
            o << "<polygon points=\"" << num(x) << "," << num(y - 1.3 * r) << " "
              << num(x + 1.1 * r) << "," << num(y) << " " << num(x) << "," << num(y + 1.3 * r)
              << " " << num(x - 1.1 * r) << "," << num(y) << "\" " << style << "/>";
            break;
        case Marker::Cross:
            o << "<path d=\"M" << num(x - r) << " " << num(y - r) << "L" << num(x + r) << " "
              << num(y + r) << "M" << num(x - r) << " " << num(y + r) << "L" << num(x + r) << " "
              << num(y - r) << "\" stroke=\"" << color << "\" stroke-width=\"2\"/>";
            break;
    }
    return o.str();
}

std::pair<double, double> value_range(const Axes::Heatmap& h) {
    double lo = INFINITY, hi = -INFINITY;
    for (double v : h.values)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (h.options.vmin) lo = *h.options.vmin;
    if (h.options.vmax) hi = *h.options.vmax;
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (lo == hi) lo -= 0.5, hi += 0.5;
    return {lo, hi};
}

void render_heatmap(std::ostream& o, const Axes::Heatmap& h, const Scale& sx, const Scale& sy) {
    if (!usable(h.options.y0, sy.log)) return;
    auto [lo, hi] = value_range(h);
    Image img{h.cols, h.rows, 4, {}};
    img.pixels.resize(static_cast<std::size_t>(h.rows) * h.cols * 4);
    for (int i = 0; i < h.rows; ++i)
        for (int j = 0; j < h.cols; ++j) {
            double v = h.values[static_cast<std::size_t>(i) * h.cols + j];
            auto rgb = colormap(h.options.cmap, (v - lo) / (hi - lo));
            std::uint8_t* px =
                &img.pixels[(static_cast<std::size_t>(h.rows - 1 - i) * h.cols + j) * 4];
            px[0] = rgb[0], px[1] = rgb[1], px[2] = rgb[2];
            px[3] = std::isnan(v) ? 0 : 255;  // row 0 is the bottom: the image's last row
        }
    const auto& e = h.options;
    o << "<image x=\"" << num(sx(e.x0)) << "\" y=\"" << num(sy(e.y1)) << "\" width=\""
      << num(sx(e.x1) - sx(e.x0)) << "\" height=\"" << num(sy(e.y0) - sy(e.y1))
      << "\" preserveAspectRatio=\"none\""
      << (e.opacity < 1 ? " opacity=\"" + num(e.opacity) + "\"" : std::string())
      << (e.smooth ? "" : " style=\"image-rendering:pixelated\"") << " xlink:href=\""
      << image_href(img) << "\"/>\n";
}

void render_colorbar(std::ostream& o, const Axes::Heatmap& h, double x, double top, double bottom) {
    auto [lo, hi] = value_range(h);
    Image bar{1, 128, 3, {}};
    for (int i = 0; i < 128; ++i) {
        auto rgb = colormap(h.options.cmap, 1 - i / 127.0);
        bar.pixels.insert(bar.pixels.end(), rgb.begin(), rgb.end());
    }
    o << "<image x=\"" << num(x) << "\" y=\"" << num(top) << "\" width=\"14\" height=\""
      << num(bottom - top) << "\" preserveAspectRatio=\"none\" xlink:href=\"" << image_href(bar)
      << "\"/>\n<rect x=\"" << num(x) << "\" y=\"" << num(top) << "\" width=\"14\" height=\""
      << num(bottom - top) << "\" fill=\"none\" stroke=\"#444\"/>\n";
    Scale s{lo, hi, false, bottom, top};
    std::vector<double> ticks = nice_ticks(lo, hi, 5);
    double step = ticks.size() > 1 ? ticks[1] - ticks[0] : hi - lo;
    for (double t : ticks)
        o << "<line x1=\"" << num(x + 14) << "\" x2=\"" << num(x + 18) << "\" y1=\"" << num(s(t))
          << "\" y2=\"" << num(s(t)) << "\" stroke=\"#444\"/><text x=\"" << num(x + 20) << "\" y=\""
          << num(s(t) + 4) << "\">" << format_tick(t, step) << "</text>\n";
    if (!h.options.label.empty())
        o << "<text transform=\"translate(" << num(x + 58) << " " << num((top + bottom) / 2)
          << ") rotate(-90)\" text-anchor=\"middle\">" << esc(h.options.label) << "</text>\n";
}

void render_legend(std::ostream& o, const Axes& axes, double left, double top, double right,
                   double bottom) {
    std::vector<const Axes::Series*> shown;
    std::size_t longest = 0;
    for (const auto& s : axes.series())
        if (!s.label.empty()) shown.push_back(&s), longest = std::max(longest, s.label.size());
    const Legend where = axes.options().legend;
    if (shown.empty() || where == Legend::None) return;
    const double w = 40 + longest * kCharWidth, h = 8 + 18.0 * shown.size();
    const bool at_right = where == Legend::TopRight || where == Legend::BottomRight;
    const bool at_top = where == Legend::TopRight || where == Legend::TopLeft;
    const double x = at_right ? right - w - 8 : left + 8, y = at_top ? top + 8 : bottom - h - 8;
    o << "<g class=\"legend\"><rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\""
      << num(w) << "\" height=\"" << num(h)
      << "\" fill=\"#fff\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n";
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const auto& s = *shown[i];
        double cy = y + 13 + 18.0 * i;
        if (s.kind == Axes::Series::Line)
            o << "<line x1=\"" << num(x + 6) << "\" x2=\"" << num(x + 28) << "\" y1=\"" << num(cy)
              << "\" y2=\"" << num(cy) << "\" stroke=\"" << s.color << "\" stroke-width=\""
              << num(s.width) << "\"" << (s.dashed ? " stroke-dasharray=\"6,4\"" : "") << "/>";
        else
            o << marker_svg(s.marker, x + 17, cy, std::min(s.width, 5.0), s.color);
        o << "<text x=\"" << num(x + 34) << "\" y=\"" << num(cy + 4) << "\">" << esc(s.label)
          << "</text>\n";
    }
    o << "</g>\n";
}

bool inside(double v, const Scale& s) {
    const double eps = 1e-9 * (s.hi - s.lo);
    return usable(v, s.log) && v >= std::min(s.lo, s.hi) - eps && v <= std::max(s.lo, s.hi) + eps;
}

void render_series(std::ostream& o, const Axes::Series& s, const Scale& sx, const Scale& sy) {
    if (s.kind == Axes::Series::Scatter) {
        for (std::size_t i = 0; i < s.xs.size(); ++i)
            if (inside(s.xs[i], sx) && inside(s.ys[i], sy))
                o << marker_svg(s.marker, sx(s.xs[i]), sy(s.ys[i]), s.width, s.color);
        o << "\n";
        return;
    }
    std::string d;
    bool pen_down = false;
    for (std::size_t i = 0; i < s.xs.size(); ++i) {
        if (!usable(s.xs[i], sx.log) || !usable(s.ys[i], sy.log)) {
            pen_down = false;
            continue;
        }
        d.push_back(pen_down ? 'L' : 'M');
        d.append(num(sx(s.xs[i])));
        d.push_back(' ');
        d.append(num(sy(s.ys[i])));
        pen_down = true;
    }
    o << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\""
      << num(s.width) << "\" stroke-linejoin=\"round\""
      << (s.dashed ? " stroke-dasharray=\"6,4\"" : "") << "/>\n";
}

// Ticks at nice values (powers of ten on a log axis), labelled with just enough decimals.
std::vector<Tick> automatic_ticks(const Range& r, bool log, int target) {
    const std::vector<double> values = log ? log_ticks(r.lo, r.hi) : nice_ticks(r.lo, r.hi, target);
    const double step = values.size() > 1 ? values[1] - values[0] : r.hi - r.lo;
    std::vector<Tick> ticks;
    for (double v : values) ticks.push_back({v, format_tick(v, log ? v : step)});
    return ticks;
}

// Hand-placed ticks inside the axis range (and above 0 on a log axis).
std::vector<Tick> given_ticks(const std::vector<Tick>& ticks, const Range& r, bool log) {
    std::vector<Tick> inside;
    for (const Tick& t : ticks)
        if (t.value >= r.lo && t.value <= r.hi && (!log || t.value > 0)) inside.push_back(t);
    return inside;
}

// One panel inside the horizontal slot [x0, x0 + width), below `top0`.
void render_axes(std::ostream& o, const Axes& axes, int index, double x0, double width, double top0,
                 double height) {
    const AxesOptions& opt = axes.options();
    const Range xr = axis_range(axes, true, false, opt.xlim);
    const Range yr = axis_range(axes, false, opt.logy, opt.ylim);
    const Axes::Heatmap* bar = nullptr;
    for (const auto& h : axes.heatmaps())
        if (h.options.colorbar && !bar) bar = &h;

    const double top = top0 + (opt.title.empty() ? 10 : 30);
    const double bottom = height - (opt.xlabel.empty() ? 28 : 46);
    const int ytarget = std::clamp(static_cast<int>((bottom - top) / 40), 3, 8);
    const std::vector<Tick> yt = opt.yticks.empty() ? automatic_ticks(yr, opt.logy, ytarget)
                                                    : given_ticks(opt.yticks, yr, opt.logy);
    std::size_t widest = 1;
    for (const Tick& t : yt) widest = std::max(widest, t.label.size());
    const double left = x0 + 14 + (opt.ylabel.empty() ? 0 : 18) + widest * kCharWidth;
    const double right = x0 + width - 14 - (bar ? 70 : 0);
    const int xtarget = std::clamp(static_cast<int>((right - left) / 65), 3, 8);
    const std::vector<Tick> xt = opt.xticks.empty() ? automatic_ticks(xr, false, xtarget)
                                                    : given_ticks(opt.xticks, xr, false);
    const Scale sx{xr.lo, xr.hi, false, left, right};
    const Scale sy{yr.lo, yr.hi, opt.logy, bottom, top};

    o << "<g class=\"panel\">\n<clipPath id=\"clip" << index << "\"><rect x=\"" << num(left)
      << "\" y=\"" << num(top) << "\" width=\"" << num(right - left) << "\" height=\""
      << num(bottom - top) << "\"/></clipPath>\n<g stroke=\"#e6e6e6\">";
    for (const Tick& t : xt)
        o << "<line x1=\"" << num(sx(t.value)) << "\" x2=\"" << num(sx(t.value)) << "\" y1=\""
          << num(top) << "\" y2=\"" << num(bottom) << "\"/>";
    for (const Tick& t : yt)
        o << "<line x1=\"" << num(left) << "\" x2=\"" << num(right) << "\" y1=\""
          << num(sy(t.value)) << "\" y2=\"" << num(sy(t.value)) << "\"/>";
    o << "</g>\n<g clip-path=\"url(#clip" << index << ")\">\n";
    for (const auto& h : axes.heatmaps()) render_heatmap(o, h, sx, sy);
    for (const auto& s : axes.series())
        if (s.kind == Axes::Series::Line) render_series(o, s, sx, sy);
    o << "</g>\n<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\""
      << num(right - left) << "\" height=\"" << num(bottom - top)
      << "\" fill=\"none\" stroke=\"#444\"/>\n";
    // Markers on the frame stay whole: they are not clipped, only those outside are dropped.
    for (const auto& s : axes.series())
        if (s.kind == Axes::Series::Scatter) render_series(o, s, sx, sy);
    o << "<g class=\"xticks\" text-anchor=\"middle\">";
    for (const Tick& t : xt)
        o << "<line x1=\"" << num(sx(t.value)) << "\" x2=\"" << num(sx(t.value)) << "\" y1=\""
          << num(bottom) << "\" y2=\"" << num(bottom + 4) << "\" stroke=\"#444\"/><text x=\""
          << num(sx(t.value)) << "\" y=\"" << num(bottom + 17) << "\">" << esc(t.label)
          << "</text>";
    o << "</g>\n<g class=\"yticks\" text-anchor=\"end\">";
    for (const Tick& t : yt)
        o << "<line x1=\"" << num(left - 4) << "\" x2=\"" << num(left) << "\" y1=\""
          << num(sy(t.value)) << "\" y2=\"" << num(sy(t.value)) << "\" stroke=\"#444\"/><text x=\""
          << num(left - 7) << "\" y=\"" << num(sy(t.value) + 4) << "\">" << esc(t.label)
          << "</text>";
    o << "</g>\n";
    if (!opt.xlabel.empty())
        o << "<text class=\"xlabel\" x=\"" << num((left + right) / 2) << "\" y=\""
          << num(bottom + 36) << "\" text-anchor=\"middle\">" << esc(opt.xlabel) << "</text>\n";
    if (!opt.ylabel.empty())
        o << "<text class=\"ylabel\" transform=\"translate(" << num(x0 + 16) << " "
          << num((top + bottom) / 2) << ") rotate(-90)\" text-anchor=\"middle\">" << esc(opt.ylabel)
          << "</text>\n";
    if (!opt.title.empty())
        o << "<text class=\"title\" x=\"" << num((left + right) / 2) << "\" y=\"" << num(top - 10)
          << "\" text-anchor=\"middle\" font-weight=\"bold\">" << esc(opt.title) << "</text>\n";
    if (bar) render_colorbar(o, *bar, right + 12, top, bottom);
    render_legend(o, axes, left, top, right, bottom);
    o << "</g>\n";
}

}  // namespace

Figure::Figure(FigureOptions options) : options_(std::move(options)), suptitle_(false) {
    axes_.emplace_back(AxesOptions{.title = options_.title,
                                   .xlabel = options_.xlabel,
                                   .ylabel = options_.ylabel,
                                   .logy = options_.logy,
                                   .xlim = options_.xlim,
                                   .ylim = options_.ylim,
                                   .legend = options_.legend,
                                   .xticks = options_.xticks,
                                   .yticks = options_.yticks});
}

Figure::Figure(FigureOptions options, std::vector<AxesOptions> panels)
    : options_(std::move(options)), suptitle_(true) {
    check(!panels.empty(), "plot::Figure: needs at least one panel");
    for (auto& p : panels) axes_.emplace_back(std::move(p));
}

Axes& Figure::axes(std::size_t i) {
    check(i < axes_.size(), "plot::Figure: panel ", i, " of ", axes_.size());
    return axes_[i];
}

std::string Figure::svg() const {
    check(options_.width >= 50 && options_.height >= 50, "plot::Figure: size ", options_.width,
          " x ", options_.height, " is too small");
    const double w = options_.width, h = options_.height;
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
      << "width=\"" << options_.width << "\" height=\"" << options_.height << "\" viewBox=\"0 0 "
      << options_.width << " " << options_.height << "\">\n"
      << "<style>text{font-family:'DejaVu Sans',Arial,sans-serif;font-size:12px;fill:#222}"
      << ".title{font-size:14px}.suptitle{font-size:16px}</style>\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
    double top0 = 0;
    if (suptitle_ && !options_.title.empty()) {
        o << "<text class=\"suptitle\" x=\"" << num(w / 2)
          << "\" y=\"22\" text-anchor=\"middle\" font-weight=\"bold\">" << esc(options_.title)
          << "</text>\n";
        top0 = 30;
    }
    const double slot = w / static_cast<double>(axes_.size());
    for (std::size_t i = 0; i < axes_.size(); ++i)
        render_axes(o, axes_[i], static_cast<int>(i), slot * i, slot, top0, h);
    o << "</svg>\n";
    return o.str();
}

void Figure::save(const std::string& path) const { io::write_file_atomic(path, svg()); }

}  // namespace soma::plot
