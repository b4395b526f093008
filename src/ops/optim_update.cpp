// The optimizer updates: checks and dtype dispatch in front of the CPU kernels.

#include "ops/optim_update.h"

#include "backend/cpu/optim_update.h"

namespace soma::ops_detail {
namespace {

namespace cpu = backend::cpu;

// Throws unless t (when defined) matches param in shape and dtype and is contiguous; `op` and
// `what` name it.
void check_like(const Tensor& t, const Tensor& param, const char* op, const char* what) {
    if (!t.defined()) return;
    check(t.shape() == param.shape() && t.dtype() == param.dtype() && t.is_contiguous(), op, ": ",
          what, " ", t.shape(), " ", t.dtype(), " should be contiguous ", param.shape(), " ",
          param.dtype());
}

// The data of an optional state tensor: null when undefined.
template <class T>
T* data_or_null(const Tensor& t) {
    return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const SGDUpdate& u) {
    check_like(param, param, "SGD", "param");
    check_like(grad, param, "SGD", "grad");
    check_like(momentum_buffer, param, "SGD", "momentum_buffer");
    dispatch(param.dtype(), "SGD", [&](auto tag) {
        using T = decltype(tag);
        cpu::sgd_update<T>(param.numel(), param.data<T>(), grad.data<T>(),
                           data_or_null<T>(momentum_buffer),
                           {u.lr, u.weight_decay, u.momentum, u.dampening, u.nesterov, u.first});
    });
}

void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const AdamUpdate& u) {
    const char* op = u.decoupled ? "AdamW" : "Adam";
    check_like(param, param, op, "param");
    check_like(grad, param, op, "grad");
    check(exp_avg.defined() && exp_avg_sq.defined(), op, ": exp_avg and exp_avg_sq are needed");
    check_like(exp_avg, param, op, "exp_avg");
    check_like(exp_avg_sq, param, op, "exp_avg_sq");
    check_like(max_exp_avg_sq, param, op, "max_exp_avg_sq");
    dispatch(param.dtype(), op, [&](auto tag) {
        using T = decltype(tag);
        cpu::adam_update<T>(param.numel(), param.data<T>(), grad.data<T>(), exp_avg.data<T>(),
                            exp_avg_sq.data<T>(), data_or_null<T>(max_exp_avg_sq),
                            {u.lr, u.beta1, u.beta2, u.eps, u.weight_decay, u.decoupled, u.step});
    });
}

void rmsprop_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                    const Tensor& grad_avg, const Tensor& momentum_buffer, const RMSpropUpdate& u) {
    check_like(param, param, "RMSprop", "param");
    check_like(grad, param, "RMSprop", "grad");
    check(square_avg.defined(), "RMSprop: square_avg is needed");
    check_like(square_avg, param, "RMSprop", "square_avg");
    check_like(grad_avg, param, "RMSprop", "grad_avg");
    check_like(momentum_buffer, param, "RMSprop", "momentum_buffer");
    dispatch(param.dtype(), "RMSprop", [&](auto tag) {
        using T = decltype(tag);
        cpu::rmsprop_update<T>(param.numel(), param.data<T>(), grad.data<T>(), square_avg.data<T>(),
                               data_or_null<T>(grad_avg), data_or_null<T>(momentum_buffer),
                               {u.lr, u.alpha, u.eps, u.weight_decay, u.momentum});
    });
}

void adagrad_update(const Tensor& param, const Tensor& grad, const Tensor& sum,
                    const AdagradUpdate& u) {
    check_like(param, param, "Adagrad", "param");
    check_like(grad, param, "Adagrad", "grad");
    check(sum.defined(), "Adagrad: sum is needed");
    check_like(sum, param, "Adagrad", "sum");
    dispatch(param.dtype(), "Adagrad", [&](auto tag) {
        using T = decltype(tag);
        cpu::adagrad_update<T>(param.numel(), param.data<T>(), grad.data<T>(), sum.data<T>(),
                               {u.lr, u.weight_decay, u.eps});
    });
}

void clip_grad_value_(const Tensor& grad, double value) { cpu::clip_grad_value(grad, value); }

}  // namespace soma::ops_detail
