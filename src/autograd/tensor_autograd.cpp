// The autograd half of the Tensor handle.

#include "soma/autograd.h"

namespace soma {

Tensor& Tensor::requires_grad_(bool on) {
    check(defined(), "requires_grad_: undefined tensor");
    TensorImpl& t = *impl_;
    check(t.grad_fn == nullptr || on, "requires_grad_: only leaf tensors can stop requiring grad "
          "(use detach() on the result of ", grad_fn_name(), ")");
    check(!on || is_floating(t.dtype), "requires_grad_: only floating point tensors can require "
          "grad, this one is ", t.dtype);
    t.requires_grad = on;
    return *this;
}

void Tensor::retain_grad() {
    check(requires_grad(), "retain_grad: tensor does not require grad");
    if (is_leaf()) return;  // leaves keep their gradient anyway
    impl_->retains_grad = true;
    impl_->grad_fn->retained = impl_;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
    autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

Tensor Tensor::detach() const {
    const TensorImpl& t = checked();
    Tensor out = make_view(*this, t.shape, t.strides, t.offset);
    return out;
}

std::string Tensor::grad_fn_name() const {
    const auto& fn = checked().grad_fn;
    return fn ? fn->name() : "";
}

}  // namespace soma
