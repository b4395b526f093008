#include "soma/nn/init.h"

#include <cmath>

#include "soma/autograd.h"

namespace soma::nn::init {

namespace {

// Overwrites t's elements with src's (same shape), without recording.
Tensor fill_from(const Tensor& t, const Tensor& src) {
    NoGrad ng;
    Tensor dst = t;
    dst.copy_(src);
    return dst;
}

void check_floating(const Tensor& t, const char* op) {
    check(t.defined(), op, ": undefined tensor");
    check(is_floating(t.dtype()), op, ": needs a floating tensor, got ", dtype_name(t.dtype()));
}

std::int64_t fan(const Tensor& t, FanMode mode) {
    auto [in, out] = calculate_fan_in_and_fan_out(t);
    return mode == FanMode::FanIn ? in : out;
}

double kaiming_std(const Tensor& t, const KaimingOptions& o, const char* op) {
    std::int64_t f = fan(t, o.mode);
    check(f > 0, op, ": fan is 0 for shape ", t.shape().str());
    return calculate_gain(o.nonlinearity, o.a) / std::sqrt(static_cast<double>(f));
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param) {
    switch (nonlinearity) {
        case Nonlinearity::Linear:
        case Nonlinearity::Sigmoid:
            return 1.0;
        case Nonlinearity::Tanh:
            return 5.0 / 3.0;
        case Nonlinearity::ReLU:
            return std::sqrt(2.0);
        case Nonlinearity::LeakyReLU: {
            double slope = param.value_or(0.01);
            return std::sqrt(2.0 / (1.0 + slope * slope));
        }
    }
    fail("calculate_gain: unknown nonlinearity");
}

std::pair<std::int64_t, std::int64_t> calculate_fan_in_and_fan_out(const Tensor& t) {
    check(t.defined(), "calculate_fan_in_and_fan_out: undefined tensor");
    check(t.dim() >= 2, "calculate_fan_in_and_fan_out: needs at least 2 dimensions, got shape ",
          t.shape().str());
    std::int64_t receptive = 1;
    for (int d = 2; d < t.dim(); ++d) receptive *= t.size(d);
    return {t.size(1) * receptive, t.size(0) * receptive};
}

Tensor uniform_(const Tensor& t, double a, double b, Generator* gen) {
    check_floating(t, "uniform_");
    return fill_from(t, uniform(t.shape(), a, b, gen, t.dtype()));
}

Tensor normal_(const Tensor& t, double mean, double std, Generator* gen) {
    check_floating(t, "normal_");
    return fill_from(t, normal(t.shape(), mean, std, gen, t.dtype()));
}

Tensor constant_(const Tensor& t, double value) {
    check_floating(t, "constant_");
    NoGrad ng;
    Tensor dst = t;
    dst.fill_(value);
    return dst;
}

Tensor zeros_(const Tensor& t) { return constant_(t, 0.0); }
Tensor ones_(const Tensor& t) { return constant_(t, 1.0); }

Tensor xavier_uniform_(const Tensor& t, double gain, Generator* gen) {
    check_floating(t, "xavier_uniform_");
    auto [in, out] = calculate_fan_in_and_fan_out(t);
    check(in + out > 0, "xavier_uniform_: fans are 0 for shape ", t.shape().str());
    double bound = gain * std::sqrt(6.0 / static_cast<double>(in + out));
    return uniform_(t, -bound, bound, gen);
}

Tensor xavier_normal_(const Tensor& t, double gain, Generator* gen) {
    check_floating(t, "xavier_normal_");
    auto [in, out] = calculate_fan_in_and_fan_out(t);
    check(in + out > 0, "xavier_normal_: fans are 0 for shape ", t.shape().str());
    return normal_(t, 0.0, gain * std::sqrt(2.0 / static_cast<double>(in + out)), gen);
}

Tensor kaiming_uniform_(const Tensor& t, const KaimingOptions& o) {
    check_floating(t, "kaiming_uniform_");
    if (t.numel() == 0) return t;  // like PyTorch: nothing to initialise
    double bound = std::sqrt(3.0) * kaiming_std(t, o, "kaiming_uniform_");
    return uniform_(t, -bound, bound, o.gen);
}

Tensor kaiming_normal_(const Tensor& t, const KaimingOptions& o) {
    check_floating(t, "kaiming_normal_");
    if (t.numel() == 0) return t;
    return normal_(t, 0.0, kaiming_std(t, o, "kaiming_normal_"), o.gen);
}

}  // namespace soma::nn::init
