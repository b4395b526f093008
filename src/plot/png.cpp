#include "soma/plot/png.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <memory>

#include "soma/error.h"
#include "soma/io/atomic_file.h"

namespace soma::plot {

namespace {

std::uint8_t to_byte(double v) {
    if (!(v > 0)) return 0;  // also NaN
    if (v >= 1) return 255;
    return static_cast<std::uint8_t>(std::lround(v * 255));
}

// libpng reports errors through longjmp by default; turning them into a message we can throw
// after the jump keeps C++ objects out of the jumped-over frames.
struct PngErrors {
    std::string message;
};

void on_error(png_structp png, png_const_charp msg) {
    static_cast<PngErrors*>(png_get_error_ptr(png))->message = msg;
    png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void append_bytes(png_structp png, png_bytep data, png_size_t size) {
    static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), size);
}

void no_flush(png_structp) {}

// Runs the libpng part of encoding; returns false (message in errors) on a libpng error.
// Kept free of C++ objects with destructors, since png_longjmp skips them.
bool encode_raw(const Image& image, std::string* out, PngErrors* errors,
                std::vector<png_bytep>* rows) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, errors, on_error, on_warning);
    if (png == nullptr) return false;
    png_infop info = png_create_info_struct(png);
    if (info == nullptr || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    static constexpr int kColorTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                          PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_write_fn(png, out, append_bytes, no_flush);
    png_set_IHDR(png, info, image.width, image.height, 8, kColorTypes[image.channels],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_rows(png, info, rows->data());
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

bool decode_raw(std::FILE* file, Image* image, PngErrors* errors) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, errors, on_error, on_warning);
    if (png == nullptr) return false;
    png_infop info = png_create_info_struct(png);
    if (info == nullptr || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    png_init_io(png, file);
    // Normalise everything to 8-bit gray, RGB or RGBA.
    png_read_png(png, info, PNG_TRANSFORM_STRIP_16 | PNG_TRANSFORM_PACKING | PNG_TRANSFORM_EXPAND,
                 nullptr);
    image->width = static_cast<int>(png_get_image_width(png, info));
    image->height = static_cast<int>(png_get_image_height(png, info));
    image->channels = png_get_channels(png, info);
    png_bytepp rows = png_get_rows(png, info);
    std::size_t stride = static_cast<std::size_t>(image->width) * image->channels;
    image->pixels.resize(stride * image->height);
    for (int y = 0; y < image->height; ++y)
        std::copy(rows[y], rows[y] + stride, image->pixels.data() + y * stride);
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

}  // namespace

Image make_grid(const Tensor& images, int cols, GridOptions options) {
    check(images.dim() == 3 || images.dim() == 4,
          "save_png_grid: images must be (N, H, W) or (N, C, H, W), got ", images.shape());
    check(cols >= 1, "save_png_grid: cols must be at least 1, got ", cols);
    check(options.padding >= 0 && options.scale >= 1,
          "save_png_grid: padding must be >= 0 and scale >= 1");
    const bool has_c = images.dim() == 4;
    const std::int64_t n = images.size(0), c = has_c ? images.size(1) : 1;
    const std::int64_t h = images.size(has_c ? 2 : 1), w = images.size(has_c ? 3 : 2);
    check(c == 1 || c == 3, "save_png_grid: images need 1 or 3 channels, got ", c, " in ",
          images.shape());
    check(n >= 1 && h >= 1 && w >= 1, "save_png_grid: no pixels in ", images.shape());
    std::vector<double> v = images.to_vector<double>();  // (N, C, H, W) order

    const int s = options.scale, pad = options.padding;
    const int rows = static_cast<int>((n + cols - 1) / cols);
    const int gcols = static_cast<int>(std::min<std::int64_t>(cols, n));
    Image img;
    img.channels = static_cast<int>(c);
    img.width = static_cast<int>(gcols * (w * s + pad) + pad);
    img.height = static_cast<int>(rows * (h * s + pad) + pad);
    img.pixels.assign(static_cast<std::size_t>(img.width) * img.height * c,
                      to_byte(options.background));
    for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t left = pad + (k % cols) * (w * s + pad);
        const std::int64_t top = pad + (k / cols) * (h * s + pad);
        for (std::int64_t y = 0; y < h * s; ++y)
            for (std::int64_t x = 0; x < w * s; ++x)
                for (std::int64_t ch = 0; ch < c; ++ch) {
                    double value = v[((k * c + ch) * h + y / s) * w + x / s];
                    img.pixels[((top + y) * img.width + left + x) * c + ch] = to_byte(value);
                }
    }
    return img;
}

std::string encode_png(const Image& image) {
    check(image.width > 0 && image.height > 0, "encode_png: empty image (", image.width, " x ",
          image.height, ")");
    check(image.channels >= 1 && image.channels <= 4, "encode_png: ", image.channels,
          " channels (1 to 4 supported)");
    const std::size_t stride = static_cast<std::size_t>(image.width) * image.channels;
    check(image.pixels.size() == stride * image.height, "encode_png: ", image.pixels.size(),
          " bytes for a ", image.width, " x ", image.height, " x ", image.channels, " image");
    std::vector<png_bytep> rows(image.height);
    for (int y = 0; y < image.height; ++y)
        rows[y] = const_cast<png_bytep>(image.pixels.data() + y * stride);
    std::string out;
    PngErrors errors;
    if (!encode_raw(image, &out, &errors, &rows)) fail("encode_png: libpng: ", errors.message);
    return out;
}

void save_png(const std::string& path, const Image& image) {
    io::write_file_atomic(path, encode_png(image));
}

void save_png_grid(const std::string& path, const Tensor& images, int cols, GridOptions options) {
    save_png(path, make_grid(images, cols, options));
}

Image read_png(const std::string& path) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    check(file != nullptr, "read_png: cannot open ", path);
    unsigned char sig[8];
    check(std::fread(sig, 1, 8, file.get()) == 8 && png_sig_cmp(sig, 0, 8) == 0, "read_png: ", path,
          " is not a PNG file");
    std::rewind(file.get());
    Image image;
    PngErrors errors;
    if (!decode_raw(file.get(), &image, &errors)) fail("read_png: ", path, ": ", errors.message);
    return image;
}

}  // namespace soma::plot
