#pragma once
// What the fused attention's forward and backward share: the problem's sizes and pointers, and
// one block of scores recomputed from q and k.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "backend/cpu/gemm.h"
#include "soma/tensor.h"

namespace soma::backend::cpu::attention_detail {

// The batch dims of q, flattened: B = prod(*).
std::int64_t batch_count(const Tensor& q);

// Offsets of each batch·head's (L, S) slice of `mask` broadcast to (*, L, S), and the strides
// of its last two dims (0 where broadcast).
struct MaskLayout {
    std::vector<std::int64_t> offset;  // B entries, in elements from mask.data()
    std::int64_t stride_l = 0, stride_s = 0;
};
MaskLayout mask_layout(const Tensor& mask, const Tensor& q, std::int64_t S);

template <class T>
struct Problem {
    std::int64_t B, L, S, E, Ev;
    const T *q, *k, *v;  // (B, L, E), (B, S, E), (B, S, Ev), contiguous
    const T* mask;       // additive, or null
    MaskLayout m;
    T scale;
    bool causal;

    // Keys that rows [i0, i0 + br) may see: all, or with `causal` those j < i0 + br.
    std::int64_t key_end(std::int64_t i0, std::int64_t br) const {
        return causal ? std::min(S, i0 + br) : S;
    }

    // s (br, bc; row stride lds) = scale q[i0 : i0+br] k[j0 : j0+bc]ᵀ + mask, -inf where the
    // causal rule hides a key, for batch·head b.
    void scores(std::int64_t b, std::int64_t i0, std::int64_t br, std::int64_t j0, std::int64_t bc,
                T* s, std::int64_t lds) const {
        gemm<T>(false, true, br, bc, E, scale, q + (b * L + i0) * E, E, k + (b * S + j0) * E, E,
                T(0), s, lds);
        if (mask) {
            for (std::int64_t r = 0; r < br; ++r) {
                const T* mr = mask + m.offset[b] + (i0 + r) * m.stride_l + j0 * m.stride_s;
                T* row = s + r * lds;
                for (std::int64_t c = 0; c < bc; ++c) row[c] += mr[c * m.stride_s];
            }
        }
        if (causal) {
            // Row i sees keys j <= i: hide columns from i + 1 - j0 on.
            for (std::int64_t r = 0; r < br; ++r) {
                const std::int64_t first_hidden = std::max<std::int64_t>(i0 + r + 1 - j0, 0);
                std::fill(s + r * lds + std::min(first_hidden, bc), s + r * lds + bc,
                          -std::numeric_limits<T>::infinity());
            }
        }
    }
};

template <class T>
Problem<T> make_problem(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                        double scale, bool causal) {
    const int d = q.dim();
    Problem<T> p{batch_count(q),
                 q.size(d - 2),
                 k.size(d - 2),
                 q.size(d - 1),
                 v.size(d - 1),
                 q.data<T>(),
                 k.data<T>(),
                 v.data<T>(),
                 mask.defined() ? mask.data<T>() : nullptr,
                 {},
                 static_cast<T>(scale),
                 causal};
    if (mask.defined()) p.m = mask_layout(mask, q, p.S);
    return p;
}

}  // namespace soma::backend::cpu::attention_detail
