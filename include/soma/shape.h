#pragma once
// Shape: a small inline vector of sizes (or strides). No heap allocation, so making views is cheap.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "soma/error.h"

namespace soma {

class Shape {
public:
    static constexpr int kMaxDims = 8;

    Shape() = default;
    Shape(std::initializer_list<std::int64_t> sizes) { assign(sizes.begin(), sizes.end()); }
    explicit Shape(const std::vector<std::int64_t>& sizes) { assign(sizes.begin(), sizes.end()); }

    template <class It>
    void assign(It first, It last) {
        n_ = 0;
        for (; first != last; ++first) push_back(*first);
    }

    void push_back(std::int64_t v) {
        check(n_ < kMaxDims, "tensors have at most ", kMaxDims, " dimensions");
        d_[n_++] = v;
    }
    void insert(int pos, std::int64_t v);
    void erase(int pos);
    void resize(int n, std::int64_t fill = 0);

    int size() const { return n_; }
    bool empty() const { return n_ == 0; }
    std::int64_t operator[](int i) const { return d_[i]; }
    std::int64_t& operator[](int i) { return d_[i]; }
    std::int64_t back() const { return d_[n_ - 1]; }
    const std::int64_t* begin() const { return d_.data(); }
    const std::int64_t* end() const { return d_.data() + n_; }
    std::int64_t* begin() { return d_.data(); }
    std::int64_t* end() { return d_.data() + n_; }

    // Product of the sizes (1 for a scalar's empty shape).
    std::int64_t numel() const;
    std::vector<std::int64_t> vec() const { return {begin(), end()}; }
    std::string str() const;  // "(3, 4)"

    friend bool operator==(const Shape& a, const Shape& b);
    friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

private:
    std::array<std::int64_t, kMaxDims> d_{};
    int n_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

// Row-major strides of a contiguous tensor of this shape.
Shape contiguous_strides(const Shape& shape);

// NumPy/PyTorch broadcasting; `op` names the caller in the error message.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Wraps a possibly negative dimension index into [0, ndim); throws naming `op` when out of range.
int wrap_dim(std::int64_t dim, int ndim, const char* op);

}  // namespace soma
