#pragma once
// Subsets and seeded random splits (train / validation), like torch.utils.data.random_split.
//
//   auto full = std::make_shared<datasets::FashionMNIST>();
//   auto [train, validation] = data::train_validation_split(full, 5000, /*seed=*/1);

#include <cstdint>
#include <memory>
#include <vector>

#include "soma/data/dataset.h"

namespace soma::data {

// The samples of `base` at `indices`, in that order.
class Subset : public Dataset {
public:
    Subset(std::shared_ptr<const Dataset> base, std::vector<std::int64_t> indices);

    std::int64_t size() const override { return static_cast<std::int64_t>(indices_.size()); }
    Example get(std::int64_t i) const override;
    // Forwards to base.get_batch, keeping its fast path.
    Example get_batch(const std::vector<std::int64_t>& indices) const override;

    const std::vector<std::int64_t>& indices() const { return indices_; }

private:
    std::shared_ptr<const Dataset> base_;
    std::vector<std::int64_t> indices_;
};

// Disjoint subsets of the given lengths (summing to base's size) from one random permutation
// drawn from `seed` alone.
std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<const Dataset> base,
                                                  const std::vector<std::int64_t>& lengths,
                                                  std::uint64_t seed);

struct TrainValidation {
    std::shared_ptr<Subset> train, validation;
};

// random_split into size - validation_size training and validation_size validation samples.
TrainValidation train_validation_split(std::shared_ptr<const Dataset> base,
                                       std::int64_t validation_size, std::uint64_t seed);

}  // namespace soma::data
