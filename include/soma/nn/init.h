#pragma once
// Parameter initialisers, like torch.nn.init. Each fills its tensor in place (under NoGrad, so
// it works on parameters that require grad and records nothing) and returns the same handle.
// Random ones draw from `gen`, or from soma's default generator when it is null.
//
//   init::kaiming_uniform_(fc.weight, {.nonlinearity = init::Nonlinearity::ReLU});
//   init::xavier_normal_(fc.weight);
//   init::zeros_(fc.bias);

#include <cstdint>
#include <optional>
#include <utility>

#include "soma/tensor.h"

namespace soma::nn::init {

enum class Nonlinearity { Linear, Sigmoid, Tanh, ReLU, LeakyReLU };
enum class FanMode { FanIn, FanOut };

// The recommended gain for a nonlinearity, like torch.nn.init.calculate_gain: 1 for Linear and
// Sigmoid, 5/3 for Tanh, sqrt(2) for ReLU, sqrt(2 / (1 + slope^2)) for LeakyReLU (`param` is the
// slope, 0.01 when absent). `param` is only meaningful for LeakyReLU.
double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) of a weight of shape (out, in, *kernel): in * prod(kernel) and
// out * prod(kernel). Needs at least 2 dimensions.
std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& t);

Tensor uniform_(const Tensor& t, double a = 0.0, double b = 1.0, Generator* gen = nullptr);
Tensor normal_(const Tensor& t, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
Tensor constant_(const Tensor& t, double value);
Tensor zeros_(const Tensor& t);
Tensor ones_(const Tensor& t);

// Glorot: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)), or N(0, std^2) with
// std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_uniform_(const Tensor& t, double gain = 1.0, Generator* gen = nullptr);
Tensor xavier_normal_(const Tensor& t, double gain = 1.0, Generator* gen = nullptr);

// He: std = calculate_gain(nonlinearity, a) / sqrt(fan), fan chosen by `mode`; the uniform
// version draws U(-sqrt(3) std, sqrt(3) std). The defaults are PyTorch's (a = 0, fan_in,
// leaky_relu, i.e. gain sqrt(2)); Linear's default init is kaiming_uniform_ with a = sqrt(5).
struct KaimingOptions {
    double a = 0.0;  // negative slope of the leaky ReLU that follows (LeakyReLU only)
    FanMode mode = FanMode::FanIn;
    Nonlinearity nonlinearity = Nonlinearity::LeakyReLU;
    Generator* gen = nullptr;
};
Tensor kaiming_uniform_(const Tensor& t, const KaimingOptions& o = {});
Tensor kaiming_normal_(const Tensor& t, const KaimingOptions& o = {});

}  // namespace soma::nn::init
