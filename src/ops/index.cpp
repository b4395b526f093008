// Indexing ops: index_select, gather, scatter_add, one_hot, embedding, and dropout.
// Reading through an index and adding through it are each other's gradients, so every backward
// here is again one of these ops (double backward works).

#include "backend/cpu/index.h"

#include <algorithm>

#include "backend/cpu/copy.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::NeedsGrad;
using autograd::record;
using ops_detail::check_defined;

namespace {

// The index as contiguous int64 with every value checked against dimension `dim` of `size`.
Tensor checked_index(const Tensor& index, std::int64_t size, int dim, const char* op) {
    Tensor idx = backend::cpu::to_index(index, op);
    if (auto bad = backend::cpu::first_out_of_range(idx, size))
        fail(op, ": index ", *bad, " is out of range for dimension ", dim, " with size ", size);
    return idx;
}

// A 1-D index viewed as (1, .., L, .., 1) with L at `dim`, so it broadcasts along the others.
Tensor along(const Tensor& idx, int ndim, int dim) {
    Shape shape;
    shape.resize(ndim, 1);
    shape[dim] = idx.numel();
    return Tensor::make_view(idx, shape, contiguous_strides(shape), idx.offset());
}

// zeros(shape) with src's slices added at positions idx along dim: the backward of
// index_select. idx is a checked 1-D index.
Tensor index_add_zeros(const Shape& shape, int dim, const Tensor& idx, const Tensor& src) {
    Tensor out = zeros(shape, src.dtype());
    backend::cpu::add_along_dim(out, dim, along(idx, shape.size(), dim), src);
    return record("IndexAddBackward", out, {src},
                  [dim, idx](const Tensor& gg) { return Grads{index_select(gg, dim, idx)}; });
}

}  // namespace

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
    check_defined(x, "index_select");
    check(x.dim() > 0, "index_select: cannot index a 0-dimensional tensor");
    int d = wrap_dim(dim, x.dim(), "index_select");
    check_defined(index, "index_select");
    check(index.dim() <= 1, "index_select: index must be 1-D, got shape ", index.shape());
    Tensor idx = checked_index(index, x.shape()[d], d, "index_select");
    // x: (.., N, ..) -> (.., L, ..)
    Shape out_shape = x.shape();
    out_shape[d] = idx.numel();
    Tensor out = backend::cpu::take_along_dim(x, d, along(idx, x.dim(), d), out_shape);
    Shape in_shape = x.shape();
    return record("IndexSelectBackward", out, {x}, [in_shape, d, idx](const Tensor& gy) {
        return Grads{index_add_zeros(in_shape, d, idx, gy)};
    });
}

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
    check_defined(x, "gather");
    check_defined(index, "gather");
    check(x.dim() > 0, "gather: cannot gather from a 0-dimensional tensor");
    int d = wrap_dim(dim, x.dim(), "gather");
    check(index.dim() == x.dim(), "gather: index of shape ", index.shape(),
          " must have as many dimensions as the input of shape ", x.shape());
    for (int k = 0; k < x.dim(); ++k)
        check(k == d || index.shape()[k] <= x.shape()[k], "gather: index of shape ", index.shape(),
              " is larger than the input of shape ", x.shape(), " at dimension ", k);
    Tensor idx = checked_index(index, x.shape()[d], d, "gather");
    Tensor out = backend::cpu::take_along_dim(x, d, idx, idx.shape());  // shape of index
    Shape in_shape = x.shape();
    return record("GatherBackward", out, {x}, [in_shape, d, idx](const Tensor& gy) {
        return Grads{scatter_add(zeros(in_shape, gy.dtype()), d, idx, gy)};
    });
}

Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
    ops_detail::check_same_dtype(self, src, "scatter_add");
    check_defined(index, "scatter_add");
    check(self.dim() > 0, "scatter_add: cannot scatter into a 0-dimensional tensor");
    int d = wrap_dim(dim, self.dim(), "scatter_add");
    check(index.dim() == self.dim() && src.dim() == self.dim(), "scatter_add: self ", self.shape(),
          ", index ", index.shape(), " and src ", src.shape(),
          " must have the same number of dimensions");
    for (int k = 0; k < self.dim(); ++k)
        check(index.shape()[k] <= src.shape()[k] && (k == d || index.shape()[k] <= self.shape()[k]),
              "scatter_add: index of shape ", index.shape(), " is larger than src ", src.shape(),
              " or self ", self.shape(), " at dimension ", k);
    dispatch(self.dtype(), "scatter_add", [](auto) {});
    Tensor idx = checked_index(index, self.shape()[d], d, "scatter_add");
    Tensor out = backend::cpu::contiguous_copy(self, self.dtype());
    // Only the part of src that index covers is scattered, like torch.
    Tensor part = src.shape() == idx.shape()
                      ? src
                      : Tensor::make_view(src, idx.shape(), src.strides(), src.offset());
    backend::cpu::add_along_dim(out, d, idx, part);
    Shape src_shape = src.shape();
    return record("ScatterAddBackward", out, {self, src},
                  [d, idx, src_shape](const Tensor& gy, const NeedsGrad& n) {
                      Tensor gs;
                      if (n[1]) {
                          gs = gather(gy, d, idx);
                          for (int k = 0; k < gs.dim(); ++k) {  // zeros where src was unused
                              if (gs.shape()[k] == src_shape[k]) continue;
                              Shape pad = gs.shape();
                              pad[k] = src_shape[k] - gs.shape()[k];
                              gs = cat({gs, zeros(pad, gs.dtype())}, k);
                          }
                      }
                      return Grads{n[0] ? gy : Tensor(), gs};
                  });
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype) {
    Tensor idx = backend::cpu::to_index(index, "one_hot");
    check(num_classes >= -1, "one_hot: num_classes must be non-negative or -1, got ", num_classes);
    if (num_classes == -1) {
        check(idx.numel() > 0, "one_hot: cannot infer num_classes from an empty index");
        const std::int64_t* p = idx.data<std::int64_t>();
        num_classes = *std::max_element(p, p + idx.numel()) + 1;
    }
    if (auto bad = backend::cpu::first_out_of_range(idx, num_classes))
        fail("one_hot: class index ", *bad, " is out of range for num_classes ", num_classes);
    return backend::cpu::one_hot(idx, num_classes, dtype);
}

Tensor embedding(const Tensor& weight, const Tensor& index,
                 std::optional<std::int64_t> padding_idx) {
    check_defined(weight, "embedding");
    check(weight.dim() == 2, "embedding: weight must be 2-D (num_embeddings, embedding_dim), got ",
          weight.shape());
    const std::int64_t rows = weight.shape()[0];
    Tensor idx = backend::cpu::to_index(index, "embedding");
    if (auto bad = backend::cpu::first_out_of_range(idx, rows))
        fail("embedding: index ", *bad, " is out of range for a table of ", rows, " rows");
    // index: (*S) -> (*S, dim); rows repeated in index get their gradients summed.
    Shape out_shape = idx.shape();
    out_shape.push_back(weight.shape()[1]);
    Tensor flat = idx.reshape({-1});
    Tensor out = index_select(weight, 0, flat);  // (K, dim)
    if (padding_idx) {
        std::int64_t pad = *padding_idx;
        check(pad >= -rows && pad < rows, "embedding: padding_idx ", pad,
              " is out of range for a table of ", rows, " rows");
        if (pad < 0) pad += rows;
        // Lookups of the padding row pass their value but no gradient: where() sends the
        // gradient to the detached copy there.
        std::vector<double> keep(flat.numel());
        const std::int64_t* p = flat.data<std::int64_t>();
        for (std::size_t k = 0; k < keep.size(); ++k) keep[k] = p[k] != pad;
        Tensor mask = from_vector(keep, {flat.numel(), 1}, weight.dtype());
        out = where(mask, out, out.detach());
    }
    return out.reshape(out_shape);
}

Tensor dropout_mask_apply(const Tensor& x, const Tensor& mask, double scale) {
    ops_detail::check_same_dtype(x, mask, "dropout_mask_apply");
    bool fits = mask.dim() <= x.dim();
    for (int k = 1; fits && k <= mask.dim(); ++k) {
        std::int64_t m = mask.shape()[mask.dim() - k];
        fits = m == 1 || m == x.shape()[x.dim() - k];
    }
    check(fits, "dropout_mask_apply: mask of shape ", mask.shape(),
          " does not broadcast to the input's shape ", x.shape());
    Tensor out = ops_detail::binary_kernel(x, mask, "dropout_mask_apply",
                                           [scale](auto v, auto m) { return v * m * scale; });
    Tensor m = mask.detach();
    return record("DropoutBackward", out, {x},
                  [m, scale](const Tensor& gy) { return Grads{dropout_mask_apply(gy, m, scale)}; });
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
    check_defined(x, "dropout");
    check(p >= 0 && p <= 1, "dropout: probability p must be in [0, 1], got ", p);
    dispatch(x.dtype(), "dropout", [](auto) {});
    if (!training || p == 0) return x;
    // p == 1 drops everything; a zero scale keeps 1/(1-p) from turning the zeros into NaN.
    if (p == 1) return dropout_mask_apply(x, zeros_like(x), 0.0);
    Tensor keep = bernoulli(x.shape(), 1.0 - p, gen, x.dtype());
    return dropout_mask_apply(x, keep, 1.0 / (1.0 - p));
}

}  // namespace soma
