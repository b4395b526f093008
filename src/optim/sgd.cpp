#include "soma/optim/sgd.h"

#include "optim/update.h"

namespace soma::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr), options_(options) {
    check(options.momentum >= 0, "SGD: momentum must be >= 0, got ", options.momentum);
    check(options.weight_decay >= 0, "SGD: weight_decay must be >= 0, got ", options.weight_decay);
    check(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
          "SGD: nesterov momentum needs momentum > 0 and dampening == 0 (got momentum ",
          options.momentum, ", dampening ", options.dampening, ")");
    momentum_buffer_.resize(params_.size());
}

void SGD::update(std::size_t i, const Tensor& param, const Tensor& grad) {
    dispatch(param.dtype(), "SGD", [&](auto tag) {
        using T = decltype(tag);
        T* p = param.data<T>();
        const T* g = grad.data<T>();
        const T lr = T(lr_), wd = T(options_.weight_decay), mu = T(options_.momentum);
        const T keep = T(1 - options_.dampening);
        const bool nesterov = options_.nesterov;
        const std::int64_t n = param.numel();
        if (options_.momentum == 0) {
            detail::for_each_element(n, [&](std::int64_t k) { p[k] -= lr * (g[k] + wd * p[k]); });
            return;
        }
        Tensor& buffer = momentum_buffer_[i];
        // The first step seeds the buffer with the gradient itself, undamped.
        const bool first = !buffer.defined();
        T* b = detail::state_data<T>(buffer, param);
        detail::for_each_element(n, [&](std::int64_t k) {
            const T d = g[k] + wd * p[k];
            b[k] = first ? d : b[k] * mu + keep * d;
            p[k] -= lr * (nesterov ? d + mu * b[k] : b[k]);
        });
    });
}

}  // namespace soma::optim
