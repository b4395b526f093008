#include "backend/cpu/conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/cpu/copy.h"
#include "backend/cpu/gemm.h"
#include "backend/cpu/loop.h"

namespace soma::backend::cpu {
namespace {

// The kernels split the batch's images across threads (parallel_for); a GEMM called inside a
// parallel region runs on its own thread alone (gemm.h).

Tensor dense(const Tensor& t) { return t.is_contiguous() ? t : contiguous_copy(t, t.dtype()); }

// Per-thread buffers that grow to the largest size asked for and are reused afterwards, so
// that steady-state training allocates nothing but the output tensors.
template <class T>
T* scratch(std::size_t n, int slot) {
    thread_local std::vector<T> buffers[2];
    std::vector<T>& b = buffers[slot];
    if (b.size() < n) b.resize(n);
    return b.data();
}

// Copies the windows of x (channels, *in) into the rows of col: row (c, kd, kh, kw) holds,
// for every output position, the input under that kernel tap (0 in the padding). `ld` is the
// distance between rows of col. With add, does the reverse instead (col2im): adds every entry
// of col back onto the input position it came from.
template <class T, bool kAdd>
void unfold(T* x, std::int64_t channels, const Window& w, T* col, std::int64_t ld) {
    const auto [ID, IH, IW] = w.in;
    const auto [OD, OH, OW] = w.out;
    std::int64_t row_index = 0;
    for (std::int64_t c = 0; c < channels; ++c)
        for (std::int64_t kd = 0; kd < w.kernel[0]; ++kd)
            for (std::int64_t kh = 0; kh < w.kernel[1]; ++kh)
                for (std::int64_t kw = 0; kw < w.kernel[2]; ++kw) {
                    T* row = col + row_index++ * ld;
                    const std::int64_t off = kw * w.dilation[2] - w.pad[2], sw = w.stride[2];
                    const Span span = valid_outputs(off, sw, IW, OW);
                    for (std::int64_t od = 0; od < OD; ++od) {
                        std::int64_t id = od * w.stride[0] - w.pad[0] + kd * w.dilation[0];
                        for (std::int64_t oh = 0; oh < OH; ++oh) {
                            std::int64_t ih = oh * w.stride[1] - w.pad[1] + kh * w.dilation[1];
                            T* r = row + (od * OH + oh) * OW;
                            bool inside = id >= 0 && id < ID && ih >= 0 && ih < IH;
                            if (!inside) {
                                if (!kAdd) std::fill(r, r + OW, T(0));
                                continue;
                            }
                            T* xr = x + ((c * ID + id) * IH + ih) * IW + off;
                            if constexpr (kAdd) {
                                for (std::int64_t o = span.lo; o < span.hi; ++o) xr[o * sw] += r[o];
                            } else {
                                std::fill(r, r + span.lo, T(0));
                                if (sw == 1)
                                    std::copy(xr + span.lo, xr + span.hi, r + span.lo);
                                else
                                    for (std::int64_t o = span.lo; o < span.hi; ++o)
                                        r[o] = xr[o * sw];
                                std::fill(r + span.hi, r + OW, T(0));
                            }
                        }
                    }
                }
}

template <class T>
void im2col(const T* x, std::int64_t channels, const Window& w, T* col, std::int64_t ld) {
    unfold<T, false>(const_cast<T*>(x), channels, w, col, ld);
}
template <class T>
void col2im(const T* col, std::int64_t ld, std::int64_t channels, const Window& w, T* x) {
    unfold<T, true>(x, channels, w, const_cast<T*>(col), ld);
}

// A 1x1 kernel with stride 1 and no padding needs no im2col: the image is its own col.
bool identity_unfold(const Window& w) {
    for (int d = 0; d < 3; ++d)
        if (w.kernel[d] != 1 || w.stride[d] != 1 || w.pad[d] != 0 || w.in[d] != w.out[d])
            return false;
    return true;
}

// Sizes shared by the kernels below.
struct Dims {
    std::int64_t N, C, OC, G, Cg, OCg, K, L, S;
    explicit Dims(const ConvGeometry& g)
        : N(g.batch),
          C(g.in_channels),
          OC(g.out_channels),
          G(g.groups),
          Cg(C / G),
          OCg(OC / G),
          K(Cg * g.win.kernel_size()),
          L(g.win.out_size()),
          S(g.win.in_size()) {}
};

}  // namespace

Tensor conv_forward(const Tensor& x_in, const Tensor& w_in, const Tensor& bias_in,
                    const ConvGeometry& geo, const Shape& y_shape) {
    Tensor x = dense(x_in), w = dense(w_in), bias = bias_in.defined() ? dense(bias_in) : Tensor();
    Tensor y = Tensor::empty(y_shape, x.dtype());
    const Dims d(geo);
    if (y.numel() == 0) return y;
    dispatch(x.dtype(), "conv", [&](auto tag) {
        using T = decltype(tag);
        const T *px = x.data<T>(), *pw = w.data<T>();
        const T* pb = bias.defined() ? bias.data<T>() : nullptr;
        T* py = y.data<T>();
        const bool direct = identity_unfold(geo.win);
        parallel_for(d.N, d.OC * d.K * d.L, [&](std::int64_t b, std::int64_t e) {
            T* col = direct ? nullptr : scratch<T>(d.K * d.L, 0);
            for (std::int64_t n = b; n < e; ++n)
                for (std::int64_t g = 0; g < d.G; ++g) {
                    const T* xg = px + (n * d.C + g * d.Cg) * d.S;
                    if (!direct) im2col(xg, d.Cg, geo.win, col, d.L);
                    T* yg = py + (n * d.OC + g * d.OCg) * d.L;
                    for (std::int64_t o = 0; o < d.OCg; ++o)
                        std::fill(yg + o * d.L, yg + (o + 1) * d.L, pb ? pb[g * d.OCg + o] : T(0));
                    if (d.K > 0)
                        gemm<T>(false, false, d.OCg, d.L, d.K, T(1), pw + g * d.OCg * d.K, d.K,
                                direct ? xg : col, d.L, T(1), yg, d.L);
                }
        });
    });
    return y;
}

Tensor conv_backward_input(const Tensor& gy_in, const Tensor& w_in, const ConvGeometry& geo,
                           const Shape& x_shape) {
    Tensor gy = dense(gy_in), w = dense(w_in);
    Tensor gx = zeros(x_shape, gy.dtype());
    const Dims d(geo);
    if (gx.numel() == 0 || gy.numel() == 0 || d.K == 0) return gx;
    dispatch(gy.dtype(), "conv", [&](auto tag) {
        using T = decltype(tag);
        const T *pgy = gy.data<T>(), *pw = w.data<T>();
        T* pgx = gx.data<T>();
        parallel_for(d.N, d.OC * d.K * d.L, [&](std::int64_t b, std::int64_t e) {
            T* gcol = scratch<T>(d.K * d.L, 0);
            for (std::int64_t n = b; n < e; ++n)
                for (std::int64_t g = 0; g < d.G; ++g) {
                    gemm<T>(true, false, d.K, d.L, d.OCg, T(1), pw + g * d.OCg * d.K, d.K,
                            pgy + (n * d.OC + g * d.OCg) * d.L, d.L, T(0), gcol, d.L);
                    col2im(gcol, d.L, d.Cg, geo.win, pgx + (n * d.C + g * d.Cg) * d.S);
                }
        });
    });
    return gx;
}

Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& bias_in,
                              const ConvGeometry& geo, const Shape& y_shape) {
    // x plays the convolution's output gradient, y its input gradient.
    Tensor y = conv_backward_input(x, w, geo, y_shape);
    if (!bias_in.defined() || y.numel() == 0) return y;
    Tensor bias = dense(bias_in);
    const std::int64_t C = geo.in_channels, L = geo.win.in_size(), rows = y.numel() / L;
    dispatch(y.dtype(), "conv_transpose", [&](auto tag) {
        using T = decltype(tag);
        const T* pb = bias.data<T>();
        T* py = y.data<T>();
        parallel_for(rows, L, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t r = b; r < e; ++r) {
                T* row = py + r * L;
                const T v = pb[r % C];
                for (std::int64_t l = 0; l < L; ++l) row[l] += v;
            }
        });
    });
    return y;
}

Tensor conv_backward_weight(const Tensor& x_in, const Tensor& gy_in, const ConvGeometry& geo,
                            const Shape& w_shape) {
    Tensor x = dense(x_in), gy = dense(gy_in);
    Tensor gw = zeros(w_shape, x.dtype());
    const Dims d(geo);
    if (gw.numel() == 0 || d.N * d.L == 0) return gw;
    dispatch(x.dtype(), "conv", [&](auto tag) {
        using T = decltype(tag);
        const T *px = x.data<T>(), *pgy = gy.data<T>();
        T* pgw = gw.data<T>();
        const std::int64_t WK = d.OC * d.K;  // gw's size
        const bool direct = identity_unfold(geo.win);
        parallel_for(d.N, d.OC * d.K * d.L, [&](std::int64_t b, std::int64_t e) {
            // Each thread sums its images into its own partial gradient, added up at the end.
            T* col = direct ? nullptr : scratch<T>(d.K * d.L, 0);
            T* part = scratch<T>(WK, 1);
            std::fill(part, part + WK, T(0));
            for (std::int64_t n = b; n < e; ++n)
                for (std::int64_t g = 0; g < d.G; ++g) {
                    const T* xg = px + (n * d.C + g * d.Cg) * d.S;
                    if (!direct) im2col(xg, d.Cg, geo.win, col, d.L);
                    gemm<T>(false, true, d.OCg, d.K, d.L, T(1), pgy + (n * d.OC + g * d.OCg) * d.L,
                            d.L, direct ? xg : col, d.L, T(1), part + g * d.OCg * d.K, d.K);
                }
#pragma omp critical(soma_conv_weight)
            for (std::int64_t i = 0; i < WK; ++i) pgw[i] += part[i];
        });
    });
    return gw;
}

Tensor conv_backward_bias(const Tensor& gy_in, const ConvGeometry& geo) {
    Tensor gy = dense(gy_in);
    Tensor gb = Tensor::empty({geo.out_channels}, gy.dtype());
    const std::int64_t N = geo.batch, OC = geo.out_channels, L = geo.win.out_size();
    dispatch(gy.dtype(), "conv", [&](auto tag) {
        using T = decltype(tag);
        const T* pgy = gy.data<T>();
        T* pgb = gb.data<T>();
        // Channels are independent; each sums N contiguous rows of L in double. The row sums
        // may reassociate (omp simd): a strict left-to-right sum waits on every add.
        parallel_for(OC, N * L, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t c = b; c < e; ++c) {
                double acc = 0;
                for (std::int64_t n = 0; n < N; ++n) {
                    const T* row = pgy + (n * OC + c) * L;
                    T part = 0;
#pragma omp simd reduction(+ : part)
                    for (std::int64_t l = 0; l < L; ++l) part += row[l];
                    acc += part;
                }
                pgb[c] = static_cast<T>(acc);
            }
        });
    });
    return gb;
}

}  // namespace soma::backend::cpu
