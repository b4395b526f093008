#include "soma/data/transforms.h"

#include <algorithm>
#include <cstring>

#include "soma/ops.h"

namespace soma::data {

namespace {

void check_images(const Tensor& images, const char* op) {
    check(images.defined(), op, ": undefined images");
    check(images.dim() == 4, op, ": expected images (N, C, H, W), got ", images.shape());
    dispatch(images.dtype(), op, [](auto) {});
}

}  // namespace

Tensor normalize(const Tensor& images, const std::vector<double>& mean,
                 const std::vector<double>& std) {
    check_images(images, "normalize");
    const std::int64_t c = images.shape()[1];
    auto per_channel = [&](const std::vector<double>& v, const char* name) {
        check(v.size() == 1 || static_cast<std::int64_t>(v.size()) == c, "normalize: ", name,
              " has ", v.size(), " values for ", c, " channels");
        std::vector<double> out(c);
        for (std::int64_t k = 0; k < c; ++k) out[k] = v.size() == 1 ? v[0] : v[k];
        return out;
    };
    std::vector<double> m = per_channel(mean, "mean"), s = per_channel(std, "std");
    for (double v : s) check(v != 0, "normalize: std must be non-zero");
    const Shape shape{1, c, 1, 1};
    return (images - from_vector(m, shape, images.dtype())) / from_vector(s, shape, images.dtype());
}

Tensor random_crop(const Tensor& images, std::int64_t height, std::int64_t width,
                   std::int64_t padding, Generator& gen, double fill) {
    check_images(images, "random_crop");
    const std::int64_t n = images.shape()[0], c = images.shape()[1];
    const std::int64_t h = images.shape()[2], w = images.shape()[3];
    check(padding >= 0, "random_crop: padding must be non-negative, got ", padding);
    check(height > 0 && width > 0 && height <= h + 2 * padding && width <= w + 2 * padding,
          "random_crop: a ", height, "x", width, " window does not fit images of ", images.shape(),
          " padded by ", padding);
    Tensor x = images.detach().contiguous();
    Tensor out = full({n, c, height, width}, fill, images.dtype());
    dispatch(images.dtype(), "random_crop", [&](auto tag) {
        using T = decltype(tag);
        const T* src = x.data<T>();
        T* dst = out.data<T>();
        for (std::int64_t i = 0; i < n; ++i) {
            // The window's corner in padded coordinates, then shifted into the image's.
            const std::int64_t top = gen.randint(0, h + 2 * padding - height + 1) - padding;
            const std::int64_t left = gen.randint(0, w + 2 * padding - width + 1) - padding;
            const std::int64_t c0 = std::max<std::int64_t>(0, -left);
            const std::int64_t c1 = std::min<std::int64_t>(width, w - left);
            if (c1 <= c0) continue;
            for (std::int64_t ch = 0; ch < c; ++ch)
                for (std::int64_t r = 0; r < height; ++r) {
                    const std::int64_t sr = top + r;
                    if (sr < 0 || sr >= h) continue;
                    const T* from = src + ((i * c + ch) * h + sr) * w + left + c0;
                    T* to = dst + ((i * c + ch) * height + r) * width + c0;
                    std::memcpy(to, from, static_cast<std::size_t>(c1 - c0) * sizeof(T));
                }
        }
    });
    return out;
}

Tensor random_horizontal_flip(const Tensor& images, double p, Generator& gen) {
    check_images(images, "random_horizontal_flip");
    check(p >= 0 && p <= 1, "random_horizontal_flip: probability p must be in [0, 1], got ", p);
    Tensor x = images.detach().contiguous();
    Tensor out = Tensor::empty(images.shape(), images.dtype());
    const std::int64_t n = images.shape()[0];
    const std::int64_t rows = images.shape()[1] * images.shape()[2], w = images.shape()[3];
    dispatch(images.dtype(), "random_horizontal_flip", [&](auto tag) {
        using T = decltype(tag);
        const T* src = x.data<T>();
        T* dst = out.data<T>();
        for (std::int64_t i = 0; i < n; ++i) {
            const bool flip = gen.uniform() < p;
            const std::int64_t base = i * rows * w;
            if (!flip) {
                std::memcpy(dst + base, src + base, static_cast<std::size_t>(rows * w) * sizeof(T));
                continue;
            }
            for (std::int64_t r = 0; r < rows; ++r)
                std::reverse_copy(src + base + r * w, src + base + (r + 1) * w, dst + base + r * w);
        }
    });
    return out;
}

}  // namespace soma::data
