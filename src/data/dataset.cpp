#include "soma/data/dataset.h"

#include "soma/ops.h"

namespace soma::data {

namespace {

void check_index(std::int64_t i, std::int64_t size, const char* who) {
    check(i >= 0 && i < size, who, ": index ", i, " is out of range for ", size, " samples");
}

}  // namespace

Example Dataset::get_batch(const std::vector<std::int64_t>& indices) const {
    std::vector<Example> examples;
    examples.reserve(indices.size());
    for (std::int64_t i : indices) examples.push_back(get(i));
    return collate(examples);
}

Example collate(const std::vector<Example>& examples) {
    check(!examples.empty(), "collate: no examples to collate");
    std::vector<Tensor> inputs, targets;
    inputs.reserve(examples.size());
    targets.reserve(examples.size());
    for (std::size_t k = 0; k < examples.size(); ++k) {
        const Example& e = examples[k];
        check(e.input.defined() && e.target.defined(), "collate: sample ", k,
              " has an undefined input or target");
        check(e.input.shape() == examples[0].input.shape() &&
                  e.target.shape() == examples[0].target.shape(),
              "collate: sample ", k, " has input ", e.input.shape(), " and target ",
              e.target.shape(), ", sample 0 has ", examples[0].input.shape(), " and ",
              examples[0].target.shape());
        inputs.push_back(e.input);
        targets.push_back(e.target);
    }
    return {stack(inputs), stack(targets)};
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(std::move(inputs)), targets_(std::move(targets)) {
    check(inputs_.defined() && targets_.defined(), "TensorDataset: undefined inputs or targets");
    check(inputs_.dim() >= 1 && targets_.dim() >= 1,
          "TensorDataset: inputs and targets need a sample dimension, got ", inputs_.shape(),
          " and ", targets_.shape());
    check(inputs_.shape()[0] == targets_.shape()[0], "TensorDataset: ", inputs_.shape()[0],
          " inputs ", inputs_.shape(), " but ", targets_.shape()[0], " targets ", targets_.shape());
}

Example TensorDataset::get(std::int64_t i) const {
    check_index(i, size(), "TensorDataset::get");
    return {inputs_.select(0, i), targets_.select(0, i)};
}

Example TensorDataset::get_batch(const std::vector<std::int64_t>& indices) const {
    check(!indices.empty(), "TensorDataset::get_batch: no indices");
    for (std::int64_t i : indices) check_index(i, size(), "TensorDataset::get_batch");
    Tensor idx = from_vector(indices);
    // (N, *) -> (B, *)
    return {index_select(inputs_, 0, idx), index_select(targets_, 0, idx)};
}

}  // namespace soma::data
