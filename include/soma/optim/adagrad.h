#pragma once
// Adagrad (PyTorch's torch.optim.Adagrad), t counted per parameter:
//   g = grad + weight_decay * p
//   sum += g^2                   (sum starts at initial_accumulator_value)
//   p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps)

#include "soma/optim/optimizer.h"

namespace soma::optim {

struct AdagradOptions {
    double lr = 1e-2;
    double lr_decay = 0;
    double weight_decay = 0;
    double initial_accumulator_value = 0;
    double eps = 1e-10;
};

class Adagrad : public Optimizer {
public:
    explicit Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
    std::string type_name() const override { return "Adagrad"; }
    const AdagradOptions& options() const { return options_; }

protected:
    void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
    std::vector<Buffer> buffers() override { return {{"step", &step_, true}, {"sum", &sum_}}; }

private:
    AdagradOptions options_;
    std::vector<Tensor> step_, sum_;
};

}  // namespace soma::optim
