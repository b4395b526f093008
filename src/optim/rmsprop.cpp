#include "soma/optim/rmsprop.h"

#include <cmath>

#include "optim/update.h"

namespace soma::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o)
    : Optimizer(std::move(params), o.lr), options_(o) {
    check(o.alpha >= 0, "RMSprop: alpha must be >= 0, got ", o.alpha);
    check(o.eps >= 0, "RMSprop: eps must be >= 0, got ", o.eps);
    check(o.momentum >= 0, "RMSprop: momentum must be >= 0, got ", o.momentum);
    check(o.weight_decay >= 0, "RMSprop: weight_decay must be >= 0, got ", o.weight_decay);
    for (auto* v : {&square_avg_, &grad_avg_, &momentum_buffer_}) v->resize(params_.size());
}

void RMSprop::update(std::size_t i, const Tensor& param, const Tensor& grad) {
    dispatch(param.dtype(), "RMSprop", [&](auto tag) {
        using T = decltype(tag);
        T* p = param.data<T>();
        const T* g = grad.data<T>();
        T* v = detail::state_data<T>(square_avg_[i], param);
        T* a = options_.centered ? detail::state_data<T>(grad_avg_[i], param) : nullptr;
        T* b = options_.momentum > 0 ? detail::state_data<T>(momentum_buffer_[i], param) : nullptr;
        const T alpha = T(options_.alpha), one_alpha = T(1 - options_.alpha);
        const T eps = T(options_.eps), wd = T(options_.weight_decay), lr = T(lr_);
        const T mu = T(options_.momentum);
        detail::for_each_element(param.numel(), [&](std::int64_t k) {
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
    });
}

}  // namespace soma::optim
