#include <cmath>
#include <sstream>

#include "soma/nn/init.h"
#include "soma/nn/neuron.h"
#include "soma/ops.h"

namespace soma::nn {

Perceptron::Perceptron(std::int64_t n_inputs, bool with_bias, Generator* gen) : n_(n_inputs) {
    check(n_inputs >= 1, "Perceptron: needs at least one input, got ", n_inputs);
    // Linear(n, 1)'s bound, so that no score starts at exactly 0 (where nothing would learn).
    const double bound = 1.0 / std::sqrt(static_cast<double>(n_inputs));
    weight = uniform({n_inputs}, -bound, bound, gen).requires_grad_();
    if (with_bias) bias = uniform({}, -bound, bound, gen).requires_grad_();
}

Tensor Perceptron::score(const Tensor& x) {
    check(x.defined(), "Perceptron: undefined input");
    check((x.dim() == 1 || x.dim() == 2) && x.size(-1) == n_, "Perceptron: input of shape ",
          x.shape(), " is not (N, ", n_, ") or (", n_, ",)");
    // x: (N, n) -> (N,)
    Tensor s = matmul(x, weight);
    return bias.defined() ? s + bias : s;
}

Tensor Perceptron::forward(const Tensor& x) {
    Tensor s = score(x).detach();
    return step(s) * 2.0 - 1.0;  // the lecture's sign: +1 for s >= 0
}

std::string Perceptron::extra_repr() const {
    std::ostringstream s;
    s << "in_features=" << n_ << ", bias=" << (bias.defined() ? "True" : "False");
    return s.str();
}

}  // namespace soma::nn
