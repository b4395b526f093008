// The reference convolution: every (output position, kernel tap) pair visited directly, in
// double. Slow and obviously right; the im2col kernels are tested against it.

#include <vector>

#include "backend/cpu/conv.h"
#include "backend/cpu/copy.h"

namespace soma::backend::cpu {
namespace {

// Calls f(y_index, x_index, w_index) for every pair of an output element and an input element
// that one kernel tap connects (taps over padding are skipped). Indices are into contiguous
// y (N, C_out, *out), x (N, C_in, *in) and w (C_out, C_in / groups, *kernel).
template <class F>
void for_each_tap(const ConvGeometry& g, F&& f) {
    const Window& w = g.win;
    const std::int64_t Cg = g.in_channels / g.groups, OCg = g.out_channels / g.groups;
    for (std::int64_t n = 0; n < g.batch; ++n)
        for (std::int64_t oc = 0; oc < g.out_channels; ++oc)
            for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0)
                for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1)
                    for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2) {
                        std::int64_t yi =
                            (((n * g.out_channels + oc) * w.out[0] + o0) * w.out[1] + o1) *
                                w.out[2] +
                            o2;
                        for (std::int64_t c = 0; c < Cg; ++c)
                            for (std::int64_t k0 = 0; k0 < w.kernel[0]; ++k0)
                                for (std::int64_t k1 = 0; k1 < w.kernel[1]; ++k1)
                                    for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
                                        std::int64_t i0 =
                                            o0 * w.stride[0] - w.pad[0] + k0 * w.dilation[0];
                                        std::int64_t i1 =
                                            o1 * w.stride[1] - w.pad[1] + k1 * w.dilation[1];
                                        std::int64_t i2 =
                                            o2 * w.stride[2] - w.pad[2] + k2 * w.dilation[2];
                                        if (i0 < 0 || i0 >= w.in[0] || i1 < 0 || i1 >= w.in[1] ||
                                            i2 < 0 || i2 >= w.in[2])
                                            continue;
                                        std::int64_t ic = (oc / OCg) * Cg + c;
                                        std::int64_t xi =
                                            (((n * g.in_channels + ic) * w.in[0] + i0) * w.in[1] +
                                             i1) *
                                                w.in[2] +
                                            i2;
                                        std::int64_t wi =
                                            (((oc * Cg + c) * w.kernel[0] + k0) * w.kernel[1] +
                                             k1) *
                                                w.kernel[2] +
                                            k2;
                                        f(yi, xi, wi);
                                    }
                    }
}

std::vector<double> as_doubles(const Tensor& t) {
    return contiguous_copy(t, kFloat64).to_vector<double>();
}

Tensor from_doubles(const std::vector<double>& v, const Shape& shape, DType dtype) {
    return contiguous_copy(from_vector(v, shape, kFloat64), dtype);
}

}  // namespace

Tensor conv_forward_naive(const Tensor& x, const Tensor& w, const Tensor& bias,
                          const ConvGeometry& g, const Shape& y_shape) {
    std::vector<double> px = as_doubles(x), pw = as_doubles(w), py(y_shape.numel(), 0.0);
    if (bias.defined()) {
        std::vector<double> pb = as_doubles(bias);
        const std::int64_t L = g.win.out_size();
        for (std::size_t i = 0; i < py.size(); ++i) py[i] = pb[(i / L) % g.out_channels];
    }
    for_each_tap(
        g, [&](std::int64_t yi, std::int64_t xi, std::int64_t wi) { py[yi] += px[xi] * pw[wi]; });
    return from_doubles(py, y_shape, x.dtype());
}

Tensor conv_backward_input_naive(const Tensor& gy, const Tensor& w, const ConvGeometry& g,
                                 const Shape& x_shape) {
    std::vector<double> pgy = as_doubles(gy), pw = as_doubles(w), pgx(x_shape.numel(), 0.0);
    for_each_tap(
        g, [&](std::int64_t yi, std::int64_t xi, std::int64_t wi) { pgx[xi] += pgy[yi] * pw[wi]; });
    return from_doubles(pgx, x_shape, gy.dtype());
}

Tensor conv_backward_weight_naive(const Tensor& x, const Tensor& gy, const ConvGeometry& g,
                                  const Shape& w_shape) {
    std::vector<double> px = as_doubles(x), pgy = as_doubles(gy), pgw(w_shape.numel(), 0.0);
    for_each_tap(
        g, [&](std::int64_t yi, std::int64_t xi, std::int64_t wi) { pgw[wi] += pgy[yi] * px[xi]; });
    return from_doubles(pgw, w_shape, x.dtype());
}

Tensor conv_transpose_forward_naive(const Tensor& x, const Tensor& w, const Tensor& bias,
                                    const ConvGeometry& g, const Shape& y_shape) {
    // In the transposed op's own terms: x (N, CI, *in), w (CI, CO / groups, *kernel),
    // y (N, CO, *out), where the geometry's convolution has CO inputs and CI outputs.
    const Window& win = g.win;
    const Dims3 &in = win.out, &out = win.in, &k = win.kernel;
    const std::int64_t CI = g.out_channels, CO = g.in_channels;
    const std::int64_t CIg = CI / g.groups, COg = CO / g.groups;
    const std::int64_t in_size = win.out_size(), out_size = win.in_size(), taps = win.kernel_size();
    std::vector<double> px = as_doubles(x), pw = as_doubles(w), py(y_shape.numel(), 0.0);
    if (bias.defined()) {
        std::vector<double> pb = as_doubles(bias);
        for (std::size_t i = 0; i < py.size(); ++i) py[i] = pb[(i / out_size) % CO];
    }
    for (std::int64_t n = 0; n < g.batch; ++n)
        for (std::int64_t ci = 0; ci < CI; ++ci)
            for (std::int64_t i = 0; i < in_size; ++i) {
                const Dims3 at{i / (in[1] * in[2]), i / in[2] % in[1], i % in[2]};
                const double xv = px[(n * CI + ci) * in_size + i];
                for (std::int64_t co = 0; co < COg; ++co)
                    for (std::int64_t t = 0; t < taps; ++t) {
                        const Dims3 tap{t / (k[1] * k[2]), t / k[2] % k[1], t % k[2]};
                        std::int64_t o = 0;
                        bool inside = true;
                        for (int d = 0; d < 3; ++d) {
                            std::int64_t p =
                                at[d] * win.stride[d] - win.pad[d] + tap[d] * win.dilation[d];
                            inside = inside && p >= 0 && p < out[d];
                            o = o * out[d] + p;
                        }
                        if (!inside) continue;
                        const std::int64_t oc = ci / CIg * COg + co;
                        py[(n * CO + oc) * out_size + o] += xv * pw[(ci * COg + co) * taps + t];
                    }
            }
    return from_doubles(py, y_shape, x.dtype());
}

}  // namespace soma::backend::cpu
