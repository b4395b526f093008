#pragma once
// Storage: one 64-byte aligned block of memory shared by a tensor and its views.
// Blocks come from a caching allocator: training allocates the same sizes every step, so freed
// blocks are kept by size and handed out again instead of going back to the system.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace soma {

class Storage {
public:
    explicit Storage(std::size_t nbytes);  // uninitialised memory
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    void* data() const { return data_; }
    std::size_t nbytes() const { return nbytes_; }

    // Counts in-place writes through the Tensor API (fill_, copy_, add_, mul_, ...), shared by
    // every view of this storage. Autograd compares it with the version a backward closure saw
    // when its tensors were saved (see "Saved tensors" in autograd.h).
    std::uint64_t version() const { return version_.load(std::memory_order_relaxed); }
    void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

private:
    void* data_;
    std::size_t nbytes_;
    std::atomic<std::uint64_t> version_{0};
};

namespace allocator {

struct Stats {
    std::size_t allocated_bytes = 0;  // held by live storages
    std::size_t cached_bytes = 0;     // freed, kept for reuse
    std::size_t system_allocs = 0;    // calls that reached the system allocator
    std::size_t reuses = 0;           // requests served from the cache
};

Stats stats();
// Returns every cached block to the system.
void empty_cache();
// Largest number of cached bytes kept; beyond it freed blocks go back to the system.
void set_cache_limit(std::size_t bytes);

}  // namespace allocator
}  // namespace soma
