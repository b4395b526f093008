#pragma once
// Shared by the loss sources (not installed): the reduction and the argument checks, which the
// loss ops in src/ops share too.

#include "ops/loss.h"
#include "soma/nn/loss.h"

namespace soma::nn::detail {

using ops_detail::check_pair;
using ops_detail::reduce_loss;

}  // namespace soma::nn::detail
