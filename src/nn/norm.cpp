#include "soma/nn/norm.h"

#include <cstdio>

#include "soma/autograd.h"

namespace soma::nn {

namespace {

// Python's repr for the usual settings (1e-05, 0.1), so extra_repr reads like PyTorch's.
std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace

BatchNorm::BatchNorm(BatchNormOptions o) : options_(o) {
    check(o.num_features > 0, "BatchNorm: num_features must be positive, got ", o.num_features);
    check(o.eps >= 0, "BatchNorm: eps must be non-negative, got ", o.eps);
    check(!o.momentum || (*o.momentum >= 0 && *o.momentum <= 1),
          "BatchNorm: momentum must be in [0, 1], got ", o.momentum.value_or(0));
    const std::int64_t c = o.num_features;
    if (o.affine) {
        weight = Tensor::empty({c});
        bias = Tensor::empty({c});
    }
    if (o.track_running_stats) {
        running_mean = Tensor::empty({c});
        running_var = Tensor::empty({c});
        num_batches_tracked = Tensor::empty({}, kInt64);
    }
    reset_parameters();
    if (o.affine) {
        weight.requires_grad_();
        bias.requires_grad_();
    }
}

void BatchNorm::reset_running_stats() {
    if (!options_.track_running_stats) return;
    NoGrad no_grad;
    running_mean.zero_();
    running_var.fill_(1.0);
    num_batches_tracked.zero_();
}

void BatchNorm::reset_parameters() {
    reset_running_stats();
    if (!options_.affine) return;
    NoGrad no_grad;
    weight.fill_(1.0);
    bias.zero_();
}

void BatchNorm::check_channels(const Tensor& x) const {
    check(x.shape()[1] == options_.num_features, type_name(), ": input of shape ", x.shape(),
          " has ", x.shape()[1],
          " channels (dimension 1), expected num_features=", options_.num_features);
}

Tensor BatchNorm::forward(const Tensor& x) {
    check(x.defined(), type_name(), ": undefined input");
    check_input(x);
    // Mirrors torch's _BatchNorm.forward: the counter moves in every training step, and the
    // cumulative average (momentum = None) uses it as 1 / batches.
    double factor = 0.0;
    if (training_ && options_.track_running_stats) {
        std::int64_t& batches = num_batches_tracked.data<std::int64_t>()[0];
        ++batches;
        factor = options_.momentum ? *options_.momentum : 1.0 / static_cast<double>(batches);
    }
    const bool use_batch_stats = training_ || !options_.track_running_stats;
    return batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, factor,
                      options_.eps);
}

std::string BatchNorm::extra_repr() const {
    return std::to_string(options_.num_features) + ", eps=" + number(options_.eps) +
           ", momentum=" + (options_.momentum ? number(*options_.momentum) : "None") +
           ", affine=" + (options_.affine ? "True" : "False") +
           ", track_running_stats=" + (options_.track_running_stats ? "True" : "False");
}

void BatchNorm1d::check_input(const Tensor& x) const {
    check(x.dim() == 2 || x.dim() == 3, "BatchNorm1d: expected a 2-D (N, C) or 3-D (N, C, L) ",
          "input, got ", x.shape());
    check_channels(x);
}

void BatchNorm2d::check_input(const Tensor& x) const {
    check(x.dim() == 4, "BatchNorm2d: expected a 4-D input (N, C, H, W), got ", x.shape());
    check_channels(x);
}

}  // namespace soma::nn
