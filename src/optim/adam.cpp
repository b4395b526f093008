#include "soma/optim/adam.h"

#include "optim/update.h"

namespace soma::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam(std::move(params), options, false) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(params), o.lr), options_(o), decoupled_(decoupled) {
    const char* name = decoupled ? "AdamW" : "Adam";
    check(o.eps >= 0, name, ": eps must be >= 0, got ", o.eps);
    check(o.betas.first >= 0 && o.betas.first < 1 && o.betas.second >= 0 && o.betas.second < 1,
          name, ": betas must lie in [0, 1), got (", o.betas.first, ", ", o.betas.second, ")");
    check(o.weight_decay >= 0, name, ": weight_decay must be >= 0, got ", o.weight_decay);
    for (auto* v : {&step_, &exp_avg_, &exp_avg_sq_, &max_exp_avg_sq_}) v->resize(params_.size());
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o)
    : Adam(std::move(params),
           {.lr = o.lr,
            .betas = o.betas,
            .eps = o.eps,
            .weight_decay = o.weight_decay,
            .amsgrad = o.amsgrad},
           true) {}

std::vector<Optimizer::Buffer> Adam::buffers() {
    return {{"step", &step_, true},
            {"exp_avg", &exp_avg_},
            {"exp_avg_sq", &exp_avg_sq_},
            {"max_exp_avg_sq", &max_exp_avg_sq_}};
}

void Adam::update(std::size_t i, const Tensor& param, const Tensor& grad) {
    if (!step_[i].defined()) step_[i] = step_counter(0);
    const std::int64_t t = ++*step_[i].data<std::int64_t>();
    const Tensor& m = detail::state(exp_avg_[i], param);
    const Tensor& v = detail::state(exp_avg_sq_[i], param);
    const Tensor vmax = options_.amsgrad ? detail::state(max_exp_avg_sq_[i], param) : Tensor();
    ops_detail::adam_update(param, grad, m, v, vmax,
                            {.lr = lr_,
                             .beta1 = options_.betas.first,
                             .beta2 = options_.betas.second,
                             .eps = options_.eps,
                             .weight_decay = options_.weight_decay,
                             .decoupled = decoupled_,
                             .step = t});
}

}  // namespace soma::optim
