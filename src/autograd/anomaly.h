#pragma once
// The engine's half of anomaly detection (the ops' half is in soma/autograd.h).

#include "soma/autograd.h"

namespace soma::autograd::detail {

// While alive, ops do not check their outputs: a backward closure's own ops are checked as the
// node's gradients, so the message names the node rather than an op inside it.
class ForwardChecksOff {
public:
    ForwardChecksOff();
    ~ForwardChecksOff();
    ForwardChecksOff(const ForwardChecksOff&) = delete;
    ForwardChecksOff& operator=(const ForwardChecksOff&) = delete;

private:
    bool previous_;
};

// Throws when a gradient `node`'s backward returned holds a NaN or Inf, naming the op, the
// input and whether the gradient it was given was finite.
void check_backward_anomaly(const Node& node, const Tensor& grad_output, const Grads& grads);

}  // namespace soma::autograd::detail
