#include "backend/cpu/pool.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/copy.h"
#include "backend/cpu/loop.h"

namespace soma::backend::cpu {
namespace {

Tensor dense(const Tensor& t) { return t.is_contiguous() ? t : contiguous_copy(t, t.dtype()); }

// Along dimension d, output o's window reads input start + k * dilation for taps k in
// [lo, hi): those inside the input (the others fall on padding).
struct Taps {
    std::int64_t start, lo, hi;
};
inline Taps taps(const Window& w, int d, std::int64_t o) {
    const std::int64_t start = o * w.stride[d] - w.pad[d], dil = w.dilation[d];
    std::int64_t lo = start >= 0 ? 0 : (-start + dil - 1) / dil;
    std::int64_t hi =
        start >= w.in[d] ? 0 : std::min(w.kernel[d], (w.in[d] - start + dil - 1) / dil);
    return {start, lo, std::max(lo, hi)};
}

// The taps of every output along each dimension, worked out once per call rather than once per
// plane (integer division is slow).
struct WindowTaps {
    std::array<std::vector<Taps>, 3> dims;
    explicit WindowTaps(const Window& w) {
        for (int d = 0; d < 3; ++d)
            for (std::int64_t o = 0; o < w.out[d]; ++o) dims[d].push_back(taps(w, d, o));
    }
};

// Walks the windows of one plane in output order: for output o, begin(o, n) with the number n
// of taps inside the input, then tap(i) for the flat input position i of each of those taps in
// kernel order, then end(o).
template <class Begin, class Tap, class End>
void walk_windows(const Window& w, const WindowTaps& wt, Begin&& begin, Tap&& tap, End&& end) {
    const std::int64_t d0 = w.dilation[0], d1 = w.dilation[1], d2 = w.dilation[2];
    std::int64_t o = 0;
    for (const Taps& t0 : wt.dims[0])
        for (const Taps& t1 : wt.dims[1])
            for (const Taps& t2 : wt.dims[2]) {
                begin(o, (t0.hi - t0.lo) * (t1.hi - t1.lo) * (t2.hi - t2.lo));
                for (std::int64_t k0 = t0.lo; k0 < t0.hi; ++k0)
                    for (std::int64_t k1 = t1.lo; k1 < t1.hi; ++k1) {
                        const std::int64_t row =
                            ((t0.start + k0 * d0) * w.in[1] + t1.start + k1 * d1) * w.in[2] +
                            t2.start;
                        for (std::int64_t k2 = t2.lo; k2 < t2.hi; ++k2) tap(row + k2 * d2);
                    }
                end(o++);
            }
}

// The adaptive window [floor(i * in / out), ceil((i + 1) * in / out)) along one dimension.
struct Range {
    std::int64_t lo, hi;
};
Range adaptive_range(std::int64_t i, std::int64_t in, std::int64_t out) {
    return {i * in / out, ((i + 1) * in + out - 1) / out};
}

// Calls f(o, ranges) for each output of one plane with its window's ranges per dimension.
template <class F>
void walk_adaptive(const Window& w, F&& f) {
    std::int64_t o = 0;
    for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0) {
        Range r0 = adaptive_range(o0, w.in[0], w.out[0]);
        for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
            Range r1 = adaptive_range(o1, w.in[1], w.out[1]);
            for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o)
                f(o, r0, r1, adaptive_range(o2, w.in[2], w.out[2]));
        }
    }
}

std::int64_t planes_of(const Shape& shape, std::int64_t plane_size) {
    return plane_size == 0 ? 0 : shape.numel() / plane_size;
}

// One kernel tap over a row of outputs: y[o], arg[o] take x[base + o * stride] where it is
// larger (or NaN, which wins like in PyTorch), for o in span. __restrict lets the compiler
// keep the span in registers and vectorise.
template <class T>
void max_row(const T* __restrict x, std::int64_t base, std::int64_t stride, Span span,
             T* __restrict y, std::int64_t* __restrict arg) {
    for (std::int64_t o = span.lo; o < span.hi; ++o) {
        const std::int64_t i = base + o * stride;
        const T v = x[i];
        const bool take = (arg[o] < 0) | (v > y[o]) | (v != v);
        y[o] = take ? v : y[o];
        arg[o] = take ? i : arg[o];
    }
}

// Without padding every tap of every window is inside the input: a window is its first
// input position plus fixed offsets, so each output is one short loop with no bounds checks.
template <class T>
void max_plane_unpadded(const T* __restrict x, const Window& w,
                        const std::vector<std::int64_t>& tap_offsets, T* __restrict y,
                        std::int64_t* __restrict arg) {
    const std::int64_t* off = tap_offsets.data();
    const std::int64_t n = static_cast<std::int64_t>(tap_offsets.size());
    std::int64_t o = 0;
    for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0)
        for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
            const std::int64_t row = (o0 * w.stride[0] * w.in[1] + o1 * w.stride[1]) * w.in[2];
            for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
                const std::int64_t first = row + o2 * w.stride[2];
                T best = x[first];
                std::int64_t at = first;
                bool nan = best != best;
                for (std::int64_t t = 1; t < n; ++t) {
                    const std::int64_t i = first + off[t];
                    const T v = x[i];
                    // Written so that the value chain is one max instruction and the index a
                    // conditional move; NaNs, which the max skips, are redone below.
                    at = v > best ? i : at;
                    best = v > best ? v : best;
                    nan |= v != v;
                }
                if (nan) [[unlikely]] {  // the last NaN wins, like PyTorch
                    for (std::int64_t t = 0; t < n; ++t)
                        if (x[first + off[t]] != x[first + off[t]]) at = first + off[t];
                    best = x[at];
                }
                y[o] = best;
                arg[o] = at;
            }
        }
}

}  // namespace

void max_pool_forward(const Tensor& x_in, const Window& w, const Shape& y_shape, Tensor& y,
                      Tensor& indices) {
    Tensor x = dense(x_in);
    y = Tensor::empty(y_shape, x.dtype());
    indices = Tensor::empty(y_shape, kInt64);
    const std::int64_t S = w.in_size(), L = w.out_size(), P = planes_of(y_shape, L);
    const WindowTaps wt(w);
    // Along the last dimension, tap k2 reads input o2 * stride + offset[k2] for outputs o2 in
    // span[k2]. Walking whole output rows per tap (rather than whole windows per output) gives
    // the compiler a branch-free, vectorisable inner loop; each output still sees its taps in
    // kernel order, so the first maximum wins.
    std::vector<std::int64_t> offset(w.kernel[2]);
    std::vector<Span> span(w.kernel[2]);
    for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
        offset[k2] = k2 * w.dilation[2] - w.pad[2];
        span[k2] = valid_outputs(offset[k2], w.stride[2], w.in[2], w.out[2]);
    }
    const std::int64_t OW = w.out[2], s2 = w.stride[2];
    const bool unpadded = w.pad[0] == 0 && w.pad[1] == 0 && w.pad[2] == 0;
    std::vector<std::int64_t> tap_offsets;  // kernel order
    for (std::int64_t k0 = 0; k0 < w.kernel[0]; ++k0)
        for (std::int64_t k1 = 0; k1 < w.kernel[1]; ++k1)
            for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2)
                tap_offsets.push_back((k0 * w.dilation[0] * w.in[1] + k1 * w.dilation[1]) *
                                          w.in[2] +
                                      k2 * w.dilation[2]);
    dispatch(x.dtype(), "max_pool", [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        std::int64_t* pi = indices.data<std::int64_t>();
        parallel_for(P, L * w.kernel_size(), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p) {
                const T* xp = px + p * S;
                T* yr = py + p * L;
                std::int64_t* ir = pi + p * L;
                if (unpadded) {
                    max_plane_unpadded(xp, w, tap_offsets, yr, ir);
                    continue;
                }
                for (const Taps& t0 : wt.dims[0])
                    for (const Taps& t1 : wt.dims[1]) {
                        std::fill(yr, yr + OW, -std::numeric_limits<T>::infinity());
                        std::fill(ir, ir + OW, std::int64_t{-1});
                        for (std::int64_t k0 = t0.lo; k0 < t0.hi; ++k0)
                            for (std::int64_t k1 = t1.lo; k1 < t1.hi; ++k1) {
                                const std::int64_t row =
                                    ((t0.start + k0 * w.dilation[0]) * w.in[1] + t1.start +
                                     k1 * w.dilation[1]) *
                                    w.in[2];
                                for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2)
                                    max_row(xp, row + offset[k2], s2, span[k2], yr, ir);
                            }
                        yr += OW;
                        ir += OW;
                    }
            }
        });
    });
}

Tensor max_pool_backward(const Tensor& gy_in, const Tensor& indices, const Window& w,
                         const Shape& x_shape) {
    Tensor gy = dense(gy_in);
    Tensor gx = zeros(x_shape, gy.dtype());
    const std::int64_t S = w.in_size(), L = w.out_size(), P = planes_of(x_shape, S);
    dispatch(gy.dtype(), "max_pool", [&](auto tag) {
        using T = decltype(tag);
        const T* pgy = gy.data<T>();
        const std::int64_t* pi = indices.data<std::int64_t>();
        T* pgx = gx.data<T>();
        // Planes are independent, so threads never add into the same element.
        parallel_for(P, L, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p)
                for (std::int64_t o = p * L; o < (p + 1) * L; ++o)
                    if (pi[o] >= 0) pgx[p * S + pi[o]] += pgy[o];
        });
    });
    return gx;
}

Tensor max_pool_gather(const Tensor& g_in, const Tensor& indices, const Window& w) {
    Tensor g = dense(g_in);
    Tensor out = Tensor::empty(indices.shape(), g.dtype());
    const std::int64_t S = w.in_size(), L = w.out_size(), P = planes_of(indices.shape(), L);
    dispatch(g.dtype(), "max_pool", [&](auto tag) {
        using T = decltype(tag);
        const T* pg = g.data<T>();
        const std::int64_t* pi = indices.data<std::int64_t>();
        T* po = out.data<T>();
        parallel_for(P, L, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p)
                for (std::int64_t o = p * L; o < (p + 1) * L; ++o)
                    po[o] = pi[o] >= 0 ? pg[p * S + pi[o]] : T(0);
        });
    });
    return out;
}

// The divisor counts every tap with count_include_pad: without ceil_mode the windows never
// reach past the padding, so that is the kernel size.
Tensor avg_pool_forward(const Tensor& x_in, const Window& w, bool count_include_pad,
                        const Shape& y_shape) {
    Tensor x = dense(x_in);
    Tensor y = Tensor::empty(y_shape, x.dtype());
    const std::int64_t S = w.in_size(), L = w.out_size(), P = planes_of(y_shape, L);
    const WindowTaps wt(w);
    dispatch(x.dtype(), "avg_pool", [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        parallel_for(P, L * w.kernel_size(), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p) {
                const T* xp = px + p * S;
                T acc = 0;
                std::int64_t div = 0;
                walk_windows(
                    w, wt,
                    [&](std::int64_t, std::int64_t taps) {
                        acc = 0, div = count_include_pad ? w.kernel_size() : taps;
                    },
                    [&](std::int64_t i) { acc += xp[i]; },
                    [&](std::int64_t o) {
                        py[p * L + o] = div > 0 ? acc / static_cast<T>(div) : T(0);
                    });
            }
        });
    });
    return y;
}

Tensor avg_pool_backward(const Tensor& gy_in, const Window& w, bool count_include_pad,
                         const Shape& x_shape) {
    Tensor gy = dense(gy_in);
    Tensor gx = zeros(x_shape, gy.dtype());
    const std::int64_t S = w.in_size(), L = w.out_size(), P = planes_of(x_shape, S);
    const WindowTaps wt(w);
    dispatch(gy.dtype(), "avg_pool", [&](auto tag) {
        using T = decltype(tag);
        const T* pgy = gy.data<T>();
        T* pgx = gx.data<T>();
        parallel_for(P, L * w.kernel_size(), [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p) {
                T* gp = pgx + p * S;
                T share = 0;
                walk_windows(
                    w, wt,
                    [&](std::int64_t o, std::int64_t taps) {
                        std::int64_t div = count_include_pad ? w.kernel_size() : taps;
                        share = div > 0 ? pgy[p * L + o] / static_cast<T>(div) : T(0);
                    },
                    [&](std::int64_t i) { gp[i] += share; }, [](std::int64_t) {});
            }
        });
    });
    return gx;
}

Tensor adaptive_avg_pool_forward(const Tensor& x_in, const Window& w, const Shape& y_shape) {
    Tensor x = dense(x_in);
    Tensor y = Tensor::empty(y_shape, x.dtype());
    const std::int64_t S = w.in_size(), L = w.out_size(), P = planes_of(y_shape, L);
    dispatch(x.dtype(), "adaptive_avg_pool", [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        parallel_for(P, S, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p) {
                const T* xp = px + p * S;
                walk_adaptive(w, [&](std::int64_t o, Range r0, Range r1, Range r2) {
                    T acc = 0;
                    for (std::int64_t i0 = r0.lo; i0 < r0.hi; ++i0)
                        for (std::int64_t i1 = r1.lo; i1 < r1.hi; ++i1)
                            for (std::int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
                                acc += xp[(i0 * w.in[1] + i1) * w.in[2] + i2];
                    std::int64_t n = (r0.hi - r0.lo) * (r1.hi - r1.lo) * (r2.hi - r2.lo);
                    py[p * L + o] = acc / static_cast<T>(n);
                });
            }
        });
    });
    return y;
}

Tensor adaptive_avg_pool_backward(const Tensor& gy_in, const Window& w, const Shape& x_shape) {
    Tensor gy = dense(gy_in);
    Tensor gx = zeros(x_shape, gy.dtype());
    const std::int64_t S = w.in_size(), L = w.out_size(), P = planes_of(x_shape, S);
    dispatch(gy.dtype(), "adaptive_avg_pool", [&](auto tag) {
        using T = decltype(tag);
        const T* pgy = gy.data<T>();
        T* pgx = gx.data<T>();
        parallel_for(P, S, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p) {
                T* gp = pgx + p * S;
                walk_adaptive(w, [&](std::int64_t o, Range r0, Range r1, Range r2) {
                    std::int64_t n = (r0.hi - r0.lo) * (r1.hi - r1.lo) * (r2.hi - r2.lo);
                    T share = pgy[p * L + o] / static_cast<T>(n);
                    for (std::int64_t i0 = r0.lo; i0 < r0.hi; ++i0)
                        for (std::int64_t i1 = r1.lo; i1 < r1.hi; ++i1)
                            for (std::int64_t i2 = r2.lo; i2 < r2.hi; ++i2)
                                gp[(i0 * w.in[1] + i1) * w.in[2] + i2] += share;
                });
            }
        });
    });
    return gx;
}

}  // namespace soma::backend::cpu
