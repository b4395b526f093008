// PNG image grids: layout, pixel values, a round trip through libpng, and the file's header.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "soma/error.h"
#include "soma/plot/png.h"

namespace soma::plot {
namespace {

std::uint32_t big_endian32(const std::string& b, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[at])) << 24 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 1])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 2])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + 3]));
}

// Image k of a gray (N, H, W) batch has every pixel at k / (N - 1), except pixel (0, 0) = 1.
Tensor ramp(std::int64_t n, std::int64_t h, std::int64_t w) {
    std::vector<float> v;
    for (std::int64_t k = 0; k < n; ++k)
        for (std::int64_t i = 0; i < h * w; ++i)
            v.push_back(i == 0 ? 1.0f : static_cast<float>(k) / static_cast<float>(n - 1));
    return from_vector(v, {n, h, w});
}

TEST(PlotPng, GridLayoutAndPixels) {
    // 5 images of 3x4 in 2 columns: 3 rows; padding 1, background black.
    Image img = make_grid(ramp(5, 3, 4), 2, {.padding = 1, .background = 0});
    EXPECT_EQ(img.channels, 1);
    EXPECT_EQ(img.width, 2 * (4 + 1) + 1);
    EXPECT_EQ(img.height, 3 * (3 + 1) + 1);
    auto px = [&](int x, int y) { return img.pixels[y * img.width + x]; };
    EXPECT_EQ(px(0, 0), 0);        // padding
    EXPECT_EQ(px(1, 1), 255);      // image 0, pixel (0, 0)
    EXPECT_EQ(px(2, 1), 0);        // image 0 elsewhere: 0 / 4
    EXPECT_EQ(px(7, 2), 64);       // image 1 (top right): 0.25 -> 64 (rounded)
    EXPECT_EQ(px(2, 5 + 1), 128);  // image 2 (second row, left): 0.5 -> 128
    EXPECT_EQ(px(7, 9 + 1), 0);    // slot 5 of the last row is empty: background
}

TEST(PlotPng, RgbValuesClampedAndScaled) {
    // One 1x2 RGB image (N, C, H, W): pixel 0 = (-1, 0.5, 2) -> (0, 128, 255), pixel 1 = NaN -> 0.
    Tensor t = from_vector(std::vector<float>{-1, NAN, 0.5f, 1, 2, 0}, {1, 3, 1, 2});
    Image img = make_grid(t, 4, {.padding = 0, .scale = 2});
    EXPECT_EQ(img.channels, 3);
    EXPECT_EQ(img.width, 4);
    EXPECT_EQ(img.height, 2);
    std::vector<std::uint8_t> first(img.pixels.begin(), img.pixels.begin() + 3);
    EXPECT_EQ(first, (std::vector<std::uint8_t>{0, 128, 255}));
    // scale 2: pixel (1, 1) of the output is still image pixel 0; (2, 0) is image pixel 1.
    EXPECT_EQ(img.pixels[(1 * 4 + 1) * 3 + 2], 255);
    EXPECT_EQ(img.pixels[(0 * 4 + 2) * 3 + 0], 0);
    EXPECT_EQ(img.pixels[(0 * 4 + 2) * 3 + 1], 255);
}

TEST(PlotPng, RoundTripThroughLibpng) {
    test::TempDir dir;
    const std::string path = dir.file("grid.png");
    Tensor images = ramp(6, 5, 7);
    save_png_grid(path, images, 3);
    Image expected = make_grid(images, 3);

    // The header as the PNG specification lays it out: signature, IHDR width and height.
    std::string bytes = test::read_bytes(path);
    ASSERT_GT(bytes.size(), 33u);
    EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_EQ(bytes.substr(12, 4), "IHDR");
    EXPECT_EQ(big_endian32(bytes, 16), static_cast<std::uint32_t>(expected.width));
    EXPECT_EQ(big_endian32(bytes, 20), static_cast<std::uint32_t>(expected.height));
    EXPECT_EQ(bytes[24], 8);  // bit depth
    EXPECT_EQ(bytes[25], 0);  // gray

    Image back = read_png(path);
    EXPECT_EQ(back.width, 3 * (7 + 2) + 2);
    EXPECT_EQ(back.height, 2 * (5 + 2) + 2);
    EXPECT_EQ(back.channels, 1);
    EXPECT_EQ(back.pixels, expected.pixels);
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"grid.png"});
}

TEST(PlotPng, RgbaRoundTrip) {
    test::TempDir dir;
    Image img{3, 2, 4, {}};
    for (int i = 0; i < 24; ++i) img.pixels.push_back(static_cast<std::uint8_t>(i * 10));
    save_png(dir.file("a.png"), img);
    Image back = read_png(dir.file("a.png"));
    EXPECT_EQ(back.channels, 4);
    EXPECT_EQ(back.pixels, img.pixels);
}

TEST(PlotPng, ErrorsNameTheProblem) {
    test::TempDir dir;
    auto message = [](auto&& f) {
        try {
            f();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message([] {
                  make_grid(zeros({4, 4}), 2);
              }).find("(N, H, W) or (N, C, H, W)"),
              std::string::npos);
    EXPECT_NE(message([] {
                  make_grid(zeros({2, 2, 4, 4}), 2);
              }).find("1 or 3 channels"),
              std::string::npos);
    EXPECT_NE(message([] { make_grid(zeros({2, 4, 4}), 0); }).find("cols"), std::string::npos);
    EXPECT_NE(message([] { encode_png(Image{}); }).find("empty image"), std::string::npos);
    test::write_bytes(dir.file("text.png"), "not a png at all");
    EXPECT_NE(message([&] { read_png(dir.file("text.png")); }).find("is not a PNG file"),
              std::string::npos);
    // A valid signature followed by garbage: libpng's complaint, with the file's name.
    test::write_bytes(dir.file("bad.png"), std::string("\x89PNG\r\n\x1a\n", 8) + "garbage....");
    EXPECT_NE(message([&] { read_png(dir.file("bad.png")); }).find("bad.png"), std::string::npos);
    EXPECT_NE(message([&] { read_png(dir.file("none.png")); }).find("cannot open"),
              std::string::npos);
}

}  // namespace
}  // namespace soma::plot
