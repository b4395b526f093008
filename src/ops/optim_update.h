#pragma once
// The seam between the optimizers (src/optim) and the update kernels (backend/cpu/optim_update.h):
// Tensor in, kernel of the tensors' device and dtype out, so optim/ never names a backend.
// Formulas: soma/optim/*.h. Not installed.
//
// param, grad and every state tensor: contiguous, one shape and dtype (float32 or float64); the
// update writes param and the state in place and records nothing for autograd.

#include <cstdint>

#include "soma/tensor.h"

namespace soma::ops_detail {

struct SGDUpdate {
    double lr, weight_decay, momentum, dampening;
    bool nesterov;
    bool first;  // momentum_buffer is new: it is seeded with the gradient, undamped
};
// momentum_buffer: undefined when momentum == 0.
void sgd_update(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                const SGDUpdate& u);

struct AdamUpdate {
    double lr, beta1, beta2, eps, weight_decay;
    bool decoupled;     // AdamW
    std::int64_t step;  // t, counted from 1
};
// max_exp_avg_sq: undefined without AMSGrad.
void adam_update(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                 const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const AdamUpdate& u);

struct RMSpropUpdate {
    double lr, alpha, eps, weight_decay, momentum;
};
// grad_avg: undefined unless centered; momentum_buffer: undefined when momentum == 0.
void rmsprop_update(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                    const Tensor& grad_avg, const Tensor& momentum_buffer, const RMSpropUpdate& u);

struct AdagradUpdate {
    double lr;  // decayed for this step
    double weight_decay, eps;
};
void adagrad_update(const Tensor& param, const Tensor& grad, const Tensor& sum,
                    const AdagradUpdate& u);

// grad = clamp(grad, -value, value) in place (any strides); NaN stays NaN.
void clip_grad_value_(const Tensor& grad, double value);

}  // namespace soma::ops_detail
