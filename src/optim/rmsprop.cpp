#include "soma/optim/rmsprop.h"

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
    const Tensor& v = detail::state(square_avg_[i], param);
    const Tensor a = options_.centered ? detail::state(grad_avg_[i], param) : Tensor();
    const Tensor b = options_.momentum > 0 ? detail::state(momentum_buffer_[i], param) : Tensor();
    ops_detail::rmsprop_update(param, grad, v, a, b,
                               {.lr = lr_,
                                .alpha = options_.alpha,
                                .eps = options_.eps,
                                .weight_decay = options_.weight_decay,
                                .momentum = options_.momentum});
}

}  // namespace soma::optim
