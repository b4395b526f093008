#include "soma/nn/neuron.h"
#include "soma/ops.h"

namespace soma::nn {

Tensor perceptron_loss(const Tensor& scores, const Tensor& labels) {
    check(scores.defined() && labels.defined(), "perceptron_loss: undefined input");
    // Equal shapes, not broadcasting: (N, 1) scores against (N) labels would silently
    // make an (N, N) loss.
    check(scores.shape() == labels.shape(), "perceptron_loss: scores ", scores.shape(),
          " and labels ", labels.shape(), " differ in shape");
    check(scores.dtype() == labels.dtype(), "perceptron_loss: scores are ",
          dtype_name(scores.dtype()), " but labels are ", dtype_name(labels.dtype()));
    for (double y : labels.to_vector<double>())
        check(y == 1.0 || y == -1.0, "perceptron_loss: labels must be -1 or +1, got ", y);
    return sum(relu(-(scores * labels.detach())));
}

}  // namespace soma::nn
