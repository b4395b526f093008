#pragma once
// Glue between ops and the CPU element-wise kernels: dtype checks and dispatch, so an op states
// only its scalar formula, e.g. unary_kernel(x, "exp", [](auto v) { return std::exp(v); }).

#include <vector>

#include "backend/cpu/elementwise.h"
#include "soma/autograd.h"

namespace soma::ops_detail {

inline void check_defined(const Tensor& t, const char* op) {
    check(t.defined(), op, ": undefined tensor");
}

inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
    check_defined(a, op);
    check_defined(b, op);
    check(a.dtype() == b.dtype(), op, ": dtypes differ (", a.dtype(), " and ", b.dtype(),
          "); convert one with .to()");
}

// out = f(x) element-wise, same dtype.
template <class F>
Tensor unary_kernel(const Tensor& x, const char* op, F f) {
    check_defined(x, op);
    return dispatch(x.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        return backend::cpu::map_unary<T, T>(x, [&](T v) { return static_cast<T>(f(v)); });
    });
}

// out = f(a, b) element-wise with broadcasting, same dtype.
template <class F>
Tensor binary_kernel(const Tensor& a, const Tensor& b, const char* op, F f) {
    check_same_dtype(a, b, op);
    return dispatch(a.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        return backend::cpu::map_binary<T>(a, b, op,
                                           [&](T x, T y) { return static_cast<T>(f(x, y)); });
    });
}

// out = f(a, b, c) element-wise with broadcasting, same dtype.
template <class F>
Tensor ternary_kernel(const Tensor& a, const Tensor& b, const Tensor& c, const char* op, F f) {
    check_same_dtype(a, b, op);
    check_same_dtype(a, c, op);
    return dispatch(a.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        return backend::cpu::map_ternary<T>(
            a, b, c, op, [&](T x, T y, T z) { return static_cast<T>(f(x, y, z)); });
    });
}

// The gradient of a reduction, broadcast back over the reduced dims (`mask`) of the input.
inline Tensor expand_reduced(const Tensor& gy, const Shape& in_shape, const std::vector<bool>& mask,
                             bool keepdim) {
    Tensor g = gy;
    if (!keepdim)
        for (int d = 0; d < static_cast<int>(mask.size()); ++d)
            if (mask[d]) g = g.unsqueeze(d);
    return g.expand(in_shape);
}

}  // namespace soma::ops_detail
