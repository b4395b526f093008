#include "soma/nn/linear.h"

#include <cmath>

#include "soma/nn/init.h"
#include "soma/ops.h"

namespace soma::nn {

Linear::Linear(LinearOptions o) : in_(o.in), out_(o.out) {
    check(o.in >= 0 && o.out >= 0, "Linear: in and out must be non-negative, got in=", o.in,
          ", out=", o.out);
    weight = Tensor::empty({out_, in_});
    if (o.bias) bias = Tensor::empty({out_});
    reset_parameters(o.gen);
    weight.requires_grad_();
    if (bias.defined()) bias.requires_grad_();
}

void Linear::reset_parameters(Generator* gen) {
    // Same recipe as PyTorch (kaiming_uniform_ with a = sqrt(5) gives bound 1/sqrt(in)), so
    // learning rates and results carry over; in = 0 leaves nothing to draw.
    init::kaiming_uniform_(weight, {.a = std::sqrt(5.0), .gen = gen});
    if (bias.defined()) {
        double bound = in_ > 0 ? 1.0 / std::sqrt(static_cast<double>(in_)) : 0.0;
        init::uniform_(bias, -bound, bound, gen);
    }
}

Tensor Linear::forward(const Tensor& x) {
    check(x.defined(), "Linear: undefined input");
    if (x.dim() < 1 || x.size(-1) != in_)
        fail("Linear: input of shape ", x.shape(), " does not end in in_features=", in_);
    return linear(x, weight, bias);  // x: (*, in) -> (*, out)
}

std::string Linear::extra_repr() const {
    return "in_features=" + std::to_string(in_) + ", out_features=" + std::to_string(out_) +
           ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace soma::nn
