#pragma once
// The element-wise iteration engine shared by every CPU kernel: walks N strided operands over
// one (broadcast) shape, handing the kernel inner runs (pointer, length, stride) so that the
// innermost loop is a plain, vectorisable loop. Dimensions that are contiguous across all
// operands are merged first, so most tensors reduce to a single run.

#include <omp.h>

#include <array>
#include <cstdint>

#include "soma/shape.h"
#include "soma/tensor.h"

namespace soma::backend::cpu {

// Below this many elements a kernel stays on one thread: starting a parallel region costs more
// than it saves.
constexpr std::int64_t kParallelGrain = 32768;

// Strides of `t` when broadcast to `shape` (0 along broadcast dimensions), in elements.
Shape broadcast_strides(const Tensor& t, const Shape& shape);

template <int N>
class Loop {
public:
    // strides[k]: element strides of operand k over `shape`; itemsize[k]: its element size.
    Loop(const Shape& shape, const std::array<Shape, N>& strides,
         const std::array<std::int64_t, N>& itemsize) {
        // Build dims innermost-first in bytes, dropping size-1 dims and merging contiguous ones.
        ndim_ = 0;
        numel_ = shape.numel();
        for (int d = shape.size() - 1; d >= 0; --d) {
            if (shape[d] == 1) continue;
            if (ndim_ > 0) {
                bool mergeable = true;
                for (int k = 0; k < N; ++k)
                    if (strides[k][d] * itemsize[k] != stride_[k][ndim_ - 1] * size_[ndim_ - 1])
                        mergeable = false;
                if (mergeable) {
                    size_[ndim_ - 1] *= shape[d];
                    continue;
                }
            }
            size_[ndim_] = shape[d];
            for (int k = 0; k < N; ++k) stride_[k][ndim_] = strides[k][d] * itemsize[k];
            ++ndim_;
        }
        if (ndim_ == 0) {  // a single element
            size_[0] = 1;
            for (int k = 0; k < N; ++k) stride_[k][0] = itemsize[k];
            ndim_ = 1;
        }
    }

    std::int64_t numel() const { return numel_; }
    std::int64_t inner_size() const { return size_[0]; }
    std::int64_t inner_stride(int k) const { return stride_[k][0]; }

    // Calls body(ptrs, n, inner_strides) for the runs covering linear indices [begin, end).
    template <class Body>
    void run(std::array<char*, N> base, std::int64_t begin, std::int64_t end, Body&& body) const {
        if (begin >= end) return;
        // Position of `begin` as a multi-index (innermost first).
        std::array<std::int64_t, Shape::kMaxDims> idx{};
        std::int64_t rest = begin;
        std::array<char*, N> ptr = base;
        for (int d = 0; d < ndim_; ++d) {
            idx[d] = rest % size_[d];
            rest /= size_[d];
            for (int k = 0; k < N; ++k) ptr[k] += idx[d] * stride_[k][d];
        }
        std::array<std::int64_t, N> inner;
        for (int k = 0; k < N; ++k) inner[k] = stride_[k][0];
        std::int64_t remaining = end - begin;
        while (remaining > 0) {
            std::int64_t n = std::min(size_[0] - idx[0], remaining);
            body(ptr, n, inner);
            remaining -= n;
            if (remaining == 0) break;
            // The run ended with the innermost dimension: step to the start of the next row.
            for (int k = 0; k < N; ++k) ptr[k] -= idx[0] * stride_[k][0];
            idx[0] = 0;
            for (int d = 1; d < ndim_; ++d) {
                ++idx[d];
                for (int k = 0; k < N; ++k) ptr[k] += stride_[k][d];
                if (idx[d] < size_[d]) break;
                for (int k = 0; k < N; ++k) ptr[k] -= idx[d] * stride_[k][d];
                idx[d] = 0;
            }
        }
    }

    // Like run over everything, split across OpenMP threads when large enough.
    template <class Body>
    void parallel_run(std::array<char*, N> base, Body&& body) const {
        if (numel_ < kParallelGrain || omp_get_max_threads() == 1) {
            run(base, 0, numel_, body);
            return;
        }
#pragma omp parallel
        {
            std::int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
            std::int64_t chunk = (numel_ + nt - 1) / nt;
            run(base, t * chunk, std::min(numel_, (t + 1) * chunk), body);
        }
    }

private:
    int ndim_ = 0;
    std::int64_t numel_ = 0;
    std::array<std::int64_t, Shape::kMaxDims> size_{};
    std::array<std::array<std::int64_t, Shape::kMaxDims>, N> stride_{};
};

// Runs f(i_begin, i_end) over [0, n), in parallel when n * cost_per_item is large.
template <class F>
void parallel_for(std::int64_t n, std::int64_t cost_per_item, F&& f) {
    if (n * cost_per_item < kParallelGrain || n < 2 || omp_get_max_threads() == 1) {
        f(std::int64_t{0}, n);
        return;
    }
#pragma omp parallel
    {
        std::int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
        std::int64_t chunk = (n + nt - 1) / nt;
        std::int64_t b = t * chunk, e = std::min(n, b + chunk);
        if (b < e) f(b, e);
    }
}

}  // namespace soma::backend::cpu
