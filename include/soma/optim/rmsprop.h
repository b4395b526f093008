#pragma once
// RMSprop (PyTorch's torch.optim.RMSprop):
//   g = grad + weight_decay * p
//   v = alpha v + (1 - alpha) g^2
//   centered: a = alpha a + (1 - alpha) g, avg = sqrt(v - a^2) + eps; else avg = sqrt(v) + eps
//   momentum > 0: buf = momentum buf + g / avg, p -= lr buf; else p -= lr g / avg

#include "soma/optim/optimizer.h"

namespace soma::optim {

struct RMSpropOptions {
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0;
    double momentum = 0;
    bool centered = false;
};

class RMSprop : public Optimizer {
public:
    explicit RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
    std::string type_name() const override { return "RMSprop"; }
    const RMSpropOptions& options() const { return options_; }

protected:
    void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
    std::vector<Buffer> buffers() override {
        return {{"square_avg", &square_avg_},
                {"grad_avg", &grad_avg_},
                {"momentum_buffer", &momentum_buffer_}};
    }

private:
    RMSpropOptions options_;
    std::vector<Tensor> square_avg_, grad_avg_, momentum_buffer_;
};

}  // namespace soma::optim
