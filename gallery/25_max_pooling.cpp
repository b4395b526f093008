// 25: the tricks slide's max pooling: the same convolutional feature extractor with and without
// 2x2 max pooling after each convolution, and how much its features change when the image moves
// by one pixel. Pooling keeps the largest response of each window, so a small shift often leaves
// it in place: the pooled features move less, and each layer holds a quarter of the values.

#include <cmath>
#include <memory>
#include <ostream>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/conv.h"
#include "soma/nn/pool.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"
#include "soma/random.h"

namespace soma::gallery {

namespace {

constexpr std::int64_t kSide = 28, kCanvas = kSide + 2;

// n images (n, 1, 30, 30): each a sum of three small Gaussian blobs of random place, width and
// height, so that a crop shifted by one pixel shows the same scene moved.
Tensor blob_canvases(std::int64_t n, Generator& gen) {
    std::vector<float> px(static_cast<std::size_t>(n * kCanvas * kCanvas), 0.0f);
    for (std::int64_t i = 0; i < n; ++i)
        for (int b = 0; b < 3; ++b) {
            const double cy = 4 + 22 * gen.uniform(), cx = 4 + 22 * gen.uniform();
            const double s = 0.7 + 1.3 * gen.uniform(), a = 0.5 + gen.uniform();
            for (std::int64_t y = 0; y < kCanvas; ++y)
                for (std::int64_t x = 0; x < kCanvas; ++x)
                    px[(i * kCanvas + y) * kCanvas + x] += static_cast<float>(
                        a * std::exp(-((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (2 * s * s)));
        }
    return from_vector(px, {n, 1, kCanvas, kCanvas});
}

// The 28x28 crop at (dy, dx) of the 30x30 canvases: (n, 1, 28, 28).
Tensor crop(const Tensor& canvases, std::int64_t dy, std::int64_t dx) {
    return canvases.narrow(2, dy, kSide).narrow(3, dx, kSide).contiguous();
}

// conv 1->16 3x3, ReLU, [max pool 2], conv 16->32 3x3, ReLU, [max pool 2]: the classifier
// recipe's feature extractor, without biases (a bias would add a constant background to every
// map, which no shift changes). The stages after which features are compared are returned too.
std::shared_ptr<nn::Sequential> make_features(bool pool, std::vector<std::int64_t>& stage_ends) {
    auto net = std::make_shared<nn::Sequential>();
    for (auto [in, out] : {std::pair<std::int64_t, std::int64_t>{1, 16}, {16, 32}}) {
        net->push_back(std::make_shared<nn::Conv2d>(nn::ConvOptions{.in_channels = in,
                                                                    .out_channels = out,
                                                                    .kernel_size = 3,
                                                                    .padding = 1,
                                                                    .bias = false}));
        net->push_back(std::make_shared<nn::ReLU>());
        if (pool)
            net->push_back(std::make_shared<nn::MaxPool2d>(nn::MaxPoolOptions{.kernel_size = 2}));
        stage_ends.push_back(std::int64_t(net->size()));
    }
    return net;
}

// ||f(a) - f(b)|| / ||f(a)|| after each stage, and each stage's output shape.
struct StageChange {
    std::vector<double> change;
    std::vector<Shape> shapes;
};
StageChange stage_changes(nn::Sequential& net, const std::vector<std::int64_t>& ends,
                          const Tensor& a, const Tensor& b) {
    NoGrad no_grad;
    StageChange r;
    Tensor fa = a, fb = b;
    std::int64_t layer = 0;
    for (std::int64_t end : ends) {
        for (; layer < end; ++layer) fa = net[layer](fa), fb = net[layer](fb);
        const Tensor d = sub(fa, fb);
        r.change.push_back(
            std::sqrt(sum(mul(d, d)).item<double>() / sum(mul(fa, fa)).item<double>()));
        r.shapes.push_back(fa.shape());
    }
    return r;
}

Result run_max_pooling(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 100 + 25);
    const Tensor canvases = blob_canvases(ctx.quick ? 64 : 256, gen);
    const Tensor still = crop(canvases, 1, 1);
    // One-pixel moves: right, left, down, up.
    const std::vector<std::pair<std::int64_t, std::int64_t>> moves = {
        {1, 2}, {1, 0}, {2, 1}, {0, 1}};
    const std::vector<std::string> names = {"no pooling", "max pooling 2x2"};
    std::vector<double> change[2];
    std::vector<Shape> shapes[2];
    for (int pool = 0; pool < 2; ++pool) {
        manual_seed(ctx.seed * 1000 + 25);  // the same convolution weights in both nets
        std::vector<std::int64_t> ends;
        auto net = make_features(pool == 1, ends);
        std::vector<double> mean(ends.size(), 0.0);
        for (auto [dy, dx] : moves) {
            const StageChange s = stage_changes(*net, ends, still, crop(canvases, dy, dx));
            for (std::size_t k = 0; k < ends.size(); ++k)
                mean[k] += s.change[k] / double(moves.size());
            shapes[pool] = s.shapes;
        }
        change[pool] = mean;
    }
    out << strf("%8s %18s %14s %18s %14s\n", "stage", "shape (no pool)", "change", "shape (pool)",
                "change");
    for (std::size_t k = 0; k < change[0].size(); ++k) {
        auto shape_text = [](const Shape& s) {
            return strf("%lldx%lldx%lld", static_cast<long long>(s[1]),
                        static_cast<long long>(s[2]), static_cast<long long>(s[3]));
        };
        out << strf("%8zu %18s %13.1f%% %18s %13.1f%%\n", k + 1, shape_text(shapes[0][k]).c_str(),
                    100 * change[0][k], shape_text(shapes[1][k]).c_str(), 100 * change[1][k]);
    }

    std::vector<double> stage = {1, 2};
    std::vector<double> values[2];
    for (int pool = 0; pool < 2; ++pool)
        for (const Shape& s : shapes[pool]) values[pool].push_back(double(s[1] * s[2] * s[3]));
    plot::Figure fig({.title = "Features under one-pixel shifts of the image, with and without max "
                               "pooling",
                      .width = 1100,
                      .height = 420},
                     {{.title = "relative change of the features (mean over 4 shifts)",
                       .xlabel = "conv stage",
                       .ylabel = "|f(x) - f(shifted x)| / |f(x)|",
                       .ylim = plot::Range{0, 1.5},
                       .legend = plot::Legend::TopLeft},
                      {.title = "values per image after each stage",
                       .xlabel = "conv stage",
                       .ylabel = "values",
                       .logy = true,
                       .legend = plot::Legend::BottomLeft}});
    for (int pool = 0; pool < 2; ++pool) {
        fig.axes(0).line(stage, change[pool], names[pool]);
        fig.axes(1).line(stage, values[pool], names[pool]);
    }
    Result result;
    result.figures.push_back(ctx.path("25_max_pooling.svg"));
    fig.save(result.figures.back());

    auto& m = result.metrics;
    m["change_no_pool_stage1"] = change[0][0];
    m["change_no_pool_stage2"] = change[0][1];
    m["change_pool_stage1"] = change[1][0];
    m["change_pool_stage2"] = change[1][1];
    m["values_no_pool_stage2"] = values[0][1];
    m["values_pool_stage2"] = values[1][1];
    result.ok = change[1][1] < 0.8 * change[0][1] && change[1][0] < change[0][0] &&
                values[1][1] * 16 == values[0][1];
    result.summary = strf(
        "one-pixel shifts change the features by %.1f%% / %.1f%% after conv stages 1 / 2 without "
        "pooling, %.1f%% / %.1f%% with 2x2 max pooling, which also cuts the values per image from "
        "%.0f to %.0f",
        100 * change[0][0], 100 * change[0][1], 100 * change[1][0], 100 * change[1][1],
        values[0][1], values[1][1]);
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry max_pooling_entry() {
    return {
        .name = "25_max_pooling",
        .slide = "Recent innovations and tricks: Max pooling",
        .caption =
            "\"Max pooling\": the classifier recipe's convolutional feature extractor (conv "
            "3x3, ReLU, twice; 16 and 32 channels, the same random weights, no biases) with and "
            "without "
            "2x2 max pooling after each convolution, on images of three small Gaussian "
            "blobs each, cropped from a larger canvas so that a shifted crop shows the same scene "
            "moved by one pixel. Left: how much the features change under a one-pixel shift, "
            "relative to their size, after each stage: a pooled feature keeps the largest "
            "response of its window, which a small shift often leaves in the window, so the "
            "pooled features move less, and less again after the second pooling. Right: each "
            "pooling also divides the values per image by four, which is what lets a CNN "
            "grow its channels as its maps shrink.",
        .run = run_max_pooling};
}

}  // namespace soma::gallery
