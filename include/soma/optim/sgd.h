#pragma once
// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay
// (PyTorch's torch.optim.SGD):
//   d = grad + weight_decay * p
//   buf = d on the first step, else momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf        (when momentum != 0)
//   p -= lr * d
//
//   optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});

#include "soma/optim/optimizer.h"

namespace soma::optim {

struct SGDOptions {
    double lr = 1e-2;
    double momentum = 0;
    double dampening = 0;
    double weight_decay = 0;
    bool nesterov = false;  // needs momentum > 0 and dampening == 0
};

class SGD : public Optimizer {
public:
    explicit SGD(std::vector<Tensor> params, SGDOptions options = {});
    std::string type_name() const override { return "SGD"; }
    // The options as constructed (the live learning rate is lr()).
    const SGDOptions& options() const { return options_; }

protected:
    void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
    std::vector<Buffer> buffers() override { return {{"momentum_buffer", &momentum_buffer_}}; }

private:
    SGDOptions options_;
    std::vector<Tensor> momentum_buffer_;
};

}  // namespace soma::optim
