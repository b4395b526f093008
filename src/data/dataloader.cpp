#include "soma/data/dataloader.h"

#include <omp.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#include "soma/autograd.h"

namespace soma::data {

namespace {

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Independent streams per purpose, epoch and batch, so that no draw depends on another.
enum Stream : std::uint64_t { kShuffle = 1, kTransform = 2 };

std::uint64_t derive_seed(std::uint64_t seed, Stream stream, std::int64_t epoch,
                          std::int64_t batch = 0) {
    std::uint64_t h = splitmix(seed);
    h = splitmix(h ^ stream);
    h = splitmix(h ^ static_cast<std::uint64_t>(epoch));
    return splitmix(h ^ static_cast<std::uint64_t>(batch));
}

// Batches are prepared on one thread, whichever thread that is: the background thread then
// leaves the cores to training, and a batch's values never depend on how work was split.
class SingleThreaded {
public:
    SingleThreaded() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
    ~SingleThreaded() { omp_set_num_threads(saved_); }
    SingleThreaded(const SingleThreaded&) = delete;
    SingleThreaded& operator=(const SingleThreaded&) = delete;

private:
    int saved_;
};

}  // namespace

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
    check(dataset_ != nullptr, "DataLoader: the dataset is null");
    check(options_.batch_size > 0, "DataLoader: batch_size must be positive, got ",
          options_.batch_size);
}

std::int64_t DataLoader::size() const {
    const std::int64_t n = dataset_->size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::int64_t> DataLoader::order(std::int64_t epoch) const {
    check(epoch >= 0, "DataLoader: epoch must be non-negative, got ", epoch);
    if (options_.shuffle) {
        Generator gen(derive_seed(options_.seed, kShuffle, epoch));
        return randperm(dataset_->size(), &gen);
    }
    std::vector<std::int64_t> idx(dataset_->size());
    std::iota(idx.begin(), idx.end(), 0);
    return idx;
}

Example DataLoader::make_batch(std::int64_t epoch, std::int64_t b,
                               const std::vector<std::int64_t>& order) const {
    // Grad mode is per thread; batches are data, never part of a graph, on either thread.
    NoGrad no_grad;
    SingleThreaded one_thread;
    const std::int64_t start = b * options_.batch_size;
    const std::int64_t stop = std::min<std::int64_t>(start + options_.batch_size,
                                                     static_cast<std::int64_t>(order.size()));
    std::vector<std::int64_t> indices(order.begin() + start, order.begin() + stop);
    Example batch = dataset_->get_batch(indices);
    if (options_.transform) {
        Generator gen(derive_seed(options_.seed, kTransform, epoch, b));
        batch = options_.transform(std::move(batch), gen);
    }
    return batch;
}

Example DataLoader::batch(std::int64_t epoch, std::int64_t b) const {
    check(b >= 0 && b < size(), "DataLoader::batch: batch ", b, " is out of range for ", size(),
          " batches per epoch");
    return make_batch(epoch, b, order(epoch));
}

DataLoader::Epoch DataLoader::epoch(std::int64_t epoch, std::int64_t first_batch) const {
    return Epoch(*this, epoch, first_batch);
}

// ---- one pass, with the optional background thread -------------------------------------------

struct DataLoader::Epoch::State {
    // A copy (it shares the dataset), so the epoch outlives a temporary loader:
    // `for (auto& b : DataLoader(d, o).epoch(0))` is fine.
    explicit State(const DataLoader& l) : loader(l) {}
    DataLoader loader;
    std::int64_t epoch = 0, first = 0, end = 0;
    std::vector<std::int64_t> order;
    Example current;
    bool started = false;

    // Handoff between the worker and the consumer: one finished batch (or the worker's
    // exception) at a time, in batch order.
    std::thread worker;
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<Example> ready;
    std::exception_ptr error;
    bool stop = false;

    void produce() {
        for (std::int64_t b = first; b < end; ++b) {
            std::optional<Example> batch;
            std::exception_ptr err;
            try {
                batch = loader.make_batch(epoch, b, order);
            } catch (...) {
                err = std::current_exception();
            }
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return stop || !ready; });
            if (stop) return;
            if (err) {
                error = err;
                cv.notify_all();
                return;
            }
            ready = std::move(batch);
            cv.notify_all();
        }
    }

    void fetch(std::int64_t b) {
        if (!loader.options_.prefetch) {
            current = loader.make_batch(epoch, b, order);
            return;
        }
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return ready.has_value() || error != nullptr; });
        if (!ready) std::rethrow_exception(error);
        current = std::move(*ready);
        ready.reset();
        cv.notify_all();
    }

    void shutdown() {
        if (!worker.joinable()) return;
        {
            std::lock_guard lock(mutex);
            stop = true;
        }
        cv.notify_all();
        worker.join();
    }
};

DataLoader::Epoch::Epoch(const DataLoader& loader, std::int64_t epoch, std::int64_t first_batch)
    : state_(std::make_unique<State>(loader)) {
    const std::int64_t n = loader.size();
    check(first_batch >= 0 && first_batch <= n, "DataLoader::epoch: first batch ", first_batch,
          " is out of range for ", n, " batches per epoch");
    state_->epoch = epoch;
    state_->first = first_batch;
    state_->end = n;
    state_->order = loader.order(epoch);
}

DataLoader::Epoch::~Epoch() {
    if (state_) state_->shutdown();
}

DataLoader::Epoch::Epoch(Epoch&&) noexcept = default;

DataLoader::Epoch::iterator DataLoader::Epoch::begin() {
    State& s = *state_;
    check(!s.started, "DataLoader::Epoch: an epoch is traversed once; call loader.epoch(e) again");
    s.started = true;
    if (s.loader.options_.prefetch && s.first < s.end)
        s.worker = std::thread([&s] { s.produce(); });
    if (s.first < s.end) s.fetch(s.first);
    return iterator(this, s.first);
}

DataLoader::Epoch::iterator DataLoader::Epoch::end() { return iterator(this, state_->end); }

const Example& DataLoader::Epoch::iterator::operator*() const { return epoch_->state_->current; }

DataLoader::Epoch::iterator& DataLoader::Epoch::iterator::operator++() {
    State& s = *epoch_->state_;
    if (++index_ < s.end) s.fetch(index_);
    return *this;
}

}  // namespace soma::data
