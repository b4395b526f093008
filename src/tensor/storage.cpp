#include "soma/storage.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "soma/error.h"

namespace soma {
namespace {

constexpr std::size_t kAlignment = 64;

// Sizes are rounded up to a few classes per power of two (at most 25% waste), so that blocks
// freed by one step fit the requests of the next.
std::size_t size_class(std::size_t n) {
    // Beyond 2^62 bytes no class can be formed without overflow (p * 2 would wrap and loop
    // forever); no system can provide such a block anyway.
    if (n > (SIZE_MAX >> 2))
        fail("Storage: cannot allocate ", n, " bytes (more than 2^62, beyond any address space)");
    if (n <= 512) return (n + kAlignment - 1) / kAlignment * kAlignment;
    std::size_t p = 512;
    while (p * 2 < n) p *= 2;
    std::size_t quarter = p / 4;
    return (n + quarter - 1) / quarter * quarter;
}

class CachingAllocator {
public:
    void* allocate(std::size_t& nbytes) {
        nbytes = size_class(nbytes == 0 ? 1 : nbytes);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = free_.find(nbytes);
            if (it != free_.end() && !it->second.empty()) {
                void* p = it->second.back();
                it->second.pop_back();
                stats_.cached_bytes -= nbytes;
                stats_.allocated_bytes += nbytes;
                ++stats_.reuses;
                return p;
            }
            stats_.allocated_bytes += nbytes;
            ++stats_.system_allocs;
        }
        void* p = std::aligned_alloc(kAlignment, nbytes);
        if (!p) {
            empty_cache();
            p = std::aligned_alloc(kAlignment, nbytes);
            if (!p) throw std::bad_alloc();
        }
        return p;
    }

    void release(void* p, std::size_t nbytes) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stats_.allocated_bytes -= nbytes;
            if (stats_.cached_bytes + nbytes <= limit_) {
                free_[nbytes].push_back(p);
                stats_.cached_bytes += nbytes;
                return;
            }
        }
        std::free(p);
    }

    void empty_cache() {
        std::unordered_map<std::size_t, std::vector<void*>> blocks;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            blocks.swap(free_);
            stats_.cached_bytes = 0;
        }
        for (auto& [size, list] : blocks)
            for (void* p : list) std::free(p);
    }

    allocator::Stats stats() {
        std::lock_guard<std::mutex> lock(mutex_);
        return stats_;
    }

    void set_limit(std::size_t bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        limit_ = bytes;
    }

private:
    std::mutex mutex_;
    std::unordered_map<std::size_t, std::vector<void*>> free_;
    allocator::Stats stats_;
    std::size_t limit_ = std::size_t{2} << 30;
};

// Never destroyed: tensors in static objects may be freed after main returns.
CachingAllocator& the_allocator() {
    static auto* a = new CachingAllocator;
    return *a;
}

}  // namespace

Storage::Storage(std::size_t nbytes) : nbytes_(nbytes) {
    data_ = the_allocator().allocate(nbytes_);
}

Storage::~Storage() { the_allocator().release(data_, nbytes_); }

namespace allocator {
Stats stats() { return the_allocator().stats(); }
void empty_cache() { the_allocator().empty_cache(); }
void set_cache_limit(std::size_t bytes) { the_allocator().set_limit(bytes); }
}  // namespace allocator

}  // namespace soma
