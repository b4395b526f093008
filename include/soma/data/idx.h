#pragma once
// The IDX format of MNIST and Fashion-MNIST, read through zlib (gzip-compressed or plain):
// a big-endian header, magic 0x00 0x00 <type> <ndims>, then ndims 32-bit sizes, then the data.
// soma reads unsigned-byte files (type 0x08): images 0x00000803 (N, rows, cols) and labels
// 0x00000801 (N).
//
//   Tensor x = data::read_idx_images(".../train-images-idx3-ubyte.gz");  // (N, 1, 28, 28)
//   Tensor y = data::read_idx_labels(".../train-labels-idx1-ubyte.gz");  // (N) int64
//
// Malformed files raise soma::Error naming the file and the byte offset: a missing file, a
// wrong magic number, a truncated header or data, trailing bytes, corrupt gzip data, and image
// and label files that disagree on the number of samples.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "soma/data/dataset.h"
#include "soma/tensor.h"

namespace soma::data {

struct IdxArray {
    std::vector<std::int64_t> dims;
    std::vector<std::uint8_t> data;  // row-major, the product of dims bytes
};

// Any unsigned-byte IDX file.
IdxArray read_idx(const std::string& path);

// An images file (magic 0x00000803) as (N, 1, rows, cols) float32 in [0, 1] (bytes / 255).
Tensor read_idx_images(const std::string& path);

// A labels file (magic 0x00000801) as (N) int64.
Tensor read_idx_labels(const std::string& path);

// The same three over bytes in memory (gzip-compressed or plain, told apart by gzip's magic
// number), with the same checks and errors; `name` stands for the file in messages.
IdxArray read_idx_bytes(std::string_view bytes, const std::string& name = "<memory>");
Tensor read_idx_images_bytes(std::string_view bytes, const std::string& name = "<memory>");
Tensor read_idx_labels_bytes(std::string_view bytes, const std::string& name = "<memory>");

// Images and labels (Example.input, Example.target), checked to hold the same N.
Example read_idx_pair(const std::string& images_path, const std::string& labels_path);

}  // namespace soma::data
