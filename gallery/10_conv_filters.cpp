// 10: convolutions on the slide's terms. A moving window with shared weights, written out by
// hand and compared with conv1d/conv2d; edge filters on a Fashion-MNIST image; and the 3x3
// filters the Fashion-MNIST CNN learns in its first layer, drawn as an image grid.

#include <algorithm>
#include <cmath>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/data/fashion_mnist.h"
#include "soma/nn/conv.h"
#include "soma/ops.h"
#include "soma/ops_conv.h"
#include "soma/plot/png.h"
#include "soma/train/fmnist.h"

namespace soma::gallery {

namespace {

using data::datasets::FashionMNIST;

// y[i] = sum_k w[k] x[i + k]: the same weights at every window position.
std::vector<double> window_1d(const std::vector<double>& x, const std::vector<double>& w) {
    std::vector<double> y(x.size() - w.size() + 1, 0.0);
    for (std::size_t i = 0; i < y.size(); ++i)
        for (std::size_t k = 0; k < w.size(); ++k) y[i] += w[k] * x[i + k];
    return y;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
    return d;
}

// Each image of (N, 1, H, W) stretched to [0, 1] on its own (filters and responses have
// arbitrary scales).
Tensor stretch(const Tensor& x) {
    std::vector<float> v = x.contiguous().to_vector<float>();
    const std::int64_t n = x.size(0), per = x.numel() / n;
    for (std::int64_t i = 0; i < n; ++i) {
        auto b = v.begin() + i * per, e = b + per;
        const float lo = *std::min_element(b, e), hi = *std::max_element(b, e);
        for (auto it = b; it != e; ++it) *it = hi > lo ? (*it - lo) / (hi - lo) : 0.5f;
    }
    return from_vector(v, x.shape());
}

Result run_conv_filters(Context& ctx) {
    Result r;
    // 1-D: a step signal, a difference kernel that responds where the signal changes.
    const std::vector<double> x = {0, 0, 0, 1, 1, 1, 1, 0, 0, 2, 2, 2};
    const std::vector<double> w = {-1, 0, 1};
    const std::vector<double> by_hand = window_1d(x, w);
    const Tensor y1 = conv1d(from_vector(x, {1, 1, std::int64_t(x.size())}, kFloat64),
                             from_vector(w, {1, 1, 3}, kFloat64));
    const std::vector<double> by_op = y1.to_vector<double>();
    r.metrics["diff_1d"] = max_diff(by_hand, by_op);
    ctx.out() << "1-D: x = [0 0 0 1 1 1 1 0 0 2 2 2], w = [-1 0 1], y[i] = w . x[i..i+2]\n";
    for (std::size_t i = 0; i < by_hand.size(); ++i)
        ctx.out() << strf("  window %2zu: [%g %g %g] -> %g (conv1d: %g)\n", i, x[i], x[i + 1],
                          x[i + 2], by_hand[i], by_op[i]);

    if (!FashionMNIST::available()) {
        r.ok = false;
        r.summary = "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
        return r;
    }
    // 2-D: Sobel filters on a training image, the window loop against conv2d.
    const Tensor normalized = train::fmnist_normalized(data::datasets::Split::Train)->inputs();
    const Tensor img =
        (normalized.narrow(0, 0, 1).to(kFloat64) * train::kFmnistStd + train::kFmnistMean)
            .detach();  // (1, 1, 28, 28) in [0, 1]
    const Tensor sobel = from_vector(std::vector<double>{-1, 0, 1, -2, 0, 2, -1, 0, 1,  //
                                                         -1, -2, -1, 0, 0, 0, 1, 2, 1},
                                     {2, 1, 3, 3}, kFloat64);
    const Tensor edges = conv2d(img, sobel, Tensor(), 1, 1);  // (1, 2, 28, 28)
    const std::vector<double> px = img.to_vector<double>(), k = sobel.to_vector<double>();
    const std::vector<double> e = edges.to_vector<double>();
    double d2 = 0;
    for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 28; ++i)
            for (int j = 0; j < 28; ++j) {
                double s = 0;
                for (int a = 0; a < 3; ++a)
                    for (int b = 0; b < 3; ++b) {
                        const int yy = i + a - 1, xx = j + b - 1;
                        if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28)
                            s += k[c * 9 + a * 3 + b] * px[yy * 28 + xx];
                    }
                d2 = std::max(d2, std::abs(s - e[(c * 28 + i) * 28 + j]));
            }
    r.metrics["diff_2d"] = d2;
    const std::string edge_png = ctx.path("10_conv_edges.png");
    plot::save_png_grid(edge_png, stretch(cat({img, edges.transpose(0, 1)}, 0).to(kFloat32)), 3,
                        {.scale = 4});
    r.figures.push_back(edge_png);

    // The CNN's first layer after a short training run: 32 filters of 3x3.
    train::FmnistOptions o{.model = "cnn",
                           .epochs = 1,
                           .seed = ctx.seed + 1,
                           .subset = ctx.quick ? 1000 : 10000,
                           .val_size = ctx.quick ? 200 : 1000,
                           .test_size = ctx.quick ? 200 : 2000,
                           .log = &ctx.out()};
    train::FmnistRun run = train::train_fmnist(o);
    const Tensor filters = run.model->at<nn::Conv2d>(0).weight.detach();  // (32, 1, 3, 3)
    const std::string filt_png = ctx.path("10_conv_learned_filters.png");
    plot::save_png_grid(filt_png, stretch(filters), 8, {.padding = 2, .scale = 16});
    r.figures.push_back(filt_png);
    // What each learned filter picks out of the image.
    NoGrad no_grad;
    const Tensor maps = run.model->at<nn::Conv2d>(0)(normalized.narrow(0, 0, 1));
    const std::string maps_png = ctx.path("10_conv_feature_maps.png");
    plot::save_png_grid(maps_png, stretch(maps.transpose(0, 1)), 8, {.scale = 3});
    r.figures.push_back(maps_png);

    r.metrics["filters"] = double(filters.size(0));
    r.metrics["cnn_accuracy"] = run.test.accuracy;
    r.ok = r.metrics["diff_1d"] < 1e-12 && d2 < 1e-12 && run.test.accuracy > 0.55;
    r.summary = strf(
        "window loop = conv1d/conv2d (max diff %.1e, %.1e); CNN trained on %lld "
        "images: %.1f%% test accuracy, its 32 first-layer 3x3 filters drawn",
        r.metrics["diff_1d"], d2, static_cast<long long>(o.subset), 100 * run.test.accuracy);
    return r;
}

}  // namespace

Entry conv_filters_entry() {
    return {
        .name = "10_conv_filters",
        .slide = "Convolutions",
        .caption =
            "A convolution slides one small set of shared weights over its input. In 1-D the "
            "window [-1 0 1] moved along a step signal answers where the signal changes; in 2-D "
            "the Sobel filters answer where an image's brightness changes, left-right and up-down "
            "(the printout and max differences show the hand-written window loop equals conv1d and "
            "conv2d). The last grids show the 32 first-layer 3x3 filters a Fashion-MNIST CNN "
            "learns and what each of them picks out of the same image.",
        .run = run_conv_filters};
}

}  // namespace soma::gallery
