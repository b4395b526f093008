#pragma once
// Datasets: size() samples, the i-th from get(i), as an Example (input, target).
//
//   data::TensorDataset train(images, labels);      // (N, 1, 28, 28) float32, (N) int64
//   data::Example e = train.get(0);                 // (1, 28, 28), ()
//   data::Example b = train.get_batch({0, 5, 7});   // (3, 1, 28, 28), (3)
//
// A DataLoader calls get_batch from a background thread, so implementations must be safe to
// call concurrently with the training thread: const and without shared mutable state.

#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::data {

// One sample, or a batch of them (inputs and targets stacked along a new first dimension).
struct Example {
    Tensor input;
    Tensor target;
};

class Dataset {
public:
    virtual ~Dataset() = default;
    virtual std::int64_t size() const = 0;
    // Sample i, 0 <= i < size().
    virtual Example get(std::int64_t i) const = 0;
    // The samples at `indices`, collated. The default stacks get(i) for each; datasets held in
    // tensors override it with one gather.
    virtual Example get_batch(const std::vector<std::int64_t>& indices) const;
};

// Stacks the inputs and the targets of `examples` along a new dimension 0:
// n samples of (*) -> (n, *). Throws naming the first sample whose shapes differ.
Example collate(const std::vector<Example>& examples);

// Samples are the slices along dimension 0 of an inputs tensor and a targets tensor.
class TensorDataset : public Dataset {
public:
    // inputs: (N, *), targets: (N, *) with the same N.
    TensorDataset(Tensor inputs, Tensor targets);

    std::int64_t size() const override { return inputs_.shape()[0]; }
    Example get(std::int64_t i) const override;  // views: (*), (*)
    Example get_batch(const std::vector<std::int64_t>& indices) const override;

    const Tensor& inputs() const { return inputs_; }
    const Tensor& targets() const { return targets_; }

private:
    Tensor inputs_, targets_;
};

}  // namespace soma::data
