#pragma once
// A classifier trained on normalised inputs, seen from pixel space: forward(x) =
// inner((x - mean) / std). Attacks, their eps and the input range then speak in pixels, as the
// robustness literature does, while the classifier and its checkpoint stay as trained.
//
//   auto net = train::load_fmnist_model(path, name);
//   attack::Normalized model(net, train::kFmnistMean, train::kFmnistStd);
//   Tensor x_adv = attack::pgd(model, pixels, labels, {.eps = 0.1});

#include <memory>
#include <string>

#include "soma/attack/pgd.h"
#include "soma/nn/module.h"

namespace soma::attack {

class Normalized : public nn::Module {
public:
    Normalized(std::shared_ptr<nn::Module> inner, double mean, double std);

    Tensor forward(const Tensor& x) override;  // x: (N, ...) pixels -> inner's output
    std::string type_name() const override { return "Normalized"; }
    void visit(nn::Visitor& v) override;  // the inner module's state, as child "inner"

    nn::Module& inner() const { return *inner_; }
    double mean() const { return mean_; }
    double std() const { return std_; }

private:
    std::shared_ptr<nn::Module> inner_;
    double mean_, std_;
};

// The other way round, for training on normalised batches: the same attack with eps, step size
// and range expressed for the normalised inputs (x - mean) / std, from settings in pixels.
PgdOptions to_normalized_units(PgdOptions pixels, double mean, double std);

}  // namespace soma::attack
