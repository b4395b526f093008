// Views: new geometry over the same storage, differentiable. Each backward maps the gradient
// back through the inverse view (or, for narrow/expand, pads or sums it).

#include <numeric>

#include "backend/cpu/copy.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;

namespace {

// Strides for viewing a tensor of (shape, strides) as `target` without copying, if possible.
// Source dims are grouped into chunks that are contiguous with each other; each chunk must be
// covered exactly by a run of target dims, which then take strides within the chunk.
bool view_strides(const Shape& shape, const Shape& strides, const Shape& target, Shape& out) {
    out.resize(target.size());
    if (shape.numel() == 0 || shape.size() == 0) {
        out = contiguous_strides(target);
        return true;
    }
    int view_d = target.size() - 1;
    std::int64_t chunk_stride = strides[shape.size() - 1];
    std::int64_t tensor_numel = 1, view_numel = 1;
    for (int d = shape.size() - 1; d >= 0; --d) {
        tensor_numel *= shape[d];
        bool chunk_ends =
            d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_stride);
        if (!chunk_ends) continue;
        while (view_d >= 0 && (view_numel < tensor_numel || target[view_d] == 1)) {
            out[view_d] = view_numel * chunk_stride;
            view_numel *= target[view_d];
            --view_d;
        }
        if (view_numel != tensor_numel) return false;
        if (d > 0) {
            chunk_stride = strides[d - 1];
            tensor_numel = 1;
            view_numel = 1;
        }
    }
    return view_d == -1;
}

// The gradient of a slice: gy placed into zeros of the input's shape. Recorded itself, so that
// double backward works (its own gradient is the same slice again).
Tensor embed_slice(const Tensor& gy, const Shape& in_shape, int w, std::int64_t start,
                   std::int64_t step) {
    Tensor g = zeros(in_shape, gy.dtype());
    Shape st = g.strides();
    st[w] *= step;
    backend::cpu::copy_into(Tensor::make_view(g, gy.shape(), st, start * g.strides()[w]), gy);
    std::int64_t end = start + (gy.shape()[w] - 1) * step + 1;
    return record(
        "SliceBackwardBackward", g, {gy},
        [=](const Tensor& gg) { return Grads{gg.slice(w, start, end, step)}; },
        autograd::kSavesNothing);
}

Shape infer_size(const Shape& requested, std::int64_t numel, const char* op) {
    Shape s = requested;
    int infer = -1;
    std::int64_t known = 1;
    for (int i = 0; i < s.size(); ++i) {
        if (s[i] == -1) {
            check(infer < 0, op, ": only one dimension can be -1, got ", requested);
            infer = i;
        } else {
            check(s[i] >= 0, op, ": invalid size ", s[i], " in shape ", requested);
            known *= s[i];
        }
    }
    if (infer >= 0) {
        check(known != 0 && numel % known == 0, op, ": shape ", requested,
              " is invalid for a tensor of ", numel, " elements");
        s[infer] = numel / known;
    }
    check(s.numel() == numel, op, ": shape ", requested, " is invalid for a tensor of ", numel,
          " elements");
    return s;
}

Tensor make_view_recorded(const char* name, const Tensor& x, const Shape& shape,
                          const Shape& strides, std::int64_t offset) {
    Tensor out = Tensor::make_view(x, shape, strides, offset);
    Shape in_shape = x.shape();
    return record(
        name, out, {x}, [in_shape](const Tensor& gy) { return Grads{gy.reshape(in_shape)}; },
        autograd::kSavesNothing);
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const {
    Shape target = infer_size(shape, numel(), "view");
    Shape st;
    check(view_strides(this->shape(), strides(), target, st),
          "view: cannot view a tensor of shape ", this->shape(), " with strides ", strides(),
          " as ", target, " without copying (use reshape)");
    return make_view_recorded("ViewBackward", *this, target, st, offset());
}

Tensor Tensor::reshape(const Shape& shape) const {
    Shape target = infer_size(shape, numel(), "reshape");
    if (target == this->shape()) return *this;
    Shape st;
    if (view_strides(this->shape(), strides(), target, st))
        return make_view_recorded("ReshapeBackward", *this, target, st, offset());
    return contiguous().view(target);
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
    if (dim() == 0) return reshape({1});
    int s = wrap_dim(start_dim, dim(), "flatten"), e = wrap_dim(end_dim, dim(), "flatten");
    check(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
    Shape target;
    for (int d = 0; d < s; ++d) target.push_back(shape()[d]);
    std::int64_t merged = 1;
    for (int d = s; d <= e; ++d) merged *= shape()[d];
    target.push_back(merged);
    for (int d = e + 1; d < dim(); ++d) target.push_back(shape()[d]);
    return reshape(target);
}

Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const {
    int a = wrap_dim(dim0, dim(), "transpose"), b = wrap_dim(dim1, dim(), "transpose");
    if (dim() == 0 || a == b) return *this;
    Shape sh = shape(), st = strides();
    std::swap(sh[a], sh[b]);
    std::swap(st[a], st[b]);
    Tensor out = Tensor::make_view(*this, sh, st, offset());
    return record(
        "TransposeBackward", out, {*this},
        [a, b](const Tensor& gy) { return Grads{gy.transpose(a, b)}; }, autograd::kSavesNothing);
}

Tensor Tensor::t() const {
    check(dim() <= 2, "t: expects a tensor with at most 2 dimensions, got ", shape());
    return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::permute(const Shape& dims) const {
    check(dims.size() == dim(), "permute: got ", dims.size(), " dimensions ", dims,
          " for a tensor of shape ", shape());
    Shape sh, st, inverse;
    inverse.resize(dim(), -1);
    for (int i = 0; i < dims.size(); ++i) {
        int d = wrap_dim(dims[i], dim(), "permute");
        check(inverse[d] == -1, "permute: dimension ", d, " repeated in ", dims);
        inverse[d] = i;
        sh.push_back(shape()[d]);
        st.push_back(strides()[d]);
    }
    Tensor out = Tensor::make_view(*this, sh, st, offset());
    return record(
        "PermuteBackward", out, {*this},
        [inverse](const Tensor& gy) { return Grads{gy.permute(inverse)}; },
        autograd::kSavesNothing);
}

Tensor Tensor::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
    int w = wrap_dim(d, dim(), "narrow");
    check(dim() > 0, "narrow: cannot narrow a 0-dimensional tensor");
    std::int64_t n = shape()[w];
    if (start < 0) start += n;
    check(start >= 0 && length >= 0 && start + length <= n, "narrow: range [", start, ", ",
          start + length, ") out of bounds for dimension ", w, " of size ", n);
    return slice(w, start, start + length, 1);
}

Tensor Tensor::slice(std::int64_t d, std::int64_t start, std::int64_t end,
                     std::int64_t step) const {
    check(dim() > 0, "slice: cannot slice a 0-dimensional tensor");
    int w = wrap_dim(d, dim(), "slice");
    check(step > 0, "slice: step must be positive, got ", step);
    std::int64_t n = shape()[w];
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::clamp<std::int64_t>(start, 0, n);
    end = std::clamp<std::int64_t>(end, start, n);
    Shape sh = shape(), st = strides();
    sh[w] = (end - start + step - 1) / step;
    st[w] *= step;
    Tensor out = Tensor::make_view(*this, sh, st, offset() + start * strides()[w]);
    Shape in_shape = shape();
    return record(
        "SliceBackward", out, {*this},
        [=](const Tensor& gy) { return Grads{embed_slice(gy, in_shape, w, start, step)}; },
        autograd::kSavesNothing);
}

Tensor Tensor::select(std::int64_t d, std::int64_t index) const {
    int w = wrap_dim(d, dim(), "select");
    check(dim() > 0, "select: cannot select from a 0-dimensional tensor");
    std::int64_t n = shape()[w];
    check(index >= -n && index < n, "select: index ", index, " out of range for dimension ", w,
          " of size ", n);
    if (index < 0) index += n;
    return narrow(w, index, 1).squeeze(w);
}

Tensor Tensor::expand(const Shape& target) const {
    check(target.size() >= dim(), "expand: the number of sizes ", target.size(),
          " must be at least the tensor's dimensions ", dim(), " (shape ", shape(), ")");
    Shape sh, st;
    int lead = target.size() - dim();
    for (int d = 0; d < target.size(); ++d) {
        int sd = d - lead;
        std::int64_t want = target[d];
        if (sd < 0) {
            check(want >= 0, "expand: size -1 is not allowed in a new leading dimension");
            sh.push_back(want);
            st.push_back(0);
            continue;
        }
        std::int64_t have = shape()[sd];
        if (want == -1) want = have;
        check(have == want || have == 1, "expand: the expanded size ", want,
              " must match the existing size ", have, " at dimension ", d, " (shape ", shape(),
              " to ", target, ")");
        sh.push_back(want);
        st.push_back(have == want ? strides()[sd] : 0);
    }
    if (sh == shape()) return *this;
    Tensor out = Tensor::make_view(*this, sh, st, offset());
    // The engine sums the broadcast gradient back down to in_shape.
    return record(
        "ExpandBackward", out, {*this}, [](const Tensor& gy) { return Grads{gy}; },
        autograd::kSavesNothing);
}

Tensor Tensor::squeeze() const {
    Shape sh;
    for (auto s : shape())
        if (s != 1) sh.push_back(s);
    return sh == shape() ? *this : reshape(sh);
}

Tensor Tensor::squeeze(std::int64_t d) const {
    if (dim() == 0) return *this;
    int w = wrap_dim(d, dim(), "squeeze");
    if (shape()[w] != 1) return *this;
    Shape sh = shape(), st = strides();
    sh.erase(w);
    st.erase(w);
    return make_view_recorded("SqueezeBackward", *this, sh, st, offset());
}

Tensor Tensor::unsqueeze(std::int64_t d) const {
    int w = wrap_dim(d, dim() + 1, "unsqueeze");
    Shape sh = shape(), st = strides();
    std::int64_t stride = w < dim() ? strides()[w] * shape()[w] : 1;
    sh.insert(w, 1);
    st.insert(w, stride);
    return make_view_recorded("UnsqueezeBackward", *this, sh, st, offset());
}

Tensor Tensor::contiguous() const {
    if (is_contiguous()) return *this;
    Tensor out = backend::cpu::contiguous_copy(*this, dtype());
    return record(
        "ContiguousBackward", out, {*this}, [](const Tensor& gy) { return Grads{gy}; },
        autograd::kSavesNothing);
}

Tensor Tensor::clone() const {
    Tensor out = backend::cpu::contiguous_copy(*this, dtype());
    return record(
        "CloneBackward", out, {*this}, [](const Tensor& gy) { return Grads{gy}; },
        autograd::kSavesNothing);
}

Tensor Tensor::to(DType target) const {
    if (target == dtype()) return *this;
    Tensor out = backend::cpu::contiguous_copy(*this, target);
    DType from = dtype();
    if (!is_floating(target)) return out;  // integers carry no gradient
    return record(
        "ToBackward", out, {*this}, [from](const Tensor& gy) { return Grads{gy.to(from)}; },
        autograd::kSavesNothing);
}

// ---- free-function spellings
Tensor reshape(const Tensor& x, const Shape& shape) { return x.reshape(shape); }
Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b) { return x.transpose(a, b); }
Tensor permute(const Tensor& x, const Shape& dims) { return x.permute(dims); }
Tensor expand(const Tensor& x, const Shape& shape) { return x.expand(shape); }
Tensor squeeze(const Tensor& x, std::int64_t dim) { return x.squeeze(dim); }
Tensor unsqueeze(const Tensor& x, std::int64_t dim) { return x.unsqueeze(dim); }
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
    return x.narrow(dim, start, length);
}
Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
    return x.flatten(start_dim, end_dim);
}

}  // namespace soma
