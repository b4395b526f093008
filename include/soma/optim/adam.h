#pragma once
// Adam and AdamW (PyTorch's torch.optim.Adam / AdamW), with AMSGrad:
//   g = grad (+ weight_decay * p for Adam; AdamW instead decays p *= 1 - lr * weight_decay)
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,  vmax = max(vmax, v) with amsgrad
//   p -= lr / (1 - b1^t) * m / (sqrt(v or vmax) / sqrt(1 - b2^t) + eps)
// with t counted per parameter (the steps on which it had a gradient).
//
//   optim::Adam opt(model.parameters(), {.lr = 1e-3, .weight_decay = 1e-4});

#include <utility>

#include "soma/optim/optimizer.h"

namespace soma::optim {

struct AdamOptions {
    double lr = 1e-3;
    std::pair<double, double> betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 0;
    bool amsgrad = false;
};

// AdamW's weight decay is decoupled from the gradient, and on by default.
struct AdamWOptions {
    double lr = 1e-3;
    std::pair<double, double> betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 1e-2;
    bool amsgrad = false;
};

class Adam : public Optimizer {
public:
    explicit Adam(std::vector<Tensor> params, AdamOptions options = {});
    std::string type_name() const override { return decoupled_ ? "AdamW" : "Adam"; }
    const AdamOptions& options() const { return options_; }

protected:
    Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled);
    void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
    std::vector<Buffer> buffers() override;

private:
    AdamOptions options_;
    bool decoupled_;
    std::vector<Tensor> step_, exp_avg_, exp_avg_sq_, max_exp_avg_sq_;
};

class AdamW : public Adam {
public:
    explicit AdamW(std::vector<Tensor> params, AdamWOptions options = {});
};

}  // namespace soma::optim
