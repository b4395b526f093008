// Datasets, the DataLoader (batching, seeded shuffles, determinism with and without the
// background thread, resuming) and train/validation splits.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <numeric>
#include <set>

#include "soma/data/dataloader.h"
#include "soma/data/split.h"
#include "soma/ops.h"
#include "support/op_harness.h"

namespace soma::data {
namespace {

using test::expect_error;

// Sample i: input (2) = {i, -i}, target () = i (int64): batches show which samples they hold.
std::shared_ptr<TensorDataset> numbered(std::int64_t n) {
    std::vector<float> in;
    std::vector<std::int64_t> target;
    for (std::int64_t i = 0; i < n; ++i) {
        in.push_back(static_cast<float>(i));
        in.push_back(static_cast<float>(-i));
        target.push_back(i);
    }
    return std::make_shared<TensorDataset>(from_vector(in, {n, 2}), from_vector(target));
}

// Only get(): batches go through the default get_batch, which stacks.
class OnlyGet : public Dataset {
public:
    explicit OnlyGet(std::shared_ptr<TensorDataset> d) : d_(std::move(d)) {}
    std::int64_t size() const override { return d_->size(); }
    Example get(std::int64_t i) const override { return d_->get(i); }

private:
    std::shared_ptr<TensorDataset> d_;
};

std::vector<std::vector<std::int64_t>> targets_of(DataLoader::Epoch epoch) {
    std::vector<std::vector<std::int64_t>> out;
    for (const Example& b : epoch) out.push_back(b.target.to_vector<std::int64_t>());
    return out;
}

TEST(TensorDataset, GetAndBatch) {
    auto d = numbered(5);
    EXPECT_EQ(d->size(), 5);
    Example e = d->get(3);
    EXPECT_EQ(e.input.to_vector(), (std::vector<float>{3, -3}));
    EXPECT_EQ(e.target.item<std::int64_t>(), 3);
    Example b = d->get_batch({4, 0, 2});
    EXPECT_EQ(b.input.shape(), (Shape{3, 2}));
    EXPECT_EQ(b.target.to_vector<std::int64_t>(), (std::vector<std::int64_t>{4, 0, 2}));
    // The stacking default gives the same batch.
    Example s = OnlyGet(d).get_batch({4, 0, 2});
    EXPECT_TRUE(allclose(s.input, b.input, 0, 0));
    EXPECT_EQ(s.target.to_vector<std::int64_t>(), b.target.to_vector<std::int64_t>());
    expect_error([&] { d->get(5); }, "TensorDataset::get: index 5 is out of range for 5 samples");
    expect_error([] { TensorDataset(zeros({3, 2}), zeros({4})); }, "3 inputs (3, 2) but 4 targets");
    expect_error(
        [] {
            collate({{zeros({2}), zeros({})}, {zeros({3}), zeros({})}});
        },
        "collate: sample 1 has input (3,)");
}

TEST(DataLoader, BatchSizesAndLastBatch) {
    auto d = numbered(10);
    DataLoader keep(d, {.batch_size = 4});
    EXPECT_EQ(keep.size(), 3);
    auto t = targets_of(keep.epoch(0));
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0], (std::vector<std::int64_t>{0, 1, 2, 3}));
    EXPECT_EQ(t[2], (std::vector<std::int64_t>{8, 9}));  // the partial last batch
    DataLoader drop(d, {.batch_size = 4, .drop_last = true});
    EXPECT_EQ(drop.size(), 2);
    EXPECT_EQ(targets_of(drop.epoch(0)).size(), 2u);
    Example b = keep.batch(0, 1);
    EXPECT_EQ(b.input.shape(), (Shape{4, 2}));
    EXPECT_EQ(b.target.shape(), (Shape{4}));
    expect_error([&] { DataLoader(d, {.batch_size = 0}); }, "batch_size must be positive");
}

TEST(DataLoader, ShuffleCoversEverySampleOnce) {
    DataLoader loader(numbered(23), {.batch_size = 5, .shuffle = true, .seed = 9});
    std::vector<std::int64_t> seen;
    for (const auto& batch : targets_of(loader.epoch(0)))
        seen.insert(seen.end(), batch.begin(), batch.end());
    std::vector<std::int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::int64_t> all(23);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_EQ(sorted, all);
    EXPECT_NE(seen, all);
    EXPECT_EQ(seen, loader.order(0));
}

TEST(DataLoader, DeterministicPerSeedAndEpoch) {
    auto d = numbered(40);
    DataLoaderOptions o{.batch_size = 8, .shuffle = true, .seed = 5};
    DataLoader a(d, o), b(d, o);
    auto a0 = targets_of(a.epoch(0));
    EXPECT_EQ(a0, targets_of(b.epoch(0)));
    EXPECT_NE(a0, targets_of(a.epoch(1)));
    // An epoch's order depends on (seed, epoch) only: running epoch 3 first changes nothing.
    auto b3 = targets_of(b.epoch(3));
    targets_of(a.epoch(1));
    targets_of(a.epoch(2));
    EXPECT_EQ(targets_of(a.epoch(3)), b3);
    o.seed = 6;
    EXPECT_NE(targets_of(DataLoader(d, o).epoch(0)), a0);
}

TEST(DataLoader, PrefetchOnAndOffIdentical) {
    auto d = numbered(50);
    auto noisy = [](Example b, Generator& gen) {
        b.input = b.input + uniform(b.input.shape(), 0, 1, &gen);
        return b;
    };
    DataLoaderOptions o{.batch_size = 7, .shuffle = true, .seed = 2, .transform = noisy};
    DataLoader on(d, o);
    o.prefetch = false;
    DataLoader off(d, o);
    for (std::int64_t epoch : {0, 1}) {
        std::vector<Example> x, y;
        for (const Example& b : on.epoch(epoch)) x.push_back(b);
        for (const Example& b : off.epoch(epoch)) y.push_back(b);
        ASSERT_EQ(x.size(), y.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            EXPECT_TRUE(allclose(x[i].input, y[i].input, 0, 0))
                << "epoch " << epoch << " batch " << i;
            EXPECT_EQ(x[i].target.to_vector<std::int64_t>(), y[i].target.to_vector<std::int64_t>());
        }
    }
    // The stacking default path (OnlyGet) collates the same batches.
    o.prefetch = true;
    DataLoader stacked(std::make_shared<OnlyGet>(d), o);
    EXPECT_TRUE(allclose(stacked.batch(1, 3).input, off.batch(1, 3).input, 0, 0));
}

TEST(DataLoader, ResumeMidEpoch) {
    DataLoader loader(numbered(30), {.batch_size = 4, .shuffle = true, .seed = 1});
    auto full = targets_of(loader.epoch(2));
    auto tail = targets_of(loader.epoch(2, 5));
    ASSERT_EQ(tail.size(), full.size() - 5);
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), full.begin() + 5));
    EXPECT_TRUE(targets_of(loader.epoch(2, loader.size())).empty());
    std::int64_t k = 0;
    auto ep = loader.epoch(2, 3);
    for (auto it = ep.begin(); it != ep.end(); ++it, ++k) EXPECT_EQ(it.index(), 3 + k);
    expect_error([&] { loader.epoch(0, 9); }, "first batch 9 is out of range for 8 batches");
}

TEST(DataLoader, LeavingEarlyAndEmptyDatasets) {
    DataLoader loader(numbered(100), {.batch_size = 3});
    int n = 0;
    for (const Example& b : loader.epoch(0)) {
        (void)b;
        if (++n == 2) break;  // the background thread must stop, not hang
    }
    EXPECT_EQ(n, 2);
    // The epoch keeps what it needs of a temporary loader.
    std::int64_t seen = 0;
    for (const Example& b : DataLoader(numbered(10), {.batch_size = 4}).epoch(0))
        seen += b.target.numel();
    EXPECT_EQ(seen, 10);
    auto empty = std::make_shared<TensorDataset>(zeros({0, 2}), zeros({0}));
    EXPECT_TRUE(targets_of(DataLoader(empty, {.batch_size = 4}).epoch(0)).empty());
}

// get() throws at one sample; the error reaches the loop at that batch, not before.
class Faulty : public Dataset {
public:
    std::int64_t size() const override { return 10; }
    Example get(std::int64_t i) const override {
        check(i != 7, "Faulty: sample 7 is unreadable");
        return {full({1}, static_cast<double>(i)), zeros({})};
    }
};

TEST(DataLoader, BackgroundErrorsReachTheLoop) {
    for (bool prefetch : {true, false}) {
        DataLoader loader(std::make_shared<Faulty>(), {.batch_size = 2, .prefetch = prefetch});
        int batches = 0;
        expect_error(
            [&] {
                for (const Example& b : loader.epoch(0)) {
                    (void)b;
                    ++batches;
                }
            },
            "Faulty: sample 7 is unreadable");
        EXPECT_EQ(batches, 3) << "prefetch " << prefetch;
    }
}

TEST(Split, DisjointSeededAndComplete) {
    auto d = numbered(20);
    auto [train, val] = train_validation_split(d, 6, 3);
    EXPECT_EQ(train->size(), 14);
    EXPECT_EQ(val->size(), 6);
    std::set<std::int64_t> all(train->indices().begin(), train->indices().end());
    all.insert(val->indices().begin(), val->indices().end());
    EXPECT_EQ(all.size(), 20u);
    EXPECT_EQ(train_validation_split(d, 6, 3).validation->indices(), val->indices());
    EXPECT_NE(train_validation_split(d, 6, 4).validation->indices(), val->indices());
    // Subsets keep the base's samples and batch path.
    std::int64_t i = val->indices()[2];
    EXPECT_EQ(val->get(2).target.item<std::int64_t>(), i);
    EXPECT_EQ(val->get_batch({2, 0}).target.to_vector<std::int64_t>(),
              (std::vector<std::int64_t>{i, val->indices()[0]}));
    auto parts = random_split(d, {5, 5, 10}, 1);
    EXPECT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[2]->size(), 10);
    expect_error([&] { random_split(d, {5, 5}, 1); }, "lengths sum to 10 but the dataset has 20");
    expect_error([&] { train_validation_split(d, 21, 1); }, "validation_size 21 is out of range");
}

}  // namespace
}  // namespace soma::data
