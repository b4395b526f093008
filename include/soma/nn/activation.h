#pragma once
// Activation modules: stateless wrappers around the ops of the same name, for Sequential.
//
//   nn::Sequential mlp{std::make_shared<nn::Linear>(...), std::make_shared<nn::Tanh>(), ...};

#include <cstdint>
#include <string>

#include "soma/nn/module.h"

namespace soma::nn {

class Sigmoid : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Sigmoid"; }
};

class Tanh : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Tanh"; }
};

class ReLU : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "ReLU"; }
};

// x for x > 0, negative_slope * x otherwise.
class LeakyReLU : public Module {
public:
    explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "LeakyReLU"; }
    std::string extra_repr() const override;
    double negative_slope;
};

// Gaussian error linear unit (soma::gelu): approximate "none" (erf) or "tanh", as
// torch.nn.GELU.
class GELU : public Module {
public:
    explicit GELU(std::string approximate = "none");
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "GELU"; }
    std::string extra_repr() const override { return "approximate='" + approximate + "'"; }
    std::string approximate;
};

// Normalises exp(x) along `dim` (negative counts from the end); no default, as PyTorch's
// implicit choice is deprecated.
class Softmax : public Module {
public:
    explicit Softmax(std::int64_t dim) : dim(dim) {}
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Softmax"; }
    std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
    std::int64_t dim;
};

class LogSoftmax : public Module {
public:
    explicit LogSoftmax(std::int64_t dim) : dim(dim) {}
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "LogSoftmax"; }
    std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
    std::int64_t dim;
};

// The perceptron's sign from the lecture: +1 for x >= 0, -1 otherwise. Unlike soma::sign
// (torch.sign) it never outputs 0. Zero gradient everywhere.
class Sign : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Sign"; }
};

// The binary neuron's threshold: 1 for x >= 0, 0 otherwise (soma::step). Zero gradient.
class Step : public Module {
public:
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Step"; }
};

}  // namespace soma::nn
