#pragma once
// PNG images through libpng: image grids of tensors (samples of a generative model, digits),
// and a reader for checking what was written.
//
//   plot::save_png_grid("samples.png", images, 8);  // images: (N, H, W) or (N, C, H, W) in [0, 1]

#include <cstdint>
#include <string>
#include <vector>

#include "soma/tensor.h"

namespace soma::plot {

// 8-bit pixels, row-major, channels interleaved (1: gray, 3: RGB, 4: RGBA).
struct Image {
    int width = 0, height = 0, channels = 0;
    std::vector<std::uint8_t> pixels;  // height * width * channels
};

struct GridOptions {
    int padding = 2;        // pixels between images and around the grid
    double background = 1;  // the padding's gray level in [0, 1]
    int scale = 1;          // each image pixel becomes scale x scale pixels
};

// Tiles N images, row by row, into a grid `cols` wide (ceil(N / cols) rows).
// images: (N, H, W) or (N, C, H, W) with C = 1 (gray) or 3 (RGB), floating, values in [0, 1]
// (clamped; NaN becomes 0). Throws soma::Error for other shapes or cols < 1.
Image make_grid(const Tensor& images, int cols, GridOptions options = {});

// Encodes an image as PNG bytes; throws soma::Error for an empty image or a channel count
// other than 1, 3 or 4.
std::string encode_png(const Image& image);
// Writes encode_png(image) atomically (temporary file, then rename).
void save_png(const std::string& path, const Image& image);
// save_png(path, make_grid(images, cols, options)).
void save_png_grid(const std::string& path, const Tensor& images, int cols,
                   GridOptions options = {});

// Reads an 8-bit or 16-bit gray/gray+alpha/RGB/RGBA/palette PNG into 8-bit channels (palette
// images become RGB or RGBA; gray+alpha becomes RGBA). Throws soma::Error naming the file.
Image read_png(const std::string& path);

}  // namespace soma::plot
