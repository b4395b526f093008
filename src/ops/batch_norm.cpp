// batch_norm: the fused kernel with its hand-written backward, and the composed reference.
// The BatchNorm modules (nn/norm.cpp) keep the running statistics and call these.

#include "backend/cpu/batch_norm.h"

#include <cmath>

#include "soma/ops.h"
#include "soma/ops_norm.h"

namespace soma {

using autograd::Grads;
using autograd::NeedsGrad;
using backend::cpu::ChannelDims;

namespace {

void check_args(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                const Tensor& weight, const Tensor& bias, bool training, const char* op) {
    check(x.defined(), op, ": undefined input");
    check(x.dim() >= 2, op, ": expected an input (N, C, ...) of at least 2 dimensions, got ",
          x.shape());
    dispatch(x.dtype(), op, [](auto) {});
    const std::int64_t channels = x.shape()[1];
    auto per_channel = [&](const Tensor& t, const char* name) {
        if (!t.defined()) return;
        check(t.dim() == 1 && t.shape()[0] == channels, op, ": ", name, " of shape ", t.shape(),
              " does not match the ", channels, " channels of the input ", x.shape());
        check(t.dtype() == x.dtype(), op, ": ", name, " is ", t.dtype(), " but the input is ",
              x.dtype());
    };
    per_channel(running_mean, "running_mean");
    per_channel(running_var, "running_var");
    per_channel(weight, "weight");
    per_channel(bias, "bias");
    check(running_mean.defined() == running_var.defined(), op,
          ": pass both running_mean and running_var, or neither");
    check(training || running_mean.defined(), op,
          ": eval mode (training = false) needs running_mean and running_var");
    if (training) {
        const std::int64_t per = x.numel() / std::max<std::int64_t>(channels, 1);
        check(per > 1, op, ": expected more than 1 value per channel when training, got input of ",
              x.shape());
    }
}

// (1, C, 1, ...): per-channel values shaped to broadcast against x.
Shape channel_shape(const Tensor& x) {
    Shape s;
    for (int k = 0; k < x.dim(); ++k) s.push_back(k == 1 ? x.shape()[1] : 1);
    return s;
}

Tensor channel_tensor(const std::vector<double>& v, const Tensor& x) {
    return from_vector(v, channel_shape(x), x.dtype());
}

std::vector<std::int64_t> non_channel_dims(const Tensor& x) {
    std::vector<std::int64_t> dims{0};
    for (int k = 2; k < x.dim(); ++k) dims.push_back(k);
    return dims;
}

std::vector<double> values_or(const Tensor& t, std::int64_t n, double fill) {
    return t.defined() ? t.to_vector<double>() : std::vector<double>(n, fill);
}

// running = (1 - momentum) running + momentum batch, the variance made unbiased first.
void update_running(const Tensor& running_mean, const Tensor& running_var,
                    const std::vector<double>& mean, const std::vector<double>& var,
                    std::int64_t count, double momentum) {
    NoGrad no_grad;
    std::vector<double> rm = running_mean.to_vector<double>();
    std::vector<double> rv = running_var.to_vector<double>();
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    for (std::size_t c = 0; c < rm.size(); ++c) {
        rm[c] = (1 - momentum) * rm[c] + momentum * mean[c];
        rv[c] = (1 - momentum) * rv[c] + momentum * var[c] * unbias;
    }
    const DType dt = running_mean.dtype();
    const Shape s{static_cast<std::int64_t>(rm.size())};
    // Handles share storage, so copying into a copy of the handle writes the caller's tensor.
    Tensor(running_mean).copy_(from_vector(rm, s, dt));
    Tensor(running_var).copy_(from_vector(rv, s, dt));
}

// The input gradient composed from ops, for double backward (create_graph): the same formula
// as the fused kernel, but recorded. Batch statistics are recomputed from x so that their
// dependence on x is part of the graph.
Grads composed_backward(const Tensor& gy, const Tensor& x, const Tensor& weight, bool training,
                        const std::vector<double>& mean, const std::vector<double>& invstd,
                        double eps, const NeedsGrad& needs) {
    const auto dims = non_channel_dims(x);
    Tensor mu, is;
    if (training) {
        mu = soma::mean(x, dims, true);
        is = pow(add(var(x, dims, true, 0), eps), -0.5);
    } else {
        mu = channel_tensor(mean, x);
        is = channel_tensor(invstd, x);
    }
    Tensor xhat = (x - mu) * is;
    Tensor gxhat = weight.defined() ? gy * weight.reshape(channel_shape(x)) : gy;
    Grads g(3);
    if (needs[0]) {
        g[0] = training ? is * (gxhat - soma::mean(gxhat, dims, true) -
                                xhat * soma::mean(gxhat * xhat, dims, true))
                        : gxhat * is;
    }
    if (needs[1]) g[1] = sum(gy * xhat, dims);
    if (needs[2]) g[2] = sum(gy, dims);
    return g;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
    check_args(x, running_mean, running_var, weight, bias, training, "batch_norm");
    Tensor xc = x.detach().contiguous();
    const ChannelDims d = backend::cpu::channel_dims(xc);
    std::vector<double> mean, var;
    if (training) {
        backend::cpu::channel_mean_var(xc, d, mean, var);
        if (running_mean.defined())
            update_running(running_mean, running_var, mean, var, d.n * d.s, momentum);
    } else {
        mean = running_mean.to_vector<double>();
        var = running_var.to_vector<double>();
    }
    const std::vector<double> w = values_or(weight, d.c, 1.0), b = values_or(bias, d.c, 0.0);
    std::vector<double> invstd(d.c), scale(d.c);
    for (std::int64_t c = 0; c < d.c; ++c) {
        invstd[c] = 1.0 / std::sqrt(var[c] + eps);
        scale[c] = invstd[c] * w[c];
    }
    // x: (N, C, *) -> same shape
    Tensor y = backend::cpu::channel_affine(xc, mean, scale, b, d);
    return autograd::record(
        "BatchNormBackward", y, {x, weight, bias},
        [x, weight, training, eps, d, mean, invstd, w](const Tensor& gy, const NeedsGrad& needs) {
            if (autograd::grad_enabled())
                return composed_backward(gy, x, weight, training, mean, invstd, eps, needs);
            Tensor g = gy.contiguous();
            Tensor xd = x.detach().contiguous();
            std::vector<double> sum_g, sum_gx;
            if (training || needs[1] || needs[2])
                backend::cpu::channel_grad_sums(g, xd, mean, d, sum_g, sum_gx);
            Grads out(3);
            if (needs[0]) {
                // gx = w invstd (gy - sum_g / M - xhat invstd sum_gx / M) with
                // xhat = (x - mean) invstd, as gx = (x - mean) k2 + k3 + gy k1 per channel.
                const double count = static_cast<double>(d.n * d.s);
                std::vector<double> k1(d.c), k2(d.c, 0.0), k3(d.c, 0.0);
                for (std::int64_t c = 0; c < d.c; ++c) {
                    k1[c] = w[c] * invstd[c];
                    if (!training) continue;  // the statistics are constants: gx = gy k1
                    k2[c] = -k1[c] * invstd[c] * invstd[c] * sum_gx[c] / count;
                    k3[c] = -k1[c] * sum_g[c] / count;
                }
                out[0] = training ? backend::cpu::channel_affine(xd, mean, k2, k3, d, g, k1)
                                  : backend::cpu::channel_affine(g, k2, k1, k3, d);
            }
            const Shape cs{d.c};
            if (needs[1]) {
                for (std::int64_t c = 0; c < d.c; ++c) sum_gx[c] *= invstd[c];
                out[1] = from_vector(sum_gx, cs, x.dtype());
            }
            if (needs[2]) out[2] = from_vector(sum_g, cs, x.dtype());
            return out;
        });
}

Tensor batch_norm_reference(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                            const Tensor& weight, const Tensor& bias, bool training,
                            double momentum, double eps) {
    check_args(x, running_mean, running_var, weight, bias, training, "batch_norm_reference");
    const auto dims = non_channel_dims(x);
    const Shape cs = channel_shape(x);
    Tensor mu, v;
    if (training) {
        mu = mean(x, dims, true);
        v = var(x, dims, true, 0);
        if (running_mean.defined()) {
            NoGrad no_grad;
            const std::int64_t count = x.numel() / x.shape()[1];
            const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
            Tensor rm = running_mean * (1 - momentum) + mu.detach().reshape({-1}) * momentum;
            Tensor rv =
                running_var * (1 - momentum) + v.detach().reshape({-1}) * (momentum * unbias);
            Tensor(running_mean).copy_(rm);
            Tensor(running_var).copy_(rv);
        }
    } else {
        mu = running_mean.reshape(cs);
        v = running_var.reshape(cs);
    }
    Tensor y = (x - mu) / sqrt(v + eps);
    if (weight.defined()) y = y * weight.reshape(cs);
    if (bias.defined()) y = y + bias.reshape(cs);
    return y;
}

}  // namespace soma
