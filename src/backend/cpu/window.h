#pragma once
// The geometry of a window sliding over up to three spatial dimensions, shared by the
// convolution and pooling kernels. 1-D and 2-D problems are stored as 3-D ones whose leading
// dimensions have size 1 (kernel 1, stride 1, no padding), so one code path serves all three.

#include <array>
#include <cstdint>

namespace soma::backend::cpu {

using Dims3 = std::array<std::int64_t, 3>;

struct Window {
    Dims3 in{1, 1, 1}, out{1, 1, 1};
    Dims3 kernel{1, 1, 1}, stride{1, 1, 1}, dilation{1, 1, 1};
    // Zeros (or -inf) before the start of each dimension; those after the end are implied by
    // `out`, so "same" padding may put one more at the end than at the start.
    Dims3 pad{0, 0, 0};

    std::int64_t in_size() const { return in[0] * in[1] * in[2]; }
    std::int64_t out_size() const { return out[0] * out[1] * out[2]; }
    std::int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// [lo, hi): the outputs o along one dimension whose input o * stride + offset lies in [0, in).
struct Span {
    std::int64_t lo, hi;
};
inline Span valid_outputs(std::int64_t offset, std::int64_t stride, std::int64_t in,
                          std::int64_t out) {
    // o * stride + offset >= 0  <=>  o >= ceil(-offset / stride)
    std::int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    // o * stride + offset <= in - 1  <=>  o <= floor((in - 1 - offset) / stride)
    std::int64_t last = in - 1 - offset;
    std::int64_t hi = last < 0 ? 0 : last / stride + 1;
    if (hi > out) hi = out;
    if (lo > hi) lo = hi;
    return {lo, hi};
}

}  // namespace soma::backend::cpu
