#pragma once
// Replaces every parameter of a module, in visiting order, by the tensors of a list: what a
// float64 gradient check of a whole model needs (autograd::grad_check hands the function
// fresh leaves, and the module must compute with them).
//
//   std::vector<Tensor> inputs;
//   for (Tensor& p : m.parameters()) inputs.push_back(p.detach());
//   autograd::grad_check([&](const std::vector<Tensor>& in) {
//       test::SetParams set(in, 0);
//       m.visit(set);
//       return loss_of(m);
//   }, inputs);

#include <cstddef>
#include <string>
#include <vector>

#include "soma/nn/module.h"

namespace soma::test {

class SetParams : public nn::Visitor {
public:
    // Parameters take values[first], values[first + 1], ... in order.
    SetParams(const std::vector<Tensor>& values, std::size_t first) : v_(values), i_(first) {}
    void param(const std::string&, Tensor& t) override {
        if (t.defined()) t = v_[i_++];
    }
    void module(const std::string&, nn::Module& m) override { m.visit(*this); }

private:
    const std::vector<Tensor>& v_;
    std::size_t i_;
};

}  // namespace soma::test
