#pragma once
// DataLoader: batches of a Dataset, in a seeded order, prepared one batch ahead on a thread.
//
//   data::DataLoader loader(train, {.batch_size = 128, .shuffle = true, .seed = 1});
//   for (std::int64_t epoch = 0; epoch < 10; ++epoch)
//       for (const data::Example& batch : loader.epoch(epoch)) {
//           // batch.input: (128, 1, 28, 28), batch.target: (128)
//       }
//
// Everything is a function of (seed, epoch, batch index) alone: an epoch's order does not
// depend on the epochs before it, so a run resumed at epoch e (or at batch b of it, with
// loader.epoch(e, b)) sees exactly the batches of an uninterrupted run, and prefetching on or
// off gives identical batches.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "soma/data/dataset.h"
#include "soma/random.h"

namespace soma::data {

struct DataLoaderOptions {
    std::int64_t batch_size = 1;
    bool shuffle = false;    // a fresh permutation each epoch, else 0, 1, 2, ...
    bool drop_last = false;  // drop the last batch when it is smaller than batch_size
    std::uint64_t seed = 0;  // the shuffle and the transforms' randomness derive from it
    bool prefetch = true;    // prepare the next batch on a background thread
    // Applied to each collated batch (augmentation); the generator is seeded from
    // (seed, epoch, batch index). Runs on the background thread when prefetching.
    std::function<Example(Example, Generator&)> transform = nullptr;
};

class DataLoader {
public:
    DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options);

    // Batches per epoch.
    std::int64_t size() const;
    const DataLoaderOptions& options() const { return options_; }
    const Dataset& dataset() const { return *dataset_; }

    // The order in which epoch `epoch` visits the samples.
    std::vector<std::int64_t> order(std::int64_t epoch) const;
    // Batch b of `epoch`, computed on the calling thread.
    Example batch(std::int64_t epoch, std::int64_t b) const;

    class Epoch;
    // The batches first_batch, first_batch + 1, ... of `epoch`, for a range-for loop. The
    // Epoch owns the background thread (leaving the loop early stops it) and a copy of the
    // loader, so it may outlive this one.
    Epoch epoch(std::int64_t epoch, std::int64_t first_batch = 0) const;

private:
    Example make_batch(std::int64_t epoch, std::int64_t b,
                       const std::vector<std::int64_t>& order) const;

    std::shared_ptr<const Dataset> dataset_;
    DataLoaderOptions options_;
};

class DataLoader::Epoch {
public:
    Epoch(const DataLoader& loader, std::int64_t epoch, std::int64_t first_batch);
    ~Epoch();
    Epoch(Epoch&&) noexcept;
    Epoch& operator=(Epoch&&) = delete;
    Epoch(const Epoch&) = delete;
    Epoch& operator=(const Epoch&) = delete;

    class iterator {
    public:
        const Example& operator*() const;
        const Example* operator->() const { return &**this; }
        std::int64_t index() const { return index_; }  // the batch's index within the epoch
        iterator& operator++();
        bool operator!=(const iterator& other) const { return index_ != other.index_; }
        bool operator==(const iterator& other) const { return index_ == other.index_; }

    private:
        friend class Epoch;
        iterator(Epoch* epoch, std::int64_t index) : epoch_(epoch), index_(index) {}
        Epoch* epoch_;
        std::int64_t index_;
    };

    // begin() starts the pass; an Epoch is traversed once.
    iterator begin();
    iterator end();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace soma::data
