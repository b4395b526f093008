#include "soma/optim/adam.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

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
    const auto [beta1, beta2] = options_.betas;
    // The scalar factors in double, as PyTorch computes them in Python floats.
    const double step_size = lr_ / (1 - std::pow(beta1, static_cast<double>(t)));
    const double correction2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(t)));
    dispatch(param.dtype(), decoupled_ ? "AdamW" : "Adam", [&](auto tag) {
        using T = decltype(tag);
        T* p = param.data<T>();
        const T* g = grad.data<T>();
        T* m = detail::state_data<T>(exp_avg_[i], param);
        T* v = detail::state_data<T>(exp_avg_sq_[i], param);
        T* vmax = options_.amsgrad ? detail::state_data<T>(max_exp_avg_sq_[i], param) : nullptr;
        const T b1 = T(beta1), b2 = T(beta2), eps = T(options_.eps);
        const T wd = decoupled_ ? T(0) : T(options_.weight_decay);
        const T shrink = T(1 - lr_ * (decoupled_ ? options_.weight_decay : 0));
        const T c2 = T(correction2_sqrt), size = T(step_size);
        const T one_b1 = T(1 - beta1), one_b2 = T(1 - beta2);
        // By-value captures and restrict pointers let the compiler vectorise the loop; the
        // AMSGrad branch is a template argument so the common path carries no test per element.
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
            backend::cpu::parallel_for(param.numel(), 1, update(std::true_type{}));
        else
            backend::cpu::parallel_for(param.numel(), 1, update(std::false_type{}));
    });
}

}  // namespace soma::optim
