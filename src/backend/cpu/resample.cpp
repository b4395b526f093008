#include "backend/cpu/resample.h"

#include "backend/cpu/copy.h"
#include "backend/cpu/loop.h"

namespace soma::backend::cpu {
namespace {

Tensor dense(const Tensor& t) { return t.is_contiguous() ? t : contiguous_copy(t, t.dtype()); }

// The tables of one dimension with the weights in the kernel's type, and the index of
// dimension d pre-multiplied by the input's stride along it.
template <class T>
struct Taps1d {
    int taps;
    std::array<std::vector<std::int64_t>, 2> offset;
    std::array<std::vector<T>, 2> weight;
};

template <class T>
std::array<Taps1d<T>, 3> prepare(const Resampling& r) {
    const Dims3 in_stride{r.in[1] * r.in[2], r.in[2], 1};
    std::array<Taps1d<T>, 3> out;
    for (int d = 0; d < 3; ++d) {
        const Resample1d& src = r.dims[d];
        out[d].taps = src.taps;
        for (int t = 0; t < src.taps; ++t)
            for (std::int64_t o = 0; o < r.out[d]; ++o) {
                out[d].offset[t].push_back(src.index[t][o] * in_stride[d]);
                out[d].weight[t].push_back(static_cast<T>(src.weight[t][o]));
            }
    }
    return out;
}

// Calls f(o, i, w) for output position o of one plane, every input position i it reads and
// that tap's weight w, in output order.
template <class T, class F>
void walk(const Resampling& r, const std::array<Taps1d<T>, 3>& t, F&& f) {
    std::int64_t o = 0;
    for (std::int64_t o0 = 0; o0 < r.out[0]; ++o0)
        for (std::int64_t o1 = 0; o1 < r.out[1]; ++o1)
            for (std::int64_t o2 = 0; o2 < r.out[2]; ++o2, ++o)
                for (int a = 0; a < t[0].taps; ++a)
                    for (int b = 0; b < t[1].taps; ++b) {
                        const std::int64_t row = t[0].offset[a][o0] + t[1].offset[b][o1];
                        const T w = t[0].weight[a][o0] * t[1].weight[b][o1];
                        for (int c = 0; c < t[2].taps; ++c)
                            f(o, row + t[2].offset[c][o2], w * t[2].weight[c][o2]);
                    }
}

std::int64_t planes_of(const Shape& shape, std::int64_t plane_size) {
    return plane_size == 0 ? 0 : shape.numel() / plane_size;
}

}  // namespace

Tensor resample_forward(const Tensor& x_in, const Resampling& r, const Shape& y_shape) {
    Tensor x = dense(x_in);
    Tensor y = zeros(y_shape, x.dtype());
    const std::int64_t S = r.in[0] * r.in[1] * r.in[2], L = r.out[0] * r.out[1] * r.out[2];
    const std::int64_t P = planes_of(y_shape, L);
    dispatch(x.dtype(), "interpolate", [&](auto tag) {
        using T = decltype(tag);
        const std::array<Taps1d<T>, 3> taps = prepare<T>(r);
        const T* px = x.data<T>();
        T* py = y.data<T>();
        parallel_for(P, L * 4, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p) {
                const T* xp = px + p * S;
                T* yp = py + p * L;
                walk<T>(r, taps, [&](std::int64_t o, std::int64_t i, T w) { yp[o] += w * xp[i]; });
            }
        });
    });
    return y;
}

Tensor resample_backward(const Tensor& gy_in, const Resampling& r, const Shape& x_shape) {
    Tensor gy = dense(gy_in);
    Tensor gx = zeros(x_shape, gy.dtype());
    const std::int64_t S = r.in[0] * r.in[1] * r.in[2], L = r.out[0] * r.out[1] * r.out[2];
    const std::int64_t P = planes_of(x_shape, S);
    dispatch(gy.dtype(), "interpolate", [&](auto tag) {
        using T = decltype(tag);
        const std::array<Taps1d<T>, 3> taps = prepare<T>(r);
        const T* pgy = gy.data<T>();
        T* pgx = gx.data<T>();
        // Planes are independent, so threads never add into the same plane.
        parallel_for(P, L * 4, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t p = b; p < e; ++p) {
                const T* gyp = pgy + p * L;
                T* gxp = pgx + p * S;
                walk<T>(r, taps,
                        [&](std::int64_t o, std::int64_t i, T w) { gxp[i] += w * gyp[o]; });
            }
        });
    });
    return gx;
}

}  // namespace soma::backend::cpu
