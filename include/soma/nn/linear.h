#pragma once
// Linear: y = x W^T + b, the artificial neuron's affine part, for a whole layer of neurons.
//
//   nn::Linear fc({.in = 784, .out = 10});
//   Tensor y = fc(x);  // x: (N, 784) -> (N, 10)
//
// Initialised like torch.nn.Linear: weight and bias uniform in [-1/sqrt(in), 1/sqrt(in)]
// (kaiming_uniform_ with a = sqrt(5)), weight drawn first, from `gen` or soma's default
// generator. Parameters are float32.

#include <cstdint>
#include <string>

#include "soma/nn/module.h"

namespace soma::nn {

struct LinearOptions {
    std::int64_t in = 0, out = 0;
    bool bias = true;
    Generator* gen = nullptr;  // null: the default generator (seed it with manual_seed)
};

class Linear : public Module {
public:
    explicit Linear(LinearOptions o);

    // x: (*, in) -> (*, out); a 1-D x of size `in` gives (out).
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Linear"; }
    std::string extra_repr() const override;
    void visit(Visitor& v) override {
        v.param("weight", weight);
        v.param("bias", bias);
    }

    // Draws the parameters again, as the constructor does.
    void reset_parameters(Generator* gen = nullptr);

    std::int64_t in_features() const { return in_; }
    std::int64_t out_features() const { return out_; }

    Tensor weight;  // (out, in)
    Tensor bias;    // (out), undefined when built with .bias = false

private:
    std::int64_t in_, out_;
};

}  // namespace soma::nn
