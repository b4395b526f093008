#include "soma/nn/activation.h"

#include <sstream>
#include <utility>

#include "soma/ops.h"

namespace soma::nn {

Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope); }
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate); }
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim); }
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim); }
// step gives {0, 1} with no graph, so the affine map keeps it graph-free too.
Tensor Sign::forward(const Tensor& x) { return step(x) * 2.0 - 1.0; }
Tensor Step::forward(const Tensor& x) { return step(x); }

GELU::GELU(std::string approximate) : approximate(std::move(approximate)) {
    // Checked here too, so a typo fails where the model is built rather than in its first step.
    check(this->approximate == "none" || this->approximate == "tanh",
          "GELU: approximate must be \"none\" or \"tanh\", got \"", this->approximate, "\"");
}

std::string LeakyReLU::extra_repr() const {
    std::ostringstream s;
    s << "negative_slope=" << negative_slope;
    return s.str();
}

}  // namespace soma::nn
