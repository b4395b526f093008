#include "backend/cpu/reduce.h"

#include <algorithm>

#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

std::vector<bool> reduce_mask(const std::vector<std::int64_t>& dims, int ndim, const char* op) {
    std::vector<bool> mask(ndim, dims.empty());
    for (auto d : dims) {
        int w = wrap_dim(d, ndim, op);
        if (ndim == 0) continue;
        check(!mask[w] || dims.empty(), op, ": dimension ", d, " appears more than once");
        mask[w] = true;
    }
    return mask;
}

Shape reduced_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim) {
    Shape out;
    for (int d = 0; d < shape.size(); ++d) {
        if (!mask[d])
            out.push_back(shape[d]);
        else if (keepdim)
            out.push_back(1);
    }
    return out;
}

namespace {

// All storage offsets of a (sub)tensor given by sizes/strides, in row-major order.
std::vector<std::int64_t> offsets_of(const Shape& sizes, const Shape& strides) {
    std::vector<std::int64_t> out{0};
    for (int d = 0; d < sizes.size(); ++d) {
        std::vector<std::int64_t> next;
        next.reserve(out.size() * sizes[d]);
        for (std::int64_t base : out)
            for (std::int64_t i = 0; i < sizes[d]; ++i) next.push_back(base + i * strides[d]);
        out.swap(next);
    }
    return out;
}

}  // namespace

ReductionPlan plan_reduction(const Tensor& x, const std::vector<bool>& mask) {
    Shape outer_sizes, outer_strides, inner_sizes, inner_strides;
    for (int d = 0; d < x.dim(); ++d) {
        if (mask[d]) {
            inner_sizes.push_back(x.shape()[d]);
            inner_strides.push_back(x.strides()[d]);
        } else {
            outer_sizes.push_back(x.shape()[d]);
            outer_strides.push_back(x.strides()[d]);
        }
    }
    ReductionPlan plan;
    plan.out_shape = outer_sizes;
    plan.outer_offsets = offsets_of(outer_sizes, outer_strides);
    for (auto& o : plan.outer_offsets) o += x.offset();
    plan.inner_offsets = offsets_of(inner_sizes, inner_strides);
    if (inner_sizes.numel() == 0) plan.inner_offsets.clear();
    if (outer_sizes.numel() == 0) plan.outer_offsets.clear();
    return plan;
}

Tensor sum(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
    Shape out_shape = reduced_shape(x.shape(), mask, keepdim);
    return dispatch(x.dtype(), "sum", [&](auto tag) {
        using T = decltype(tag);
        Tensor out = Tensor::empty(out_shape, x.dtype());
        T* po = out.data<T>();
        const T* base = static_cast<const T*>(x.impl()->storage->data());
        // Fast path: contiguous input reduced over its trailing dimensions.
        int first_reduced = x.dim();
        while (first_reduced > 0 && mask[first_reduced - 1]) --first_reduced;
        bool trailing = true;
        for (int d = 0; d < first_reduced; ++d) trailing = trailing && !mask[d];
        if (x.is_contiguous() && trailing) {
            std::int64_t outer = out.numel(),
                         inner = outer ? x.numel() / std::max<std::int64_t>(outer, 1) : 0;
            const T* px = x.data<T>();
            parallel_for(outer, inner, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t o = b; o < e; ++o) {
                    double acc = 0;
                    const T* row = px + o * inner;
                    for (std::int64_t i = 0; i < inner; ++i) acc += row[i];
                    po[o] = static_cast<T>(acc);
                }
            });
            return out;
        }
        ReductionPlan plan = plan_reduction(x, mask);
        std::int64_t n_out = static_cast<std::int64_t>(plan.outer_offsets.size());
        std::int64_t n_in = static_cast<std::int64_t>(plan.inner_offsets.size());
        parallel_for(n_out, n_in, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t o = b; o < e; ++o) {
                double acc = 0;
                const T* p = base + plan.outer_offsets[o];
                for (std::int64_t i = 0; i < n_in; ++i) acc += p[plan.inner_offsets[i]];
                po[o] = static_cast<T>(acc);
            }
        });
        if (n_out == 0)
            for (std::int64_t o = 0; o < out.numel(); ++o) po[o] = T(0);
        return out;
    });
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
    if (g.shape() == shape) return g;
    int lead = g.dim() - shape.size();
    check(lead >= 0, "sum_to: cannot reduce ", g.shape(), " to ", shape);
    std::vector<bool> mask(g.dim(), false);
    for (int d = 0; d < g.dim(); ++d) {
        if (d < lead) {
            mask[d] = true;
        } else if (shape[d - lead] == 1 && g.shape()[d] != 1) {
            mask[d] = true;
        } else {
            check(shape[d - lead] == g.shape()[d], "sum_to: cannot reduce ", g.shape(), " to ",
                  shape);
        }
    }
    Tensor s = sum(g, mask, true);
    // Drop the leading dims (kept as 1 by keepdim) to arrive at exactly `shape`.
    return Tensor::make_view(s, shape, contiguous_strides(shape), s.offset());
}

template <class T>
void column_sums(const T* a, std::int64_t rows, std::int64_t cols, std::int64_t lda, T* out,
                 bool accumulate) {
    if (!accumulate) std::fill(out, out + cols, T(0));
    for (std::int64_t i = 0; i < rows; ++i) {
        const T* row = a + i * lda;
        for (std::int64_t j = 0; j < cols; ++j) out[j] += row[j];
    }
}

template void column_sums<float>(const float*, std::int64_t, std::int64_t, std::int64_t, float*,
                                 bool);
template void column_sums<double>(const double*, std::int64_t, std::int64_t, std::int64_t, double*,
                                  bool);

}  // namespace soma::backend::cpu
