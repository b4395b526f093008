#include "soma/data/split.h"

#include <numeric>

namespace soma::data {

Subset::Subset(std::shared_ptr<const Dataset> base, std::vector<std::int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
    check(base_ != nullptr, "Subset: the base dataset is null");
    const std::int64_t n = base_->size();
    for (std::size_t k = 0; k < indices_.size(); ++k)
        check(indices_[k] >= 0 && indices_[k] < n, "Subset: index ", indices_[k], " at position ",
              k, " is out of range for a dataset of ", n, " samples");
}

Example Subset::get(std::int64_t i) const {
    check(i >= 0 && i < size(), "Subset::get: index ", i, " is out of range for ", size(),
          " samples");
    return base_->get(indices_[i]);
}

Example Subset::get_batch(const std::vector<std::int64_t>& indices) const {
    std::vector<std::int64_t> mapped;
    mapped.reserve(indices.size());
    for (std::int64_t i : indices) {
        check(i >= 0 && i < size(), "Subset::get_batch: index ", i, " is out of range for ", size(),
              " samples");
        mapped.push_back(indices_[i]);
    }
    return base_->get_batch(mapped);
}

std::vector<std::shared_ptr<Subset>> random_split(std::shared_ptr<const Dataset> base,
                                                  const std::vector<std::int64_t>& lengths,
                                                  std::uint64_t seed) {
    check(base != nullptr, "random_split: the dataset is null");
    std::int64_t total = 0;
    for (std::int64_t l : lengths) {
        check(l >= 0, "random_split: lengths must be non-negative, got ", l);
        total += l;
    }
    check(total == base->size(), "random_split: lengths sum to ", total, " but the dataset has ",
          base->size(), " samples");
    Generator gen(seed);
    std::vector<std::int64_t> perm = randperm(total, &gen);
    std::vector<std::shared_ptr<Subset>> out;
    std::int64_t start = 0;
    for (std::int64_t l : lengths) {
        out.push_back(std::make_shared<Subset>(
            base, std::vector<std::int64_t>(perm.begin() + start, perm.begin() + start + l)));
        start += l;
    }
    return out;
}

TrainValidation train_validation_split(std::shared_ptr<const Dataset> base,
                                       std::int64_t validation_size, std::uint64_t seed) {
    check(base != nullptr, "train_validation_split: the dataset is null");
    check(validation_size >= 0 && validation_size <= base->size(),
          "train_validation_split: validation_size ", validation_size,
          " is out of range for a dataset of ", base->size(), " samples");
    auto parts = random_split(base, {base->size() - validation_size, validation_size}, seed);
    return {parts[0], parts[1]};
}

}  // namespace soma::data
