#pragma once
// Element types. float32 is the working type; float64 serves gradient checks and references;
// int64 holds indices and class labels (index_select, gather, embedding, cross_entropy) and is
// accepted only by creation, conversion, copies and the indexing ops.

#include <cstddef>
#include <cstdint>
#include <ostream>

#include "soma/error.h"

namespace soma {

enum class DType : std::uint8_t { Float32, Float64, Int64 };

constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;
constexpr DType kInt64 = DType::Int64;

constexpr std::size_t itemsize(DType t) { return t == DType::Float32 ? 4 : 8; }
constexpr const char* dtype_name(DType t) {
    return t == DType::Float32 ? "float32" : t == DType::Float64 ? "float64" : "int64";
}
constexpr bool is_floating(DType t) { return t != DType::Int64; }

inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

// The dtype that stores a C++ element type.
template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::Float32; }
template <>
constexpr DType dtype_of<double>() { return DType::Float64; }
template <>
constexpr DType dtype_of<std::int64_t>() { return DType::Int64; }

// Calls f with a value of the floating element type of `t`:
//   dispatch(t, "exp", [&](auto tag) { using T = decltype(tag); ... });
// Throws naming `op` for int64 tensors.
template <class F>
decltype(auto) dispatch(DType t, const char* op, F&& f) {
    if (t == DType::Float32) return f(float{});
    check(t == DType::Float64, op, ": int64 tensors are not supported (use a floating dtype)");
    return f(double{});
}

// Like dispatch, for the few functions that handle every dtype (copies, printing, conversion).
template <class F>
decltype(auto) dispatch_all(DType t, F&& f) {
    if (t == DType::Float32) return f(float{});
    if (t == DType::Float64) return f(double{});
    return f(std::int64_t{});
}

}  // namespace soma
