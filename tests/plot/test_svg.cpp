// The SVG writer: well-formed documents with the expected structure, nice ticks, errors.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "plot/xml_check.h"
#include "soma/error.h"
#include "soma/plot/svg.h"

namespace soma::plot {
namespace {

using test::XmlNode;
using test::XmlParser;

XmlNode parse_ok(const std::string& svg) {
    XmlParser parser(svg);
    XmlNode root = parser.parse();
    EXPECT_EQ(parser.error(), "") << svg.substr(0, 2000);
    EXPECT_EQ(root.name, "svg");
    return root;
}

std::vector<std::string> texts(const XmlNode& root) {
    std::vector<std::string> out;
    for (const XmlNode* t : root.all("text")) out.push_back(t->all_text());
    return out;
}

bool has_text(const XmlNode& root, const std::string& s) {
    for (const std::string& t : texts(root))
        if (t == s) return true;
    return false;
}

bool is_nice(double step) {
    double mag = std::pow(10.0, std::floor(std::log10(step)));
    double m = step / mag;
    for (double ok : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (std::abs(m - ok) < 1e-9) return true;
    return false;
}

TEST(PlotTicks, NiceStepsInsideTheRange) {
    struct Case {
        double lo, hi;
    };
    for (Case c : {Case{0, 1}, Case{-4, 4}, Case{0.013, 0.987}, Case{-2.1, 2.1}, Case{3, 1e4},
                   Case{-1e-5, 3e-5}, Case{99.5, 100.5}, Case{-7.3, -0.2}}) {
        std::vector<double> t = nice_ticks(c.lo, c.hi, 6);
        ASSERT_GE(t.size(), 3u) << c.lo << " " << c.hi;
        EXPECT_LE(t.size(), 7u);  // at most 6 intervals
        double step = t[1] - t[0];
        EXPECT_TRUE(is_nice(step)) << step;
        for (std::size_t i = 0; i < t.size(); ++i) {
            EXPECT_GE(t[i], c.lo - 1e-12);
            EXPECT_LE(t[i], c.hi + 1e-12);
            EXPECT_NEAR(t[i] / step, std::round(t[i] / step), 1e-9);  // multiples of the step
        }
    }
    EXPECT_EQ(nice_ticks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
    EXPECT_THROW(nice_ticks(1, 1), Error);
}

TEST(PlotTicks, LabelsHaveJustEnoughDecimals) {
    EXPECT_EQ(format_tick(0.30000000000000004, 0.1), "0.3");
    EXPECT_EQ(format_tick(0.25, 0.25), "0.25");
    EXPECT_EQ(format_tick(1000, 500), "1000");
    EXPECT_EQ(format_tick(-0.0, 0.5), "0.0");
    EXPECT_EQ(format_tick(-1e-17, 0.25), "0.00");
    EXPECT_EQ(format_tick(2e6, 1e6), "2e+06");
    EXPECT_EQ(format_tick(2e-5, 1e-5), "2e-05");
}

TEST(PlotTicks, LogTicksArePowersOfTen) {
    EXPECT_EQ(log_ticks(0.5, 2000), (std::vector<double>{1, 10, 100, 1000}));
    // Within two decades, 2x and 5x fill in.
    EXPECT_EQ(log_ticks(0.013, 1.4), (std::vector<double>{0.02, 0.05, 0.1, 0.2, 0.5, 1}));
    EXPECT_THROW(log_ticks(0, 1), Error);
}

TEST(PlotSvg, LinePlotIsWellFormedWithLegendAndLabels) {
    Figure fig({.title = "Loss & accuracy <test>", .xlabel = "epoch", .ylabel = "loss"});
    fig.line({0, 1, 2, 3}, {4, 3, 2.5, 2.2}, "train");
    fig.line({0, 1, 2, 3}, {4.2, 3.5, 3.1, 3.0}, "test \"held out\"", {.dashed = true});
    XmlNode root = parse_ok(fig.svg());
    EXPECT_EQ(root.attrs.at("width"), "640");
    EXPECT_EQ(root.attrs.at("height"), "420");
    EXPECT_TRUE(has_text(root, "Loss &amp; accuracy &lt;test&gt;"));  // escaped
    EXPECT_TRUE(has_text(root, "epoch"));
    EXPECT_TRUE(has_text(root, "loss"));
    EXPECT_TRUE(has_text(root, "train"));
    EXPECT_TRUE(has_text(root, "test &quot;held out&quot;"));
    // Two data paths (one dashed) and legend swatches.
    int data_paths = 0, dashed = 0;
    for (const XmlNode* p : root.all("path")) {
        data_paths += p->attrs.at("d").rfind("M", 0) == 0;
        dashed += p->attrs.count("stroke-dasharray");
    }
    EXPECT_EQ(data_paths, 2);
    EXPECT_EQ(dashed, 1);
    EXPECT_EQ(root.all("clipPath").size(), 1u);
    // x ticks 0 .. 3 as numbers (labels in the xticks group).
    for (const XmlNode* g : root.all("g"))
        if (g->attrs.count("class") && g->attrs.at("class") == "xticks") {
            std::vector<std::string> labels;
            for (const XmlNode* t : g->all("text")) labels.push_back(t->all_text());
            EXPECT_EQ(labels,
                      (std::vector<std::string>{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"}));
        }
}

TEST(PlotSvg, NanBreaksALineAndLogScaleSkipsNonPositive) {
    Figure fig({.logy = true});
    fig.line({1, 2, 3, 4, 5}, {10, NAN, 100, -1, 1000}, "y");
    XmlNode root = parse_ok(fig.svg());
    std::string d;
    for (const XmlNode* p : root.all("path"))
        if (p->attrs.at("d").rfind("M", 0) == 0) d = p->attrs.at("d");
    // Three separate pieces, each one point: M x y M x y M x y.
    EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 3) << d;
    EXPECT_EQ(std::count(d.begin(), d.end(), 'L'), 0) << d;
    EXPECT_TRUE(has_text(root, "10"));
    EXPECT_TRUE(has_text(root, "100"));
    EXPECT_TRUE(has_text(root, "1000"));
}

TEST(PlotSvg, ScatterClassesGetMarkersAndNames) {
    Figure fig;
    fig.axes().scatter_classes({0, 1, 2, 3, 4}, {1, 0, 1, 0, 1}, {0, 1, 0, 1, 2}, {"neg", "pos"});
    XmlNode root = parse_ok(fig.svg());
    EXPECT_TRUE(has_text(root, "neg"));
    EXPECT_TRUE(has_text(root, "pos"));
    EXPECT_TRUE(has_text(root, "class 2"));
    // Class 0: circles (2 points + legend), class 1: squares, class 2: triangle polygons.
    EXPECT_EQ(root.all("circle").size(), 3u);
    EXPECT_EQ(root.all("polygon").size(), 2u);
}

TEST(PlotSvg, ScatterPointsOutsideTheLimitsAreDropped) {
    Figure fig({.xlim = Range{0, 1}, .ylim = Range{0, 1}});
    fig.scatter({0.5, 2, 0, 1}, {0.5, 0.5, 0, 1}, "", {.marker = Marker::Circle});
    EXPECT_EQ(parse_ok(fig.svg()).all("circle").size(), 3u);
}

TEST(PlotSvg, HeatmapEmbedsAPngAndAColorbar) {
    std::vector<double> v = {0, 1, 2, 3, 4, NAN};  // 2 rows x 3 cols
    Figure fig({.title = "regions"});
    fig.heatmap(v, 2, 3, {.x0 = -1, .x1 = 1, .y0 = 0, .y1 = 2, .label = "value"});
    fig.scatter({0}, {1}, "point");
    XmlNode root = parse_ok(fig.svg());
    auto images = root.all("image");
    ASSERT_EQ(images.size(), 2u);  // the map and the colour bar
    for (const XmlNode* im : images)
        EXPECT_EQ(im->attrs.at("xlink:href").rfind("data:image/png;base64,iVBORw0KGgo", 0), 0u);
    EXPECT_TRUE(has_text(root, "value"));
    EXPECT_TRUE(has_text(root, "point"));
    // The x axis is exactly the extent: its ticks run from -1 to 1.
    for (const XmlNode* g : root.all("g"))
        if (g->attrs.count("class") && g->attrs.at("class") == "xticks") {
            auto labels = g->all("text");
            ASSERT_GE(labels.size(), 3u);
            EXPECT_EQ(std::stod(labels.front()->all_text()), -1);
            EXPECT_EQ(std::stod(labels.back()->all_text()), 1);
        }
}

// Labels of the tick group of that class ("xticks" or "yticks"), in order.
std::vector<std::string> tick_labels(const XmlNode& root, const std::string& group) {
    std::vector<std::string> labels;
    for (const XmlNode* g : root.all("g"))
        if (g->attrs.count("class") && g->attrs.at("class") == group)
            for (const XmlNode* t : g->all("text")) labels.push_back(t->all_text());
    return labels;
}

TEST(PlotSvg, HandPlacedTicksCarryTheirLabels) {
    // A letters x phonemes heat map: one tick per cell centre; ticks outside the range vanish.
    Figure fig({.xticks = {{0, "c"}, {1, "a"}, {2, "t"}, {7, "outside"}},
                .yticks = {{0, "K"}, {1, "AE"}, {2, "T<"}}});
    fig.heatmap(std::vector<double>(9, 0.5), 3, 3, {.x0 = -0.5, .x1 = 2.5, .y0 = -0.5, .y1 = 2.5});
    XmlNode root = parse_ok(fig.svg());
    EXPECT_EQ(tick_labels(root, "xticks"), (std::vector<std::string>{"c", "a", "t"}));
    EXPECT_EQ(tick_labels(root, "yticks"), (std::vector<std::string>{"K", "AE", "T&lt;"}));
    // Without them the axis keeps its numbers.
    Figure plain;
    plain.line({0, 1}, {0, 1});
    EXPECT_EQ(tick_labels(parse_ok(plain.svg()), "xticks").front(), "0.0");
}

TEST(PlotSvg, PanelsSideBySide) {
    Figure fig({.title = "three", .width = 900, .height = 300},
               {{.title = "a"}, {.title = "b", .logy = true}, {.title = "c"}});
    fig.axes(0).line({0, 1}, {0, 1});
    fig.axes(1).line({0, 1}, {1, 100});
    fig.axes(2).heatmap({0, 1, 2, 3}, 2, 2);
    XmlNode root = parse_ok(fig.svg());
    int panels = 0;
    for (const XmlNode* g : root.all("g"))
        panels += g->attrs.count("class") && g->attrs.at("class") == "panel";
    EXPECT_EQ(panels, 3);
    for (const char* t : {"three", "a", "b", "c"}) EXPECT_TRUE(has_text(root, t)) << t;
    // Clip ids are unique within the document.
    auto clips = root.all("clipPath");
    ASSERT_EQ(clips.size(), 3u);
    EXPECT_NE(clips[0]->attrs.at("id"), clips[1]->attrs.at("id"));
    EXPECT_THROW(fig.axes(3), Error);
}

TEST(PlotSvg, TensorsPlotLikeVectors) {
    Figure a, b;
    a.axes().line(linspace(0, 1, 5), linspace(0, 2, 5), "t");
    b.line({0, 0.25, 0.5, 0.75, 1}, {0, 0.5, 1, 1.5, 2}, "t");
    EXPECT_EQ(a.svg(), b.svg());
    EXPECT_THROW(a.axes().line(zeros({2, 2}), zeros({2, 2})), Error);
}

TEST(PlotSvg, BadInputIsRejected) {
    Figure fig;
    EXPECT_THROW(fig.line({1, 2}, {1}), Error);
    EXPECT_THROW(fig.heatmap({1, 2, 3}, 2, 2), Error);
    EXPECT_THROW(fig.heatmap({1, 2, 3, 4}, 2, 2, {.x0 = 1, .x1 = 1}), Error);
    EXPECT_THROW(Figure({}, {}), Error);
    EXPECT_THROW(Figure({.width = 10}).svg(), Error);
    EXPECT_THROW(Figure({.xlim = Range{1, 1}}).svg(), Error);
    EXPECT_THROW(Figure({.logy = true, .ylim = Range{0, 1}}).svg(), Error);
}

TEST(PlotSvg, SaveWritesAtomically) {
    test::TempDir dir;
    Figure fig({.title = "saved"});
    fig.line({0, 1}, {1, 0}, "l");
    fig.save(dir.file("a.svg"));
    EXPECT_EQ(test::read_bytes(dir.file("a.svg")), fig.svg());
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.svg"});  // no temporary left
    EXPECT_THROW(fig.save(dir.file("missing/a.svg")), Error);
}

TEST(PlotSvg, EmptyFigureStillRenders) {
    XmlNode root = parse_ok(Figure().svg());
    EXPECT_FALSE(root.all("rect").empty());
}

}  // namespace
}  // namespace soma::plot
