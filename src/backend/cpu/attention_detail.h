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

// Where a (*, rows, cols) operand's elements are, broadcast to q's batch dims *: element
// (b, r, c) of batch·head b at offset[b] + r * stride_r + c * stride_c from data<T>().
struct Layout {
    std::vector<std::int64_t> offset;  // B entries
    std::int64_t stride_r = 0, stride_c = 0;
};
Layout layout_of(const Tensor& t, const Tensor& q, std::int64_t rows, std::int64_t cols);

template <class T>
struct Problem {
    std::int64_t B, L, S, E, Ev;
    // q (B, L, E), k (B, S, E), v (B, S, Ev): rows of unit column stride (the caller's check)
    const T *q, *k, *v;
    Layout ql, kl, vl;
    const T* mask;  // additive, or null
    Layout m;
    T scale;
    bool causal;

    // Batch·head b's first row of q, k or v; rows are ql.stride_r (and so on) apart.
    const T* q_of(std::int64_t b) const { return q + ql.offset[b]; }
    const T* k_of(std::int64_t b) const { return k + kl.offset[b]; }
    const T* v_of(std::int64_t b) const { return v + vl.offset[b]; }

    // Keys that rows [i0, i0 + br) may see: all, or with `causal` those j < i0 + br.
    std::int64_t key_end(std::int64_t i0, std::int64_t br) const {
        return causal ? std::min(S, i0 + br) : S;
    }

    // s (br, bc; row stride lds) = scale q[i0 : i0+br] k[j0 : j0+bc]ᵀ + mask, -inf where the
    // causal rule hides a key, for batch·head b.
    void scores(std::int64_t b, std::int64_t i0, std::int64_t br, std::int64_t j0, std::int64_t bc,
                T* s, std::int64_t lds) const {
        gemm<T>(false, true, br, bc, E, scale, q_of(b) + i0 * ql.stride_r, ql.stride_r,
                k_of(b) + j0 * kl.stride_r, kl.stride_r, T(0), s, lds);
        if (mask) {
            for (std::int64_t r = 0; r < br; ++r) {
                const T* mr = mask + m.offset[b] + (i0 + r) * m.stride_r + j0 * m.stride_c;
                T* row = s + r * lds;
                for (std::int64_t c = 0; c < bc; ++c) row[c] += mr[c * m.stride_c];
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

// q, k and v go to BLAS as they are: rows `stride_r` apart, of unit column stride.
inline void check_gemm_rows(Layout& l, const Tensor& t, std::int64_t rows, std::int64_t cols) {
    if (rows <= 1) l.stride_r = std::max<std::int64_t>(cols, 1);  // any stride reads one row
    check((cols <= 1 || t.stride(-1) == 1) && l.stride_r >= std::max<std::int64_t>(cols, 1),
          "attention kernels: q, k and v need rows of unit column stride, got shape ", t.shape(),
          " with strides ", t.strides());
}

template <class T>
Problem<T> make_problem(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                        double scale, bool causal) {
    Problem<T> p;
    p.B = batch_count(q);
    p.L = q.size(-2), p.S = k.size(-2), p.E = q.size(-1), p.Ev = v.size(-1);
    p.q = q.data<T>(), p.k = k.data<T>(), p.v = v.data<T>();
    p.ql = layout_of(q, q, p.L, p.E);
    p.kl = layout_of(k, q, p.S, p.E);
    p.vl = layout_of(v, q, p.S, p.Ev);
    check_gemm_rows(p.ql, q, p.L, p.E);
    check_gemm_rows(p.kl, k, p.S, p.E);
    check_gemm_rows(p.vl, v, p.S, p.Ev);
    p.mask = mask.defined() ? mask.data<T>() : nullptr;
    if (mask.defined()) p.m = layout_of(mask, q, p.L, p.S);
    p.scale = static_cast<T>(scale);
    p.causal = causal;
    return p;
}

}  // namespace soma::backend::cpu::attention_detail
