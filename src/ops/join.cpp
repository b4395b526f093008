// Joining (cat, stack) and splitting (split, chunk). The pieces of a split are narrow views, so
// they are differentiable already; cat copies each input into its window of the output and its
// backward narrows the gradient back into pieces.

#include <sstream>

#include "backend/cpu/copy.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::NeedsGrad;
using autograd::record;
using ops_detail::check_defined;

namespace {

std::string list_str(const std::vector<std::int64_t>& v) {
    std::ostringstream s;
    s << '[';
    for (std::size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
    s << ']';
    return s.str();
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
    check(!tensors.empty(), "cat: expects a non-empty list of tensors");
    const Tensor& first = tensors[0];
    check_defined(first, "cat");
    check(first.dim() > 0, "cat: a 0-dimensional tensor cannot be concatenated (use stack)");
    int d = wrap_dim(dim, first.dim(), "cat");
    Shape out_shape = first.shape();
    out_shape[d] = 0;
    std::vector<std::int64_t> starts, sizes;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = tensors[i];
        check_defined(t, "cat");
        check(t.dtype() == first.dtype(), "cat: tensor ", i, " has dtype ", t.dtype(),
              " but tensor 0 has ", first.dtype());
        bool match = t.dim() == first.dim();
        for (int k = 0; match && k < t.dim(); ++k)
            match = k == d || t.shape()[k] == first.shape()[k];
        check(match, "cat: tensor ", i, " of shape ", t.shape(),
              " does not match tensor 0 of shape ", first.shape(), " outside dimension ", d);
        starts.push_back(out_shape[d]);
        sizes.push_back(t.shape()[d]);
        out_shape[d] += t.shape()[d];
    }
    // (.., n_i, ..) each -> (.., sum n_i, ..)
    Tensor out = Tensor::empty(out_shape, first.dtype());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (tensors[i].numel() == 0) continue;
        Tensor window = Tensor::make_view(out, tensors[i].shape(), out.strides(),
                                          out.offset() + starts[i] * out.strides()[d]);
        backend::cpu::copy_into(window, tensors[i]);
    }
    return record(
        "CatBackward", out, tensors,
        [d, starts, sizes](const Tensor& gy, const NeedsGrad& n) {
            Grads g(starts.size());
            for (std::size_t i = 0; i < g.size(); ++i)
                if (n[i]) g[i] = gy.narrow(d, starts[i], sizes[i]);
            return g;
        },
        autograd::kSavesNothing);
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
    check(!tensors.empty(), "stack: expects a non-empty list of tensors");
    check_defined(tensors[0], "stack");
    const Shape& shape = tensors[0].shape();
    int d = wrap_dim(dim, shape.size() + 1, "stack");
    std::vector<Tensor> parts;
    parts.reserve(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        check_defined(tensors[i], "stack");
        check(tensors[i].shape() == shape, "stack: expects tensors of equal shape, got ", shape,
              " at position 0 and ", tensors[i].shape(), " at position ", i);
        parts.push_back(tensors[i].unsqueeze(d));
    }
    return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) {
    check_defined(x, "split");
    check(x.dim() > 0, "split: cannot split a 0-dimensional tensor");
    int d = wrap_dim(dim, x.dim(), "split");
    std::int64_t n = x.shape()[d];
    check(split_size > 0 || (split_size == 0 && n == 0), "split: split_size must be positive, got ",
          split_size, " for dimension ", d, " of size ", n);
    if (n == 0) return {x.narrow(d, 0, 0)};
    std::vector<Tensor> pieces;
    for (std::int64_t start = 0; start < n; start += split_size)
        pieces.push_back(x.narrow(d, start, std::min(split_size, n - start)));
    return pieces;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& sizes,
                          std::int64_t dim) {
    check_defined(x, "split");
    check(x.dim() > 0, "split: cannot split a 0-dimensional tensor");
    int d = wrap_dim(dim, x.dim(), "split");
    std::int64_t total = 0;
    for (auto s : sizes) {
        check(s >= 0, "split: sizes ", list_str(sizes), " contain a negative size");
        total += s;
    }
    check(total == x.shape()[d], "split: sizes ", list_str(sizes), " sum to ", total,
          " but dimension ", d, " of shape ", x.shape(), " has size ", x.shape()[d]);
    std::vector<Tensor> pieces;
    std::int64_t start = 0;
    for (auto s : sizes) {
        pieces.push_back(x.narrow(d, start, s));
        start += s;
    }
    return pieces;
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
    check_defined(x, "chunk");
    check(chunks > 0, "chunk: number of chunks must be positive, got ", chunks);
    check(x.dim() > 0, "chunk: cannot chunk a 0-dimensional tensor");
    int d = wrap_dim(dim, x.dim(), "chunk");
    std::int64_t n = x.shape()[d];
    // Like torch: an empty dimension still gives `chunks` (empty) pieces.
    if (n == 0) return split(x, std::vector<std::int64_t>(chunks, 0), d);
    return split(x, (n + chunks - 1) / chunks, d);
}

}  // namespace soma
