// The optimizer update loops. Each keeps the arithmetic of the formulas in soma/optim/*.h in
// one order, so results are reproducible step for step.

#include "backend/cpu/optim_update.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/loop.h"

namespace soma::backend::cpu {
namespace {

// Calls f(i) for i in [0, n).
template <class F>
void for_each_element(std::int64_t n, F&& f) {
    parallel_for(n, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) f(i);
    });
}

}  // namespace

template <class T>
void sgd_update(std::int64_t n, T* p, const T* g, T* b, const SGDScalars& s) {
    const T lr = T(s.lr), wd = T(s.weight_decay), mu = T(s.momentum);
    const T keep = T(1 - s.dampening);
    const bool nesterov = s.nesterov, first = s.first;
    if (!b) {
        for_each_element(n, [&](std::int64_t k) { p[k] -= lr * (g[k] + wd * p[k]); });
        return;
    }
    for_each_element(n, [&](std::int64_t k) {
        const T d = g[k] + wd * p[k];
        b[k] = first ? d : b[k] * mu + keep * d;
        p[k] -= lr * (nesterov ? d + mu * b[k] : b[k]);
    });
}

template <class T>
void adam_update(std::int64_t n, T* p, const T* g, T* m, T* v, T* vmax, const AdamScalars& s) {
    const double t = static_cast<double>(s.step);
    const double step_size = s.lr / (1 - std::pow(s.beta1, t));
    const double correction2_sqrt = std::sqrt(1 - std::pow(s.beta2, t));
    const T b1 = T(s.beta1), b2 = T(s.beta2), eps = T(s.eps);
    const T wd = s.decoupled ? T(0) : T(s.weight_decay);
    const T shrink = T(1 - s.lr * (s.decoupled ? s.weight_decay : 0));
    const T c2 = T(correction2_sqrt), size = T(step_size);
    const T one_b1 = T(1 - s.beta1), one_b2 = T(1 - s.beta2);
    // By-value captures and restrict pointers let the compiler vectorise the loop; the AMSGrad
    // branch is a template argument so the common path carries no test per element.
    auto update = [=](auto amsgrad) {
        return [=](std::int64_t begin, std::int64_t end) {
            T* __restrict pp = p;
            const T* __restrict gg = g;
            T* __restrict mm = m;
            T* __restrict vv = v;
            T* __restrict vm = vmax;
            for (std::int64_t k = begin; k < end; ++k) {
                const T gk = gg[k] + wd * pp[k];
                const T pk = pp[k] * shrink;
                const T mk = mm[k] * b1 + one_b1 * gk;
                T vk = vv[k] * b2 + one_b2 * gk * gk;
                vv[k] = vk;
                if constexpr (decltype(amsgrad)::value) vk = vm[k] = std::max(vm[k], vk);
                mm[k] = mk;
                pp[k] = pk - size * (mk / (std::sqrt(vk) / c2 + eps));
            }
        };
    };
    if (vmax)
        parallel_for(n, 1, update(std::true_type{}));
    else
        parallel_for(n, 1, update(std::false_type{}));
}

template <class T>
void rmsprop_update(std::int64_t n, T* p, const T* g, T* v, T* a, T* b, const RMSpropScalars& s) {
    const T alpha = T(s.alpha), one_alpha = T(1 - s.alpha);
    const T eps = T(s.eps), wd = T(s.weight_decay), lr = T(s.lr);
    const T mu = T(s.momentum);
    for_each_element(n, [&](std::int64_t k) {
        const T gk = g[k] + wd * p[k];
        v[k] = v[k] * alpha + one_alpha * gk * gk;
        T avg;
        if (a) {
            a[k] = a[k] * alpha + one_alpha * gk;
            avg = std::sqrt(v[k] - a[k] * a[k]) + eps;
        } else {
            avg = std::sqrt(v[k]) + eps;
        }
        if (b) {
            b[k] = b[k] * mu + gk / avg;
            p[k] -= lr * b[k];
        } else {
            p[k] -= lr * (gk / avg);
        }
    });
}

template <class T>
void adagrad_update(std::int64_t n, T* p, const T* g, T* sum, const AdagradScalars& s) {
    const T wd = T(s.weight_decay), eps = T(s.eps), lr = T(s.lr);
    for_each_element(n, [&](std::int64_t k) {
        const T gk = g[k] + wd * p[k];
        sum[k] += gk * gk;
        p[k] -= lr * (gk / (std::sqrt(sum[k]) + eps));
    });
}

void clip_grad_value(const Tensor& grad, double value) {
    dispatch(grad.dtype(), "clip_grad_value", [&](auto tag) {
        using T = decltype(tag);
        const T hi = T(value), lo = T(-value);
        apply_inplace<T>(grad, [=](T x) { return std::clamp(x, lo, hi); });
    });
}

template void sgd_update<float>(std::int64_t, float*, const float*, float*, const SGDScalars&);
template void sgd_update<double>(std::int64_t, double*, const double*, double*, const SGDScalars&);
template void adam_update<float>(std::int64_t, float*, const float*, float*, float*, float*,
                                 const AdamScalars&);
template void adam_update<double>(std::int64_t, double*, const double*, double*, double*, double*,
                                  const AdamScalars&);
template void rmsprop_update<float>(std::int64_t, float*, const float*, float*, float*, float*,
                                    const RMSpropScalars&);
template void rmsprop_update<double>(std::int64_t, double*, const double*, double*, double*,
                                     double*, const RMSpropScalars&);
template void adagrad_update<float>(std::int64_t, float*, const float*, float*,
                                    const AdagradScalars&);
template void adagrad_update<double>(std::int64_t, double*, const double*, double*,
                                     const AdagradScalars&);

}  // namespace soma::backend::cpu
