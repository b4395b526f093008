// Image transforms: normalize, random crop with padding, horizontal flip; seeded.
#include <gtest/gtest.h>

#include "soma/data/transforms.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::data {
namespace {

using test::expect_close;
using test::expect_error;

// (N, C, H, W) with distinct values: element k holds k.
Tensor counting(const Shape& shape) {
    return arange(static_cast<double>(shape.numel())).reshape(shape);
}

// The (h, w) window at (top, left) of x padded by p zeros, for one image: the naive reference.
Tensor window(const Tensor& image, std::int64_t top, std::int64_t left, std::int64_t h,
              std::int64_t w, std::int64_t p) {
    const std::int64_t c = image.size(0), H = image.size(1), W = image.size(2);
    Tensor padded = zeros({c, H + 2 * p, W + 2 * p});
    padded.narrow(1, p, H).narrow(2, p, W).copy_(image);
    return padded.narrow(1, top, h).narrow(2, left, w);
}

TEST(Transforms, NormalizePerChannel) {
    Tensor x = counting({2, 3, 2, 2});
    Tensor y = normalize(x, {1, 2, 3}, {2, 4, 8});
    EXPECT_FLOAT_EQ(y.at<float>({1, 2, 1, 0}), (x.at<float>({1, 2, 1, 0}) - 3) / 8);
    EXPECT_FLOAT_EQ(y.at<float>({0, 0, 0, 0}), -0.5f);
    expect_close(normalize(x, {0.5}, {0.25}), (x - 0.5) / 0.25, 0, 1e-6, "one value for all");
    expect_error([&] { normalize(x, {1, 2}, {1}); }, "normalize: mean has 2 values for 3 channels");
    expect_error([&] { normalize(x, {0}, {0}); }, "std must be non-zero");
    expect_error([&] { normalize(zeros({3, 4}), {0}, {1}); }, "expected images (N, C, H, W)");
}

TEST(Transforms, RandomCropMatchesPaddedWindow) {
    Tensor x = counting({5, 2, 6, 7});
    const std::int64_t h = 5, w = 6, p = 2;
    Generator gen(8), replay(8);
    Tensor y = random_crop(x, h, w, p, gen);
    EXPECT_EQ(y.shape(), (Shape{5, 2, 5, 6}));
    bool moved = false;
    for (std::int64_t i = 0; i < 5; ++i) {
        // The same draws, in the same order, as the transform makes.
        std::int64_t top = replay.randint(0, 6 + 2 * p - h + 1);
        std::int64_t left = replay.randint(0, 7 + 2 * p - w + 1);
        moved = moved || top != p || left != p;
        EXPECT_TRUE(allclose(y.select(0, i), window(x.select(0, i), top, left, h, w, p), 0, 0))
            << "image " << i;
    }
    EXPECT_TRUE(moved);
    Generator again(8);
    EXPECT_TRUE(allclose(random_crop(x, h, w, p, again), y, 0, 0));
    // No padding and the full size: nothing to choose, the identity.
    EXPECT_TRUE(allclose(random_crop(x, 6, 7, 0, gen), x, 0, 0));
    expect_error([&] { random_crop(x, 11, 7, 2, gen); }, "a 11x7 window does not fit");
}

TEST(Transforms, RandomCropFillsThePaddingWithTheGivenValue) {
    // A 1x1 window of a 1x1 image padded by 1: eight in nine positions land on padding.
    Tensor x = full({64, 1, 1, 1}, 5.0, DType::Float64);
    Generator gen(3);
    Tensor y = random_crop(x, 1, 1, 1, gen, -0.5);
    int fill = 0, image = 0;
    for (double v : y.to_vector<double>()) {
        ASSERT_TRUE(v == -0.5 || v == 5.0) << v;
        (v == -0.5 ? fill : image)++;
    }
    EXPECT_GT(fill, 40);
    EXPECT_GT(image, 0);
}

TEST(Transforms, HorizontalFlip) {
    Tensor x = counting({6, 2, 3, 4});
    Generator gen(1);
    Tensor all = random_horizontal_flip(x, 1.0, gen);
    EXPECT_FLOAT_EQ(all.at<float>({2, 1, 2, 0}), x.at<float>({2, 1, 2, 3}));
    EXPECT_TRUE(allclose(random_horizontal_flip(all, 1.0, gen), x, 0, 0));
    EXPECT_TRUE(allclose(random_horizontal_flip(x, 0.0, gen), x, 0, 0));
    Generator g1(4), g2(4), replay(4);
    Tensor half = random_horizontal_flip(x, 0.5, g1);
    EXPECT_TRUE(allclose(random_horizontal_flip(x, 0.5, g2), half, 0, 0));
    for (std::int64_t i = 0; i < 6; ++i) {
        const bool flipped = replay.uniform() < 0.5;
        EXPECT_TRUE(allclose(half.select(0, i), (flipped ? all : x).select(0, i), 0, 0)) << i;
    }
}

}  // namespace
}  // namespace soma::data
