#include "backend/cpu/reduce_extra.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "backend/cpu/copy.h"
#include "backend/cpu/fast_math.h"
#include "backend/cpu/loop.h"
#include "backend/cpu/reduce.h"

namespace soma::backend::cpu {

namespace {

Tensor contiguous_of(const Tensor& x) {
    return x.is_contiguous() ? x : contiguous_copy(x, x.dtype());
}

// Lanes go to the kernels in groups of up to kBlock neighbours (same outer index, consecutive
// inner indices), so that every pass over a column-wise lane reads whole cache lines.
constexpr std::int64_t kBlock = 16;

// Calls f(lane0, offset, width, stride) for each group: `width` lanes numbered from lane0, whose
// element (r, j) sits at offset + r * stride + j of a contiguous tensor. Rows (inner == 1) come
// one at a time with a compile-time width and stride of 1, so that their loops vectorise.
template <class F>
void for_each_group(const DimSplit& s, F f) {
    if (s.inner == 1) {
        using One = std::integral_constant<std::int64_t, 1>;
        parallel_for(s.outer, s.n, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t o = b; o < e; ++o) f(o, o * s.n, One{}, One{});
        });
        return;
    }
    const std::int64_t blocks = (s.inner + kBlock - 1) / kBlock;
    parallel_for(s.outer * blocks, s.n * kBlock, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t g = b; g < e; ++g) {
            const std::int64_t o = g / blocks, i0 = (g % blocks) * kBlock;
            f(o * s.inner + i0, o * s.n * s.inner + i0, std::min(kBlock, s.inner - i0), s.inner);
        }
    });
}

}  // namespace

DimSplit split_at(const Shape& shape, int dim) {
    DimSplit s;
    if (shape.size() == 0) return s;
    s.n = shape[dim];
    for (int d = 0; d < dim; ++d) s.outer *= shape[d];
    for (int d = dim + 1; d < shape.size(); ++d) s.inner *= shape[d];
    return s;
}

Tensor split_reduced(const Tensor& x, const std::vector<bool>& mask, DimSplit& s) {
    int first = x.dim(), last = -1;
    for (int d = 0; d < x.dim(); ++d)
        if (mask[d]) first = std::min(first, d), last = d;
    bool adjacent = true;
    for (int d = first; d <= last; ++d) adjacent = adjacent && mask[d];
    s = DimSplit{};
    if (adjacent) {
        for (int d = 0; d < x.dim(); ++d)
            (d < first ? s.outer : d <= last ? s.n : s.inner) *= x.shape()[d];
        return contiguous_of(x);
    }
    Shape shape, strides;
    for (int pass = 0; pass < 2; ++pass)
        for (int d = 0; d < x.dim(); ++d) {
            if (mask[d] != (pass == 1)) continue;
            shape.push_back(x.shape()[d]);
            strides.push_back(x.strides()[d]);
            (pass == 0 ? s.outer : s.n) *= x.shape()[d];
        }
    return contiguous_copy(Tensor::make_view(x, shape, strides, x.offset()), x.dtype());
}

void extreme_along(const Tensor& x, int dim, bool keepdim, bool is_max, Tensor* values,
                   Tensor* indices) {
    Shape out_shape = x.shape();
    if (x.dim() > 0) {
        if (keepdim)
            out_shape[dim] = 1;
        else
            out_shape.erase(dim);
    }
    DimSplit s = split_at(x.shape(), dim);
    check(s.n > 0 || s.outer * s.inner == 0, is_max ? "max" : "min",
          ": cannot reduce over an empty dimension");
    dispatch(x.dtype(), is_max ? "max" : "min", [&](auto tag) {
        using T = decltype(tag);
        Tensor xc = contiguous_of(x);
        const T* px = xc.data<T>();
        T* pv = nullptr;
        std::int64_t* pi = nullptr;
        if (values) {
            *values = Tensor::empty(out_shape, x.dtype());
            pv = values->data<T>();
        }
        if (indices) {
            *indices = Tensor::empty(out_shape, kInt64);
            pi = indices->data<std::int64_t>();
        }
        for_each_group(s, [&](std::int64_t lane0, std::int64_t off, auto w, auto st) {
            const T* p = px + off;
            T best[kBlock];
            std::int64_t at[kBlock];
            for (std::int64_t j = 0; j < w; ++j) best[j] = p[j], at[j] = 0;
            for (std::int64_t r = 1; r < s.n; ++r)
                for (std::int64_t j = 0; j < w; ++j) {
                    const T v = p[r * st + j];
                    // Strictly better keeps the first extreme; the first NaN wins for good.
                    if ((is_max ? v > best[j] : v < best[j]) || (v != v && best[j] == best[j])) {
                        best[j] = v;
                        at[j] = r;
                    }
                }
            for (std::int64_t j = 0; j < w; ++j) {
                if (pv) pv[lane0 + j] = best[j];
                if (pi) pi[lane0 + j] = at[j];
            }
        });
    });
}

Tensor one_hot_along(const Tensor& indices, const Shape& shape, int dim, DType dtype) {
    check(indices.is_contiguous() && indices.dtype() == kInt64,
          "one_hot_along: indices must be contiguous int64");
    Tensor out = zeros(shape, dtype);
    DimSplit s = split_at(shape, dim);
    const std::int64_t* pi = indices.data<std::int64_t>();
    dispatch(dtype, "one_hot_along", [&](auto tag) {
        using T = decltype(tag);
        T* po = out.data<T>();
        for (std::int64_t l = 0; l < s.outer * s.inner; ++l)
            po[(l / s.inner) * s.n * s.inner + l % s.inner + pi[l] * s.inner] = T(1);
    });
    return out;
}

Tensor var(const Tensor& x, const std::vector<bool>& mask, bool keepdim, std::int64_t correction) {
    return dispatch(x.dtype(), "var", [&](auto tag) {
        using T = decltype(tag);
        DimSplit s;
        Tensor xs = split_reduced(x, mask, s);
        Tensor out = Tensor::empty(reduced_shape(x.shape(), mask, keepdim), x.dtype());
        const T* px = xs.data<T>();
        T* po = out.data<T>();
        const double n = static_cast<double>(s.n);
        // No degrees of freedom left gives inf or NaN, like torch (which only warns).
        const double dof = static_cast<double>(std::max<std::int64_t>(0, s.n - correction));
        for_each_group(s, [&](std::int64_t lane0, std::int64_t off, auto w, auto st) {
            const T* p = px + off;
            // Two passes: the centred sum of squares does not cancel catastrophically.
            double m[kBlock], ss[kBlock];
            for (std::int64_t j = 0; j < w; ++j) m[j] = ss[j] = 0;
            for (std::int64_t r = 0; r < s.n; ++r)
                for (std::int64_t j = 0; j < w; ++j) m[j] += p[r * st + j];
            for (std::int64_t j = 0; j < w; ++j) m[j] /= n;
            for (std::int64_t r = 0; r < s.n; ++r)
                for (std::int64_t j = 0; j < w; ++j) {
                    const double d = p[r * st + j] - m[j];
                    ss[j] += d * d;
                }
            for (std::int64_t j = 0; j < w; ++j) po[lane0 + j] = static_cast<T>(ss[j] / dof);
        });
        return out;
    });
}

Tensor logsumexp(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
    return dispatch(x.dtype(), "logsumexp", [&](auto tag) {
        using T = decltype(tag);
        DimSplit s;
        Tensor xs = split_reduced(x, mask, s);
        Tensor out = Tensor::empty(reduced_shape(x.shape(), mask, keepdim), x.dtype());
        const T* px = xs.data<T>();
        T* po = out.data<T>();
        for_each_group(s, [&](std::int64_t lane0, std::int64_t off, auto w, auto st) {
            const T* p = px + off;
            T mx[kBlock];
            double acc[kBlock];
            for (std::int64_t j = 0; j < w; ++j) mx[j] = -std::numeric_limits<T>::infinity();
            for (std::int64_t r = 0; r < s.n; ++r)
                for (std::int64_t j = 0; j < w; ++j) mx[j] = std::max(mx[j], p[r * st + j]);
            // An infinite maximum would turn x - max into NaN; shifting by 0 keeps the right
            // answer (+inf, or -inf for an all -inf or empty lane).
            for (std::int64_t j = 0; j < w; ++j) {
                if (std::isinf(mx[j])) mx[j] = 0;
                acc[j] = 0;
            }
            for (std::int64_t r = 0; r < s.n; ++r)
                for (std::int64_t j = 0; j < w; ++j) acc[j] += std::exp(p[r * st + j] - mx[j]);
            for (std::int64_t j = 0; j < w; ++j)
                po[lane0 + j] = static_cast<T>(mx[j] + std::log(acc[j]));
        });
        return out;
    });
}

Tensor softmax(const Tensor& x, int dim, bool log) {
    return dispatch(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
        using T = decltype(tag);
        Tensor xc = contiguous_of(x);
        Tensor out = Tensor::empty(x.shape(), x.dtype());
        DimSplit s = split_at(x.shape(), dim);
        if (s.n == 0) return out;
        const T* px = xc.data<T>();
        T* po = out.data<T>();
        for_each_group(s, [&](std::int64_t, std::int64_t off, auto w, auto st) {
            const T* p = px + off;
            T* q = po + off;
            T mx[kBlock];
            double acc[kBlock];
            for (std::int64_t j = 0; j < w; ++j) mx[j] = -std::numeric_limits<T>::infinity();
            for (std::int64_t j = 0; j < w; ++j) acc[j] = 0;
            for (std::int64_t r = 0; r < s.n; ++r)
                for (std::int64_t j = 0; j < w; ++j) mx[j] = std::max(mx[j], p[r * st + j]);
            if (log) {
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j) acc[j] += std::exp(p[r * st + j] - mx[j]);
                // (x - max) - log(sum) is exact where x == max; x - (max + log(sum)) would
                // round max + log(sum) at max's magnitude.
                T shift[kBlock];
                for (std::int64_t j = 0; j < w; ++j) shift[j] = static_cast<T>(std::log(acc[j]));
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j)
                        q[r * st + j] = (p[r * st + j] - mx[j]) - shift[j];
            } else {
                // The exponentials first, in a loop of their own that vectorises, then the sums.
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j)
                        q[r * st + j] = fast_exp<T>(p[r * st + j] - mx[j]);
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j) acc[j] += q[r * st + j];
                T inv[kBlock];
                for (std::int64_t j = 0; j < w; ++j) inv[j] = static_cast<T>(1.0 / acc[j]);
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j) q[r * st + j] *= inv[j];
            }
        });
        return out;
    });
}

Tensor softmax_backward(const Tensor& y, const Tensor& gy, int dim, bool log) {
    const char* op = log ? "log_softmax_backward" : "softmax_backward";
    check(y.shape() == gy.shape() && y.dtype() == gy.dtype(), op, ": gradient ", gy.shape(), " ",
          gy.dtype(), " does not match output ", y.shape(), " ", y.dtype());
    return dispatch(y.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        Tensor yc = contiguous_of(y), gc = contiguous_of(gy);
        Tensor out = Tensor::empty(y.shape(), y.dtype());
        DimSplit s = split_at(y.shape(), dim);
        const T* py = yc.data<T>();
        const T* pg = gc.data<T>();
        T* po = out.data<T>();
        for_each_group(s, [&](std::int64_t, std::int64_t off, auto w, auto st) {
            const T *yl = py + off, *gl = pg + off;
            T* ol = po + off;
            double acc[kBlock];
            T red[kBlock];
            for (std::int64_t j = 0; j < w; ++j) acc[j] = 0;
            if (log) {  // dx = g - softmax * sum(g), softmax = exp(log_softmax)
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j) acc[j] += gl[r * st + j];
                for (std::int64_t j = 0; j < w; ++j) red[j] = static_cast<T>(acc[j]);
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j)
                        ol[r * st + j] = gl[r * st + j] - std::exp(yl[r * st + j]) * red[j];
            } else {  // dx = y * (g - sum(g * y))
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j) acc[j] += gl[r * st + j] * yl[r * st + j];
                for (std::int64_t j = 0; j < w; ++j) red[j] = static_cast<T>(acc[j]);
                for (std::int64_t r = 0; r < s.n; ++r)
                    for (std::int64_t j = 0; j < w; ++j)
                        ol[r * st + j] = yl[r * st + j] * (gl[r * st + j] - red[j]);
            }
        });
        return out;
    });
}

}  // namespace soma::backend::cpu
