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
    Tensor buffer;
    // The first step seeds the buffer with the gradient itself, undamped.
    const bool first = options_.momentum != 0 && !momentum_buffer_[i].defined();
    if (options_.momentum != 0) buffer = detail::state(momentum_buffer_[i], param);
    ops_detail::sgd_update(param, grad, buffer,
                           {.lr = lr_,
                            .weight_decay = options_.weight_decay,
                            .momentum = options_.momentum,
                            .dampening = options_.dampening,
                            .nesterov = options_.nesterov,
                            .first = first});
}

}  // namespace soma::optim
