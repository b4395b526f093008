#pragma once
// Dropout (inverted, like torch.nn.Dropout): in training mode each element is zeroed with
// probability p and the survivors are scaled by 1 / (1 - p), so the expected output equals the
// input and eval mode needs no rescaling; in eval mode it is the identity.
//
//   nn::Dropout drop(0.5);
//   Tensor y = drop(x);  // any shape -> same shape

#include <string>

#include "soma/nn/module.h"

namespace soma::nn {

class Dropout : public Module {
public:
    // gen: where the masks come from; null means soma's default generator.
    explicit Dropout(double p = 0.5, Generator* gen = nullptr);

    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Dropout"; }
    std::string extra_repr() const override;

    double p;
    Generator* gen;
};

}  // namespace soma::nn
