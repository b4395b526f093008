#include "autograd/accumulate.h"

#include "backend/cpu/copy.h"
#include "backend/cpu/elementwise.h"
#include "backend/cpu/reduce.h"
#include "soma/autograd.h"

namespace soma::autograd {
namespace {

Tensor sum_to_recorded(const Tensor& g, const Shape& shape);

// g viewed with `shape` (broadcasting); the backward of sum_to.
Tensor expand_to_recorded(const Tensor& g, const Shape& shape) {
    Tensor out = Tensor::make_view(g, shape, backend::cpu::broadcast_strides(g, shape), g.offset());
    Shape from = g.shape();
    return record(
        "ExpandBackward", out, {g},
        [from](const Tensor& gy) { return Grads{sum_to_recorded(gy, from)}; }, kSavesNothing);
}

Tensor sum_to_recorded(const Tensor& g, const Shape& shape) {
    Tensor out = backend::cpu::sum_to(g, shape);
    if (out.same(g)) return g;
    Shape from = g.shape();
    return record(
        "SumToBackward", out, {g},
        [from](const Tensor& gy) { return Grads{expand_to_recorded(gy, from)}; }, kSavesNothing);
}

}  // namespace

Tensor accumulate(const Tensor& a, const Tensor& b) {
    Tensor out = dispatch(a.dtype(), "accumulate", [&](auto tag) {
        using T = decltype(tag);
        return backend::cpu::map_binary<T>(a, b, "accumulate", [](T x, T y) { return x + y; });
    });
    return record(
        "AddBackward", out, {a, b},
        [](const Tensor& gy) {
            return Grads{gy, gy};
        },
        kSavesNothing);
}

void accumulate_inplace(const Tensor& dst, const Tensor& g) {
    dispatch(dst.dtype(), "accumulate", [&](auto tag) {
        using T = decltype(tag);
        backend::cpu::apply_inplace<T>(dst, g, "accumulate", [](T x, T y) { return x + y; });
    });
}

Tensor owned(Tensor g) {
    // Counts of 1 mean the caller's handle is the only one: stealing it is safe.
    bool sole = g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 &&
                g.is_contiguous() && !g.requires_grad() && g.offset() == 0;
    if (sole) return g;
    return backend::cpu::contiguous_copy(g, g.dtype());
}

Tensor reduce_to_shape(const Tensor& g, const Shape& shape, const char* op) {
    if (g.shape() == shape) return g;
    bool ok = g.dim() >= shape.size();
    for (int d = 0; ok && d < shape.size(); ++d) {
        std::int64_t gs = g.shape()[g.dim() - shape.size() + d];
        ok = shape[d] == gs || shape[d] == 1;
    }
    check(ok, op, " returned a gradient of shape ", g.shape(), " for an input of shape ", shape);
    return sum_to_recorded(g, shape);
}

}  // namespace soma::autograd
