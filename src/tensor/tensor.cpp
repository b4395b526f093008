// Tensor geometry, element access and the autograd-free parts of the handle.

#include "soma/tensor.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace soma {

namespace {

constexpr std::uint64_t kDefaultMaxTensorBytes = std::uint64_t{1} << 36;  // 64 GiB

std::uint64_t initial_max_tensor_bytes() {
    const char* env = std::getenv("SOMA_MAX_TENSOR_BYTES");
    if (!env || !*env) return kDefaultMaxTensorBytes;
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(env, &end, 10);
    // A bad setting must not silently lift (or zero) the limit.
    check(errno == 0 && *end == '\0' && env[0] != '-' && v > 0,
          "SOMA_MAX_TENSOR_BYTES must be a positive number of bytes, got '", env, "'");
    return v;
}

std::atomic<std::uint64_t>& max_bytes() {
    static std::atomic<std::uint64_t> limit{initial_max_tensor_bytes()};
    return limit;
}

}  // namespace

void set_max_tensor_bytes(std::uint64_t bytes) {
    check(bytes > 0, "set_max_tensor_bytes: the limit must be positive");
    max_bytes().store(bytes, std::memory_order_relaxed);
}

std::uint64_t max_tensor_bytes() { return max_bytes().load(std::memory_order_relaxed); }

Tensor Tensor::empty(const Shape& shape, DType dtype) {
    for (auto s : shape) check(s >= 0, "empty: negative size in shape ", shape);
    std::uint64_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<std::uint64_t>(shape.numel()), itemsize(dtype), &bytes))
        fail("empty: shape ", shape, " of ", dtype_name(dtype), " needs more than 2^64 bytes");
    const std::uint64_t limit = max_tensor_bytes();
    check(bytes <= limit, "empty: shape ", shape, " of ", dtype_name(dtype), " needs ", bytes,
          " bytes, more than the limit of ", limit,
          " bytes for one tensor (raise it with SOMA_MAX_TENSOR_BYTES or "
          "soma::set_max_tensor_bytes)");
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(bytes));
    impl->shape = shape;
    impl->strides = contiguous_strides(shape);
    impl->dtype = dtype;
    return Tensor(std::move(impl));
}

Tensor Tensor::make_view(const Tensor& base, const Shape& shape, const Shape& strides,
                         std::int64_t offset) {
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = base.impl_->storage;
    impl->shape = shape;
    impl->strides = strides;
    impl->offset = offset;
    impl->dtype = base.impl_->dtype;
    return Tensor(std::move(impl));
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

std::int64_t Tensor::stride(std::int64_t d) const {
    return strides()[wrap_dim(d, dim(), "stride")];
}

bool Tensor::is_contiguous() const {
    const TensorImpl& t = checked();
    // An empty tensor addresses nothing, so it is contiguous whatever its strides (as in torch).
    for (int d = 0; d < t.shape.size(); ++d)
        if (t.shape[d] == 0) return true;
    std::int64_t expected = 1;
    for (int d = t.shape.size() - 1; d >= 0; --d) {
        if (t.shape[d] == 1) continue;
        if (t.strides[d] != expected) return false;
        expected *= t.shape[d];
    }
    return true;
}

bool Tensor::shares_storage(const Tensor& other) const {
    return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

void* Tensor::raw_data() const {
    const TensorImpl& t = checked();
    return static_cast<char*>(t.storage->data()) +
           t.offset * static_cast<std::int64_t>(itemsize(t.dtype));
}

namespace {

// Storage offset (in elements) of the element at a multi-index, with bounds checks.
std::int64_t element_offset(const TensorImpl& t, std::initializer_list<std::int64_t> index) {
    check(static_cast<int>(index.size()) == t.shape.size(), "at: index has ", index.size(),
          " coordinates but the tensor has ", t.shape.size(), " dimensions ", t.shape);
    std::int64_t off = t.offset;
    int d = 0;
    for (std::int64_t i : index) {
        std::int64_t n = t.shape[d];
        check(i >= -n && i < n, "at: index ", i, " out of range for dimension ", d, " of size ", n);
        off += (i < 0 ? i + n : i) * t.strides[d];
        ++d;
    }
    return off;
}

// Visits the storage offset of every element in row-major order.
template <class F>
void for_each_offset(const TensorImpl& t, F&& f) {
    std::int64_t n = t.shape.numel();
    if (n == 0) return;
    std::array<std::int64_t, Shape::kMaxDims> idx{};
    std::int64_t off = t.offset;
    int nd = t.shape.size();
    for (std::int64_t k = 0; k < n; ++k) {
        f(off);
        for (int d = nd - 1; d >= 0; --d) {
            if (++idx[d] < t.shape[d]) {
                off += t.strides[d];
                break;
            }
            off -= (idx[d] - 1) * t.strides[d];
            idx[d] = 0;
        }
    }
}

}  // namespace

template <class T>
T Tensor::item() const {
    check(numel() == 1, "item: tensor with ", numel(), " elements ", shape(),
          " cannot be converted to a scalar");
    return dispatch_all(dtype(), [&](auto tag) {
        using S = decltype(tag);
        return static_cast<T>(static_cast<const S*>(impl_->storage->data())[impl_->offset]);
    });
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;

template <class T>
T& Tensor::at(std::initializer_list<std::int64_t> index) const {
    check(dtype() == dtype_of<T>(), "at<", dtype_name(dtype_of<T>()), ">: tensor is ", dtype());
    return static_cast<T*>(impl_->storage->data())[element_offset(*impl_, index)];
}
template float& Tensor::at<float>(std::initializer_list<std::int64_t>) const;
template double& Tensor::at<double>(std::initializer_list<std::int64_t>) const;
template std::int64_t& Tensor::at<std::int64_t>(std::initializer_list<std::int64_t>) const;

template <class T>
std::vector<T> Tensor::to_vector() const {
    std::vector<T> out;
    out.reserve(numel());
    dispatch_all(dtype(), [&](auto tag) {
        using S = decltype(tag);
        const S* base = static_cast<const S*>(impl_->storage->data());
        for_each_offset(*impl_,
                        [&](std::int64_t off) { out.push_back(static_cast<T>(base[off])); });
    });
    return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

Tensor Tensor::grad() const {
    const TensorImpl& t = checked();
    return t.grad ? Tensor(t.grad) : Tensor();
}

void Tensor::set_grad(const Tensor& g) {
    TensorImpl& t = const_cast<TensorImpl&>(checked());
    if (g.defined())
        check(g.shape() == t.shape && g.dtype() == t.dtype, "set_grad: gradient ", g.shape(), " ",
              g.dtype(), " does not match tensor ", t.shape, " ", t.dtype);
    t.grad = g.impl_ptr();
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    if (a.shape() != b.shape()) return false;
    std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    for (std::size_t i = 0; i < x.size(); ++i) {
        bool nx = std::isnan(x[i]), ny = std::isnan(y[i]);
        if (nx || ny) {
            if (!(equal_nan && nx && ny)) return false;
            continue;
        }
        if (x[i] == y[i]) continue;  // equal infinities
        if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) return false;
    }
    return true;
}

}  // namespace soma
