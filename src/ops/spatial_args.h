#pragma once
// Per-dimension sizes of the convolution and pooling ops, checked; shared with the modules in
// nn/ (conv.cpp, pool.cpp), which check their options the same way. Not installed.

#include <cstdint>
#include <string>
#include <vector>

#include "soma/ops_conv.h"

namespace soma::ops_detail {

// "(1, 2)" for any list of sizes.
std::string dims_str(const std::vector<std::int64_t>& v);

// `arg` for nd dimensions, every value checked against `min` (1 for sizes and strides, 0 for
// padding).
std::vector<std::int64_t> expand_checked(const SpatialArg& arg, int nd, const char* op,
                                         const char* what, std::int64_t min);

}  // namespace soma::ops_detail
