#pragma once
// Test examples that also occur in the training split, exactly or nearly: a test set that leaks
// into training makes every number measured on it too good.
//
//   data::Overlap o = data::find_overlap(train_images, test_images, 0.05 * std);
//   o.exact;  o.near;   // test examples with an identical / a near training example

#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::data {

struct Overlap {
    std::int64_t exact = 0;  // test examples identical to some training example
    std::int64_t near = 0;   // test examples within the tolerance of one (the exact ones too)
    std::vector<std::int64_t> test_indices;  // the near ones (exact included), ascending
};

// train: (N, *), test: (M, *), the same trailing shape, float32 or float64. A test example is
// near a training one when the root-mean-square difference of their elements is at most
// `tolerance`. Candidates come from a seeded random projection to 32 dimensions (distances
// kept within a factor the candidate radius allows for with overwhelming probability) and
// are confirmed on the full vectors, so the cost is that of an (M, 32) x (32, N) product plus
// the confirmations.
Overlap find_overlap(const Tensor& train, const Tensor& test, double tolerance);

}  // namespace soma::data
