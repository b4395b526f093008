// The safetensors writer: the reference implementation's layout, so that the same tensors give
// the same data section byte for byte.

#include <algorithm>
#include <bit>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "soma/autograd.h"
#include "soma/io/atomic_file.h"
#include "soma/io/safetensors.h"

namespace soma::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; soma writes it from memory as is");

const char* safetensors_dtype(DType dtype) {
    switch (dtype) {
        case DType::Float32:
            return "F32";
        case DType::Float64:
            return "F64";
        case DType::Int64:
            return "I64";
    }
    fail("safetensors: unknown dtype");
}

namespace {

using Json = nlohmann::ordered_json;

// The reference sorts by its dtype enum, largest first (I64 > F64 > F32), then by name.
int dtype_rank(DType d) { return d == kInt64 ? 2 : d == kFloat64 ? 1 : 0; }

struct Layout {
    std::string head;                                     // length prefix + padded JSON header
    std::vector<std::pair<std::string, Tensor>> tensors;  // contiguous, in data order
};

Layout plan(const char* op, const nn::StateDict& dict, const Metadata& metadata) {
    Layout out;
    NoGrad no_grad;
    for (const auto& [name, t] : dict.items()) {
        check(t.defined(), op, ": tensor '", name, "' is undefined");
        check(name != "__metadata__", op, ": '__metadata__' cannot name a tensor");
        out.tensors.emplace_back(name, t.detach().contiguous());
    }
    std::stable_sort(out.tensors.begin(), out.tensors.end(), [](const auto& a, const auto& b) {
        int ra = dtype_rank(a.second.dtype()), rb = dtype_rank(b.second.dtype());
        return ra != rb ? ra > rb : a.first < b.first;
    });

    Json header = Json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    for (const auto& [name, t] : out.tensors) {
        std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * itemsize(t.dtype());
        header[name] = {{"dtype", safetensors_dtype(t.dtype())},
                        {"shape", t.shape().vec()},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const Json::exception&) {
        fail(op, ": tensor names and metadata must be valid UTF-8");
    }
    // Padding keeps the data 8-byte aligned in the file (spaces are JSON whitespace).
    text.resize((text.size() + 7) / 8 * 8, ' ');
    std::uint64_t n = text.size();
    out.head.assign(reinterpret_cast<const char*>(&n), 8);
    out.head += text;
    return out;
}

void emit(const Layout& layout, const std::function<void(const void*, std::size_t)>& write) {
    write(layout.head.data(), layout.head.size());
    for (const auto& [name, t] : layout.tensors)
        if (t.numel() > 0)
            write(t.raw_data(), static_cast<std::size_t>(t.numel()) * itemsize(t.dtype()));
}

}  // namespace

void save_safetensors(const std::string& path, const nn::StateDict& tensors,
                      const Metadata& metadata) {
    Layout layout = plan("save_safetensors", tensors, metadata);
    write_file_atomic(path, [&](FileSink& sink) {
        emit(layout, [&](const void* p, std::size_t n) { sink.write(p, n); });
    });
}

std::string save_safetensors_bytes(const nn::StateDict& tensors, const Metadata& metadata) {
    Layout layout = plan("save_safetensors_bytes", tensors, metadata);
    std::string out;
    emit(layout, [&](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); });
    return out;
}

}  // namespace soma::io
