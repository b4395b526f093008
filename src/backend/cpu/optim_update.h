#pragma once
// Optimizer update kernels: one pass over a parameter's contiguous data that reads the gradient
// and state and writes them back, split across threads for large tensors. One pass per step
// keeps updates free of temporaries on the training hot path. The formulas are PyTorch's (see
// soma/optim/*.h); scalar factors are computed in double, as PyTorch does in Python floats, and
// rounded to T once per step.
//
// Every pointer addresses n contiguous elements; the arrays do not overlap.

#include <cstdint>

#include "soma/tensor.h"

namespace soma::backend::cpu {

struct SGDScalars {
    double lr, weight_decay, momentum, dampening;
    bool nesterov;
    bool first;  // the momentum buffer is new: seed it with the gradient itself, undamped
};
// momentum_buffer: null when momentum == 0.
template <class T>
void sgd_update(std::int64_t n, T* param, const T* grad, T* momentum_buffer, const SGDScalars& s);

struct AdamScalars {
    double lr, beta1, beta2, eps, weight_decay;
    bool decoupled;     // AdamW: p *= 1 - lr weight_decay instead of g += weight_decay p
    std::int64_t step;  // t, counted from 1, for the bias corrections
};
// max_exp_avg_sq: null without AMSGrad.
template <class T>
void adam_update(std::int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                 T* max_exp_avg_sq, const AdamScalars& s);

struct RMSpropScalars {
    double lr, alpha, eps, weight_decay, momentum;
};
// grad_avg: null unless centered; momentum_buffer: null when momentum == 0.
template <class T>
void rmsprop_update(std::int64_t n, T* param, const T* grad, T* square_avg, T* grad_avg,
                    T* momentum_buffer, const RMSpropScalars& s);

struct AdagradScalars {
    double lr;  // already decayed for this step: lr / (1 + (t - 1) lr_decay)
    double weight_decay, eps;
};
template <class T>
void adagrad_update(std::int64_t n, T* param, const T* grad, T* sum, const AdagradScalars& s);

// grad = clamp(grad, -value, value) in place, any strides; NaN stays NaN (std::clamp).
void clip_grad_value(const Tensor& grad, double value);

}  // namespace soma::backend::cpu
