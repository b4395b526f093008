#include "soma/shape.h"

#include <sstream>

namespace soma {

void Shape::insert(int pos, std::int64_t v) {
    check(n_ < kMaxDims, "tensors have at most ", kMaxDims, " dimensions");
    for (int i = n_; i > pos; --i) d_[i] = d_[i - 1];
    d_[pos] = v;
    ++n_;
}

void Shape::erase(int pos) {
    for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
    --n_;
}

void Shape::resize(int n, std::int64_t fill) {
    check(n >= 0 && n <= kMaxDims, "tensors have at most ", kMaxDims, " dimensions");
    for (int i = n_; i < n; ++i) d_[i] = fill;
    n_ = n;
}

std::int64_t Shape::numel() const {
    std::int64_t n = 1;
    // Checked: a shape read from a file may multiply past int64, and a wrapped count would size
    // an allocation too small for the loops that follow.
    for (int i = 0; i < n_; ++i)
        if (__builtin_mul_overflow(n, d_[i], &n)) [[unlikely]] {
            for (int j = i + 1; j < n_; ++j)
                if (d_[j] == 0) return 0;  // (2^32, 2^32, 0) is empty, not too large
            fail("shape ", *this, " has too many elements (their count overflows 64 bits)");
        }
    return n;
}

std::string Shape::str() const {
    std::ostringstream os;
    os << *this;
    return os.str();
}

bool operator==(const Shape& a, const Shape& b) {
    if (a.n_ != b.n_) return false;
    for (int i = 0; i < a.n_; ++i)
        if (a.d_[i] != b.d_[i]) return false;
    return true;
}

std::ostream& operator<<(std::ostream& os, const Shape& s) {
    os << '(';
    for (int i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
    if (s.size() == 1) os << ',';  // like a Python tuple: (3,)
    return os << ')';
}

Shape contiguous_strides(const Shape& shape) {
    Shape strides;
    strides.resize(shape.size());
    std::int64_t s = 1;
    bool overflowed = false;
    for (int i = shape.size() - 1; i >= 0; --i) {
        strides[i] = overflowed ? 0 : s;
        if (!overflowed && __builtin_mul_overflow(s, shape[i], &s)) overflowed = true;
    }
    // The partial products of a shape whose element count fits never overflow; an empty shape
    // such as (0, 2^32, 2^32) may, and addresses no element, so its outer strides are just 0.
    if (overflowed) check(shape.numel() == 0, "shape ", shape, " has too many elements");
    return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    if (a == b) return a;
    int n = std::max(a.size(), b.size());
    Shape out;
    out.resize(n);
    for (int i = 0; i < n; ++i) {
        int ia = i - (n - a.size()), ib = i - (n - b.size());
        std::int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da != db && da != 1 && db != 1)
            fail(op, ": shapes ", a, " and ", b, " cannot be broadcast (dimension ", i, ": ", da,
                 " vs ", db, ")");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

int wrap_dim(std::int64_t dim, int ndim, const char* op) {
    int lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;  // scalars accept 0 and -1
    if (dim < lo || dim > hi)
        fail(op, ": dimension ", dim, " out of range for a tensor with ", ndim,
             " dimensions (expected ", lo, " to ", hi, ")");
    return static_cast<int>(dim < 0 ? dim + (ndim == 0 ? 1 : ndim) : dim);
}

}  // namespace soma
