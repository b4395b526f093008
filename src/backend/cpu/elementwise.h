#pragma once
// Element-wise kernel templates: map a scalar function over one, two or three tensors
// (broadcasting, any strides) into a new contiguous tensor, or in place. Contiguous operands take
// a flat loop the compiler vectorises; everything else goes through Loop.

#include <cstring>

#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

// out = f(x), element-wise; out has x's shape and dtype TOut.
template <class TOut, class TIn, class F>
Tensor map_unary(const Tensor& x, F f) {
    Tensor out = Tensor::empty(x.shape(), dtype_of<TOut>());
    const TIn* px = x.data<TIn>();
    TOut* po = out.data<TOut>();
    std::int64_t n = x.numel();
    if (x.is_contiguous()) {
        parallel_for(n, 1, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) po[i] = f(px[i]);
        });
        return out;
    }
    Loop<2> loop(x.shape(), {out.strides(), x.strides()}, {sizeof(TOut), sizeof(TIn)});
    loop.parallel_run({reinterpret_cast<char*>(po), const_cast<char*>(reinterpret_cast<const char*>(px))},
                      [&](const std::array<char*, 2>& p, std::int64_t m, const std::array<std::int64_t, 2>& s) {
                          TOut* o = reinterpret_cast<TOut*>(p[0]);
                          const char* a = p[1];
                          for (std::int64_t i = 0; i < m; ++i)
                              o[i] = f(*reinterpret_cast<const TIn*>(a + i * s[1]));
                      });
    return out;
}

// out = f(a, b) with broadcasting; out is contiguous with dtype T.
template <class T, class F>
Tensor map_binary(const Tensor& a, const Tensor& b, const char* op, F f) {
    Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    Tensor out = Tensor::empty(shape, dtype_of<T>());
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    if (a.shape() == b.shape() && a.is_contiguous() && b.is_contiguous()) {
        parallel_for(out.numel(), 1, [&](std::int64_t s, std::int64_t e) {
            for (std::int64_t i = s; i < e; ++i) po[i] = f(pa[i], pb[i]);
        });
        return out;
    }
    constexpr std::int64_t w = sizeof(T);
    Loop<3> loop(shape, {out.strides(), broadcast_strides(a, shape), broadcast_strides(b, shape)},
                 {w, w, w});
    auto* ca = const_cast<char*>(reinterpret_cast<const char*>(pa));
    auto* cb = const_cast<char*>(reinterpret_cast<const char*>(pb));
    loop.parallel_run({reinterpret_cast<char*>(po), ca, cb},
                      [&](const std::array<char*, 3>& p, std::int64_t m, const std::array<std::int64_t, 3>& s) {
                          T* o = reinterpret_cast<T*>(p[0]);
                          const T* x = reinterpret_cast<const T*>(p[1]);
                          const T* y = reinterpret_cast<const T*>(p[2]);
                          // The common broadcast patterns get loops the compiler can vectorise.
                          if (s[1] == w && s[2] == w) {
                              for (std::int64_t i = 0; i < m; ++i) o[i] = f(x[i], y[i]);
                          } else if (s[1] == w && s[2] == 0) {
                              const T yv = *y;
                              for (std::int64_t i = 0; i < m; ++i) o[i] = f(x[i], yv);
                          } else if (s[1] == 0 && s[2] == w) {
                              const T xv = *x;
                              for (std::int64_t i = 0; i < m; ++i) o[i] = f(xv, y[i]);
                          } else {
                              for (std::int64_t i = 0; i < m; ++i)
                                  o[i] = f(*reinterpret_cast<const T*>(p[1] + i * s[1]),
                                           *reinterpret_cast<const T*>(p[2] + i * s[2]));
                          }
                      });
    return out;
}

// out = f(a, b, c) with broadcasting of all three; out is contiguous with dtype T.
template <class T, class F>
Tensor map_ternary(const Tensor& a, const Tensor& b, const Tensor& c, const char* op, F f) {
    Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), op), c.shape(), op);
    Tensor out = Tensor::empty(shape, dtype_of<T>());
    constexpr std::int64_t w = sizeof(T);
    Loop<4> loop(shape,
                 {out.strides(), broadcast_strides(a, shape), broadcast_strides(b, shape),
                  broadcast_strides(c, shape)},
                 {w, w, w, w});
    auto ptr = [](const Tensor& t) {
        return const_cast<char*>(reinterpret_cast<const char*>(t.data<T>()));
    };
    loop.parallel_run({ptr(out), ptr(a), ptr(b), ptr(c)},
                      [&](const std::array<char*, 4>& p, std::int64_t m, const std::array<std::int64_t, 4>& s) {
                          T* o = reinterpret_cast<T*>(p[0]);
                          for (std::int64_t i = 0; i < m; ++i)
                              o[i] = f(*reinterpret_cast<const T*>(p[1] + i * s[1]),
                                       *reinterpret_cast<const T*>(p[2] + i * s[2]),
                                       *reinterpret_cast<const T*>(p[3] + i * s[3]));
                      });
    return out;
}

// self = f(self, other) in place, other broadcast to self's shape.
template <class T, class F>
void apply_inplace(const Tensor& self, const Tensor& other, const char* op, F f) {
    check(broadcast_shapes(self.shape(), other.shape(), op) == self.shape(), op, ": cannot broadcast ",
          other.shape(), " to ", self.shape());
    constexpr std::int64_t w = sizeof(T);
    Loop<2> loop(self.shape(), {self.strides(), broadcast_strides(other, self.shape())}, {w, w});
    auto* po = reinterpret_cast<char*>(self.data<T>());
    auto* pi = const_cast<char*>(reinterpret_cast<const char*>(other.data<T>()));
    loop.parallel_run({po, pi}, [&](const std::array<char*, 2>& p, std::int64_t m,
                                    const std::array<std::int64_t, 2>& s) {
        if (s[0] == w && s[1] == w) {
            T* o = reinterpret_cast<T*>(p[0]);
            const T* x = reinterpret_cast<const T*>(p[1]);
            for (std::int64_t i = 0; i < m; ++i) o[i] = f(o[i], x[i]);
        } else {
            for (std::int64_t i = 0; i < m; ++i) {
                T& o = *reinterpret_cast<T*>(p[0] + i * s[0]);
                o = f(o, *reinterpret_cast<const T*>(p[1] + i * s[1]));
            }
        }
    });
}

// self = f(self) in place.
template <class T, class F>
void apply_inplace(const Tensor& self, F f) {
    Loop<1> loop(self.shape(), {self.strides()}, {sizeof(T)});
    loop.parallel_run({reinterpret_cast<char*>(self.data<T>())},
                      [&](const std::array<char*, 1>& p, std::int64_t m, const std::array<std::int64_t, 1>& s) {
                          for (std::int64_t i = 0; i < m; ++i) {
                              T& o = *reinterpret_cast<T*>(p[0] + i * s[0]);
                              o = f(o);
                          }
                      });
}

}  // namespace soma::backend::cpu
