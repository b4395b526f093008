#include "backend/cpu/index.h"

#include <cmath>

#include "backend/cpu/copy.h"
#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

Tensor to_index(const Tensor& index, const char* op) {
    check(index.defined(), op, ": undefined index tensor");
    if (index.dtype() == kInt64)
        return index.is_contiguous() ? index : contiguous_copy(index, kInt64);
    Tensor values = contiguous_copy(index, kFloat64);
    const double* v = values.data<double>();
    for (std::int64_t i = 0; i < values.numel(); ++i)
        check(std::isfinite(v[i]) && std::floor(v[i]) == v[i], op, ": index tensor (",
              index.dtype(), ") holds ", v[i], ", which is not a whole number");
    return contiguous_copy(values, kInt64);
}

std::optional<std::int64_t> first_out_of_range(const Tensor& index, std::int64_t size) {
    const std::int64_t* p = index.data<std::int64_t>();
    for (std::int64_t i = 0; i < index.numel(); ++i)
        if (p[i] < 0 || p[i] >= size) return p[i];
    return std::nullopt;
}

Tensor take_along_dim(const Tensor& x, int dim, const Tensor& index, const Shape& out_shape) {
    Tensor out = Tensor::empty(out_shape, x.dtype());
    if (out.numel() == 0) return out;
    // x is walked with a zero stride along dim; the index supplies the position there.
    Shape xs = x.strides();
    const std::int64_t step = xs[dim];
    xs[dim] = 0;
    dispatch_all(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        constexpr std::int64_t w = sizeof(T), wi = sizeof(std::int64_t);
        Loop<3> loop(out_shape, {out.strides(), broadcast_strides(index, out_shape), xs},
                     {w, wi, w});
        auto* pi = static_cast<char*>(index.raw_data());
        auto* px = static_cast<char*>(x.raw_data());
        loop.parallel_run(
            {static_cast<char*>(out.raw_data()), pi, px},
            [step](const std::array<char*, 3>& p, std::int64_t n,
                   const std::array<std::int64_t, 3>& s) {
                T* o = reinterpret_cast<T*>(p[0]);  // out is contiguous
                if (s[1] == 0) {                    // one index for the whole run: a row copy
                    const char* row =
                        p[2] + *reinterpret_cast<const std::int64_t*>(p[1]) * step * w;
                    if (s[2] == w) {
                        const T* r = reinterpret_cast<const T*>(row);
                        for (std::int64_t i = 0; i < n; ++i) o[i] = r[i];
                    } else {
                        for (std::int64_t i = 0; i < n; ++i)
                            o[i] = *reinterpret_cast<const T*>(row + i * s[2]);
                    }
                    return;
                }
                for (std::int64_t i = 0; i < n; ++i) {
                    std::int64_t k = *reinterpret_cast<const std::int64_t*>(p[1] + i * s[1]);
                    o[i] = *reinterpret_cast<const T*>(p[2] + i * s[2] + k * step * w);
                }
            });
    });
    return out;
}

void add_along_dim(const Tensor& dst, int dim, const Tensor& index, const Tensor& src) {
    if (src.numel() == 0) return;
    // One work item per line along dim: two positions that can hit the same dst element lie on
    // the same line, so threads never race, and repeated indices add up in order.
    Shape lines = src.shape();
    const std::int64_t len = lines[dim];
    lines[dim] = 1;
    Shape is = broadcast_strides(index, src.shape());
    const std::int64_t istep = is[dim], sstep = src.strides()[dim], dstep = dst.strides()[dim];
    dispatch(dst.dtype(), "index_add", [&](auto tag) {
        using T = decltype(tag);
        constexpr std::int64_t w = sizeof(T), wi = sizeof(std::int64_t);
        Loop<3> loop(lines, {dst.strides(), is, src.strides()}, {w, wi, w});
        std::array<char*, 3> base{static_cast<char*>(dst.raw_data()),
                                  static_cast<char*>(index.raw_data()),
                                  static_cast<char*>(src.raw_data())};
        auto body = [&](const std::array<char*, 3>& p, std::int64_t n,
                        const std::array<std::int64_t, 3>& s) {
            for (std::int64_t j = 0; j < len; ++j) {
                const char* ij = p[1] + j * istep * wi;
                const char* sj = p[2] + j * sstep * w;
                if (s[1] == 0) {  // the whole run goes to one dst line
                    char* d = p[0] + *reinterpret_cast<const std::int64_t*>(ij) * dstep * w;
                    if (s[0] == w && s[2] == w) {
                        T* dt = reinterpret_cast<T*>(d);
                        const T* st = reinterpret_cast<const T*>(sj);
                        for (std::int64_t i = 0; i < n; ++i) dt[i] += st[i];
                    } else {
                        for (std::int64_t i = 0; i < n; ++i)
                            *reinterpret_cast<T*>(d + i * s[0]) +=
                                *reinterpret_cast<const T*>(sj + i * s[2]);
                    }
                    continue;
                }
                for (std::int64_t i = 0; i < n; ++i) {
                    std::int64_t k = *reinterpret_cast<const std::int64_t*>(ij + i * s[1]);
                    *reinterpret_cast<T*>(p[0] + i * s[0] + k * dstep * w) +=
                        *reinterpret_cast<const T*>(sj + i * s[2]);
                }
            }
        };
        parallel_for(loop.numel(), len,
                     [&](std::int64_t b, std::int64_t e) { loop.run(base, b, e, body); });
    });
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype) {
    Shape shape = index.shape();
    shape.push_back(num_classes);
    Tensor out = Tensor::empty(shape, dtype);
    const std::int64_t* idx = index.data<std::int64_t>();
    dispatch_all(dtype, [&](auto tag) {
        using T = decltype(tag);
        T* o = out.data<T>();
        parallel_for(index.numel(), num_classes, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) {
                T* row = o + i * num_classes;
                for (std::int64_t c = 0; c < num_classes; ++c) row[c] = T(0);
                row[idx[i]] = T(1);
            }
        });
    });
    return out;
}

}  // namespace soma::backend::cpu
