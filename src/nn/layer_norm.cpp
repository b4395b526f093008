#include <cstdio>
#include <sstream>

#include "soma/autograd.h"
#include "soma/nn/norm.h"

namespace soma::nn {

LayerNorm::LayerNorm(LayerNormOptions o) : options_(o) {
    const Shape& ns = o.normalized_shape;
    check(ns.size() >= 1, "LayerNorm: normalized_shape must have at least one dimension");
    for (int i = 0; i < ns.size(); ++i)
        check(ns[i] > 0, "LayerNorm: normalized_shape ", ns, " must have positive sizes");
    check(o.eps >= 0, "LayerNorm: eps must be non-negative, got ", o.eps);
    if (o.elementwise_affine) {
        weight = Tensor::empty(ns);
        if (o.bias) bias = Tensor::empty(ns);
    }
    reset_parameters();
    if (weight.defined()) weight.requires_grad_();
    if (bias.defined()) bias.requires_grad_();
}

void LayerNorm::reset_parameters() {
    NoGrad no_grad;
    if (weight.defined()) weight.fill_(1.0);
    if (bias.defined()) bias.zero_();
}

Tensor LayerNorm::forward(const Tensor& x) {
    check(x.defined(), "LayerNorm: undefined input");
    return layer_norm(x, options_.normalized_shape, weight, bias, options_.eps);
}

std::string LayerNorm::extra_repr() const {
    char eps[32];
    std::snprintf(eps, sizeof eps, "%g", options_.eps);  // 1e-05, as Python prints it
    std::ostringstream s;
    s << options_.normalized_shape << ", eps=" << eps
      << ", elementwise_affine=" << (options_.elementwise_affine ? "True" : "False");
    return s.str();
}

}  // namespace soma::nn
