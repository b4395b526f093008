#pragma once
// What the VAE and GAN recipes and load_generative share: the data, the models built from the
// settings, the kind entry of the checkpoints, the sample grids.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "soma/data/dataset.h"
#include "soma/data/fashion_mnist.h"
#include "soma/io/safetensors.h"
#include "soma/train/generative.h"

namespace soma::train::detail {

// The checkpoint metadata key naming the recipe: "vae" or "gan".
inline constexpr const char* kKindKey = "kind";

// Throws unless `meta` (of `path`) names the kind `expected`.
void check_kind(const io::Metadata& meta, const std::string& expected, const std::string& path);

// A Fashion-MNIST split with images in [0, 1], loaded once per process and shared (read-only).
std::shared_ptr<const data::datasets::FashionMNIST> fmnist_images(data::datasets::Split split,
                                                                  const std::string& root);
// The first n samples of d (all of it for n <= 0 or n >= its size).
std::shared_ptr<const data::Dataset> first(std::shared_ptr<const data::Dataset> d, std::int64_t n);

// Fills in the defaults that depend on other settings (hidden widths) and checks the settings;
// the error names the recipe's setting.
void resolve(VaeRunOptions& o);
void resolve(GanRunOptions& o);
// The models the (resolved) settings describe, initialised from the default generator.
std::shared_ptr<models::VAE> build_vae(const VaeRunOptions& o);
std::shared_ptr<models::GAN> build_gan(const GanRunOptions& o);

// "<out_dir>/samples_epoch_007.png"
std::string samples_png(const std::string& out_dir, std::int64_t epoch);
// images: (N, 1, 28, 28) in [0, 1] -> an 8-wide PNG grid, 2x scale.
void save_image_grid(const std::string& path, const Tensor& images);

}  // namespace soma::train::detail
