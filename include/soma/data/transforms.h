#pragma once
// Transforms on a batch of images (N, C, H, W), like torchvision's, for DataLoader's transform:
//
//   .transform = [](data::Example b, Generator& gen) {
//       b.input = data::random_crop(b.input, 28, 28, 4, gen);
//       b.input = data::random_horizontal_flip(b.input, 0.5, gen);
//       b.input = data::normalize(b.input, {0.2860}, {0.3530});
//       return b;
//   }
//
// The random ones draw per image, in image order, from `gen` alone: the same generator state
// gives the same result.

#include <cstdint>
#include <vector>

#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::data {

// (x - mean[c]) / std[c] per channel; one value in mean/std applies to every channel.
// Differentiable. images: (N, C, H, W) -> same shape.
Tensor normalize(const Tensor& images, const std::vector<double>& mean,
                 const std::vector<double>& std);

// Pads every image with `padding` pixels of value `fill` on each side, then cuts a (height,
// width) window at a random position (the same for all channels of an image). For normalised
// images, fill with the background's normalised value (-mean/std for black).
// images: (N, C, H, W) -> (N, C, height, width); needs height <= H + 2 padding (likewise width).
Tensor random_crop(const Tensor& images, std::int64_t height, std::int64_t width,
                   std::int64_t padding, Generator& gen, double fill = 0);

// Mirrors each image left-right with probability p. images: (N, C, H, W) -> same shape.
Tensor random_horizontal_flip(const Tensor& images, double p, Generator& gen);

}  // namespace soma::data
