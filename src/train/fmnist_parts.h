#pragma once
// Parts of the Fashion-MNIST recipe that its soundness check (fmnist_check.cpp) shares.

#include <memory>
#include <vector>

#include "soma/optim/optimizer.h"
#include "soma/train/fmnist.h"

namespace soma::train::fmnist_detail {

// The optimizer the options name, with their lr and weight decay.
std::unique_ptr<optim::Optimizer> make_optimizer(const FmnistOptions& o,
                                                 std::vector<Tensor> params);
// Throws soma::Error naming the first setting out of range.
void check_options(const FmnistOptions& o);

}  // namespace soma::train::fmnist_detail
