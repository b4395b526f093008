#include "soma/optim/adagrad.h"

#include "optim/update.h"

namespace soma::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions o)
    : Optimizer(std::move(params), o.lr), options_(o) {
    check(o.lr_decay >= 0, "Adagrad: lr_decay must be >= 0, got ", o.lr_decay);
    check(o.weight_decay >= 0, "Adagrad: weight_decay must be >= 0, got ", o.weight_decay);
    check(o.initial_accumulator_value >= 0, "Adagrad: initial_accumulator_value must be >= 0, got ",
          o.initial_accumulator_value);
    check(o.eps >= 0, "Adagrad: eps must be >= 0, got ", o.eps);
    // Created up front, like PyTorch, so a fresh optimizer's state_dict is complete.
    for (const Tensor& p : params_) {
        step_.push_back(step_counter(0));
        sum_.push_back(full(p.shape(), o.initial_accumulator_value, p.dtype()));
    }
}

void Adagrad::update(std::size_t i, const Tensor& param, const Tensor& grad) {
    if (!step_[i].defined()) step_[i] = step_counter(0);
    const std::int64_t t = ++*step_[i].data<std::int64_t>();
    const double clr = lr_ / (1 + static_cast<double>(t - 1) * options_.lr_decay);
    const Tensor& s = detail::state(sum_[i], param, options_.initial_accumulator_value);
    ops_detail::adagrad_update(
        param, grad, s, {.lr = clr, .weight_decay = options_.weight_decay, .eps = options_.eps});
}

}  // namespace soma::optim
