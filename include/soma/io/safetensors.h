#pragma once
// safetensors: the weights file format of Hugging Face's `safetensors` library.
//
//   [8 bytes: N, little-endian u64][N bytes: JSON header, may end in spaces][data]
//   header: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//            "__metadata__": {"key": "value", ...}}            (__metadata__ is optional)
// Offsets are relative to the start of the data, which the tensors cover exactly, without gaps
// or overlaps. Elements are packed little-endian, row-major.
//
// soma reads and writes F32, F64 and I64 (its dtypes). The reader trusts nothing: every field
// is validated and a malformed file is rejected with a soma::Error naming the file and the
// problem ("load_safetensors: 'w.safetensors': tensor 'fc.weight': data_offsets [0, 12] hold
// 12 bytes, but shape (2, 3) of F32 needs 24").

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "soma/nn/module.h"

namespace soma::io {

using Metadata = std::map<std::string, std::string>;

struct SafetensorsFile {
    nn::StateDict tensors;  // in the order their data appears in the file
    Metadata metadata;
};

// Writes the tensors (any strides; gradients and history are not saved) and the metadata.
// The layout is deterministic and the reference implementation's: tensors sorted by dtype
// (8-byte types first, so every tensor is naturally aligned), then by name; the header padded
// with spaces to a multiple of 8 bytes. The file is replaced atomically (see atomic_file.h).
void save_safetensors(const std::string& path, const nn::StateDict& tensors,
                      const Metadata& metadata = {});
std::string save_safetensors_bytes(const nn::StateDict& tensors, const Metadata& metadata = {});

// Reads a whole file into fresh contiguous tensors. `source` names the buffer in errors.
SafetensorsFile load_safetensors(const std::string& path);
SafetensorsFile load_safetensors_bytes(std::string_view bytes,
                                       const std::string& source = "<memory>");

// The format's name for a soma dtype ("F32", "F64", "I64").
const char* safetensors_dtype(DType dtype);

}  // namespace soma::io
