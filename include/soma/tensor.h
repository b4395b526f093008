#pragma once
// Tensor: an n-dimensional, row-major, strided view over shared storage.
//
// A Tensor is a cheap handle: copying one shares the data (like torch::Tensor). Views
// (reshape, transpose, narrow, expand, ...) share storage and differ only in shape, strides and
// offset. Methods that compute (views included, since they are differentiable) are declared here
// and defined in the ops layer; this layer itself knows nothing of operations or graphs.

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "soma/dtype.h"
#include "soma/error.h"
#include "soma/random.h"
#include "soma/shape.h"
#include "soma/storage.h"

namespace soma {

namespace autograd {
class Node;
}

class Tensor;

// The state behind a Tensor handle. Users normally never touch it.
struct TensorImpl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    Shape strides;
    std::int64_t offset = 0;  // in elements
    DType dtype = DType::Float32;
    bool requires_grad = false;  // leaves: set by the user; results: set when a graph is recorded
    bool retains_grad = false;   // non-leaf asked to keep its gradient (retain_grad)
    std::shared_ptr<TensorImpl> grad;         // accumulated gradient of a leaf
    std::shared_ptr<autograd::Node> grad_fn;  // the op that produced this tensor, if recorded
};

class Tensor {
public:
    Tensor() = default;  // undefined tensor; most operations on it throw
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

    // Uninitialised contiguous tensor.
    static Tensor empty(const Shape& shape, DType dtype = kFloat32);
    // A view of `base`'s storage with the given geometry (no checks beyond bounds).
    static Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides,
                            std::int64_t offset);

    bool defined() const { return impl_ != nullptr; }
    TensorImpl* impl() const { return impl_.get(); }
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
    bool same(const Tensor& other) const { return impl_ == other.impl_; }

    // ---- geometry
    const Shape& shape() const { return checked().shape; }
    const Shape& sizes() const { return shape(); }
    std::int64_t size(std::int64_t dim) const;
    int dim() const { return shape().size(); }
    std::int64_t numel() const { return shape().numel(); }
    const Shape& strides() const { return checked().strides; }
    std::int64_t stride(std::int64_t dim) const;
    std::int64_t offset() const { return checked().offset; }
    DType dtype() const { return checked().dtype; }
    bool is_contiguous() const;
    bool shares_storage(const Tensor& other) const;

    // ---- data
    // Pointer to the first element; T must match the dtype.
    template <class T>
    T* data() const {
        check(dtype() == dtype_of<T>(), "data<", dtype_name(dtype_of<T>()), ">: tensor is ",
              dtype_name(dtype()));
        return static_cast<T*>(impl_->storage->data()) + impl_->offset;
    }
    void* raw_data() const;
    // The single element of a one-element tensor.
    template <class T = double>
    T item() const;
    // Element at an index (negative indices count from the end); a reference, so it can be set.
    template <class T>
    T& at(std::initializer_list<std::int64_t> index) const;
    // All elements in row-major order, converted to T.
    template <class T = float>
    std::vector<T> to_vector() const;

    // ---- copies and conversion (ops layer)
    Tensor contiguous() const;     // itself when already contiguous
    Tensor clone() const;          // always a fresh contiguous copy (differentiable)
    Tensor to(DType dtype) const;  // differentiable conversion; itself if same dtype

    // ---- in-place (no autograd; refused on leaves that require grad while grad mode is on)
    Tensor& fill_(double value);
    Tensor& zero_();
    Tensor& copy_(const Tensor& src);  // src broadcast to this shape
    Tensor& add_(const Tensor& other, double alpha = 1.0);
    Tensor& mul_(double value);

    // ---- views (differentiable; ops layer)
    Tensor view(const Shape& shape) const;     // requires compatible strides; -1 infers a size
    Tensor reshape(const Shape& shape) const;  // view when possible, else a copy
    Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
    Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
    Tensor t() const;  // transpose of a matrix (2-D) or vector (unchanged)
    Tensor permute(const Shape& dims) const;
    Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
    Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end,
                 std::int64_t step = 1) const;
    Tensor select(std::int64_t dim, std::int64_t index) const;  // removes the dimension
    Tensor expand(const Shape& shape) const;                    // -1 keeps a size
    Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
    Tensor squeeze() const;
    Tensor squeeze(std::int64_t dim) const;
    Tensor unsqueeze(std::int64_t dim) const;

    // ---- autograd (autograd layer)
    bool requires_grad() const { return checked().requires_grad; }
    // Marks a leaf as a variable whose gradient .backward() accumulates.
    Tensor& requires_grad_(bool on = true);
    bool is_leaf() const { return checked().grad_fn == nullptr; }
    Tensor grad() const;  // undefined until a backward pass reaches this leaf
    void set_grad(const Tensor& g);
    void retain_grad();
    // Backpropagates from this tensor. A scalar needs no `gradient`; otherwise pass dL/dthis.
    void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                  bool create_graph = false) const;
    Tensor detach() const;             // same data, no history
    std::string grad_fn_name() const;  // "" for leaves
    const std::shared_ptr<autograd::Node>& grad_fn() const { return checked().grad_fn; }

    std::string str() const;  // printed like PyTorch: tensor([[1.0000, 2.0000], ...])

private:
    const TensorImpl& checked() const {
        check(impl_ != nullptr, "operation on an undefined tensor");
        return *impl_;
    }
    std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- the limit on one tensor's size
// Every tensor is allocated through Tensor::empty, which refuses (with a soma::Error naming
// the limit) a tensor of more than max_tensor_bytes() bytes, so that a size read from a file
// or computed from bad arguments fails clearly instead of exhausting memory. The default is
// 64 GiB; the environment variable SOMA_MAX_TENSOR_BYTES (read once, on first use) or
// set_max_tensor_bytes changes it.
void set_max_tensor_bytes(std::uint64_t bytes);
std::uint64_t max_tensor_bytes();

// ---- creation (tensor layer)
Tensor zeros(const Shape& shape, DType dtype = kFloat32);
Tensor ones(const Shape& shape, DType dtype = kFloat32);
Tensor full(const Shape& shape, double value, DType dtype = kFloat32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor empty_like(const Tensor& t);
Tensor scalar_tensor(double value, DType dtype = kFloat32);  // 0-dimensional
// [start, end) in steps of `step`, like torch.arange.
Tensor arange(double end, DType dtype = kFloat32);
Tensor arange(double start, double end, double step = 1.0, DType dtype = kFloat32);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = kFloat32);
// From values in row-major order; the shape defaults to 1-D.
Tensor from_vector(const std::vector<float>& values, const Shape& shape = {});
Tensor from_vector(const std::vector<double>& values, const Shape& shape = {},
                   DType dtype = kFloat64);
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape = {});
// tensor({1, 2, 3}) is 1-D, tensor({{1, 2}, {3, 4}}) 2-D (a vector, so that {{0}, {1}} is 2-D).
Tensor tensor(const std::vector<double>& values, DType dtype = kFloat32);
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype = kFloat32);
Tensor eye(std::int64_t n, DType dtype = kFloat32);

// ---- random (tensor layer); `gen` defaults to the global generator
Tensor rand(const Shape& shape, Generator* gen = nullptr, DType dtype = kFloat32);   // U[0,1)
Tensor randn(const Shape& shape, Generator* gen = nullptr, DType dtype = kFloat32);  // N(0,1)
Tensor uniform(const Shape& shape, double low, double high, Generator* gen = nullptr,
               DType dtype = kFloat32);
Tensor normal(const Shape& shape, double mean, double std, Generator* gen = nullptr,
              DType dtype = kFloat32);
// Integers in [low, high) (int64 by default, like torch.randint).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* gen = nullptr,
               DType dtype = kInt64);
// Each element 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, Generator* gen = nullptr, DType dtype = kFloat32);
// A random permutation of 0..n-1.
std::vector<std::int64_t> randperm(std::int64_t n, Generator* gen = nullptr);

// Element-wise |a - b| <= atol + rtol * |b| (and equal shapes); NaNs equal only with equal_nan.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8,
              bool equal_nan = false);

}  // namespace soma
