// The fused attention's forward pass (see attention.h), and the helpers both passes share.

#include "backend/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend/cpu/attention_detail.h"
#include "backend/cpu/fast_math.h"
#include "backend/cpu/loop.h"

namespace soma::backend::cpu {

namespace attention_detail {

std::int64_t batch_count(const Tensor& q) {
    std::int64_t b = 1;
    for (int d = 0; d + 2 < q.dim(); ++d) b *= q.size(d);
    return b;
}

Layout layout_of(const Tensor& t, const Tensor& q, std::int64_t rows, std::int64_t cols) {
    Shape full;
    for (int d = 0; d + 2 < q.dim(); ++d) full.push_back(q.size(d));
    const int nb = full.size();
    full.push_back(rows);
    full.push_back(cols);
    const Shape st = broadcast_strides(t, full);
    Layout m;
    m.stride_r = st[nb];
    m.stride_c = st[nb + 1];
    const std::int64_t B = batch_count(q);
    m.offset.resize(B);
    // Row-major walk over the batch dims, the last one fastest.
    for (std::int64_t b = 0; b < B; ++b) {
        std::int64_t rest = b, off = 0;
        for (int d = nb - 1; d >= 0; --d) {
            off += (rest % full[d]) * st[d];
            rest /= full[d];
        }
        m.offset[b] = off;
    }
    return m;
}

}  // namespace attention_detail

namespace {

using attention_detail::Problem;

// Rows [i0, i0 + br) of batch·head b: out (br, Ev) and lse (br). s: (br, bkv) scratch; m, l:
// (br) running maximum and sum.
template <class T>
void forward_rows(const Problem<T>& P, std::int64_t b, std::int64_t i0, std::int64_t br,
                  std::int64_t bkv, T* out, T* lse, T* s, T* m, T* l) {
    constexpr T kNegInf = -std::numeric_limits<T>::infinity();
    T* o = out + (b * P.L + i0) * P.Ev;  // the rows accumulate sum_j p_ij v_j here
    std::fill_n(o, br * P.Ev, T(0));
    std::fill_n(m, br, kNegInf);
    std::fill_n(l, br, T(0));
    const std::int64_t jend = P.key_end(i0, br);
    for (std::int64_t j0 = 0; j0 < jend; j0 += bkv) {
        const std::int64_t bc = std::min(bkv, jend - j0);
        P.scores(b, i0, br, j0, bc, s, bkv);
        for (std::int64_t r = 0; r < br; ++r) {
            T* row = s + r * bkv;
            T mx = kNegInf;
            for (std::int64_t c = 0; c < bc; ++c) mx = row[c] > mx ? row[c] : mx;
            const T m_new = std::max(m[r], mx);
            if (m_new == kNegInf) {
                // Every key so far is masked: nothing to add yet (and exp(-inf - -inf) is NaN).
                std::fill_n(row, bc, T(0));
                continue;
            }
            T sum = 0;
            for (std::int64_t c = 0; c < bc; ++c) {
                row[c] = fast_exp(row[c] - m_new);
                sum += row[c];
            }
            // Rescale what was summed under the old maximum (alpha = 0 while there was none).
            const T alpha = fast_exp(m[r] - m_new);
            l[r] = l[r] * alpha + sum;
            if (alpha != T(1)) {
                T* orow = o + r * P.Ev;
                for (std::int64_t c = 0; c < P.Ev; ++c) orow[c] *= alpha;
            }
            m[r] = m_new;
        }
        // o (br, Ev) += p (br, bc) v[j0 : j0+bc] (bc, Ev)
        gemm<T>(false, false, br, P.Ev, bc, T(1), s, bkv, P.v_of(b) + j0 * P.vl.stride_r,
                P.vl.stride_r, T(1), o, P.Ev);
    }
    for (std::int64_t r = 0; r < br; ++r) {
        // A fully masked row has l = 0: 0 · inf is NaN, as the composed softmax gives.
        const T inv = T(1) / l[r];
        T* orow = o + r * P.Ev;
        for (std::int64_t c = 0; c < P.Ev; ++c) orow[c] *= inv;
        lse[b * P.L + i0 + r] = m[r] + std::log(l[r]);
    }
}

template <class T>
AttentionForward forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                         double scale, bool causal, AttentionBlocks blocks) {
    const Problem<T> P = attention_detail::make_problem<T>(q, k, v, mask, scale, causal);
    Shape out_shape = q.shape(), lse_shape = q.shape();
    out_shape[out_shape.size() - 1] = P.Ev;
    lse_shape.resize(lse_shape.size() - 1);
    AttentionForward r{Tensor::empty(out_shape, q.dtype()), Tensor::empty(lse_shape, q.dtype())};
    const std::int64_t bq = std::max<std::int64_t>(blocks.q, 1);
    const std::int64_t bkv = std::max<std::int64_t>(blocks.kv, 1);
    const std::int64_t nqb = (P.L + bq - 1) / bq;
    T* out = r.out.data<T>();
    T* lse = r.lse.data<T>();
    // One task per (batch·head, query block): each owns its output rows.
    parallel_for(P.B * nqb, bq * P.S * (P.E + P.Ev), [&](std::int64_t t0, std::int64_t t1) {
        std::vector<T> s(bq * bkv), m(bq), l(bq);
        for (std::int64_t t = t0; t < t1; ++t) {
            const std::int64_t b = t / nqb, i0 = (t % nqb) * bq;
            forward_rows(P, b, i0, std::min(bq, P.L - i0), bkv, out, lse, s.data(), m.data(),
                         l.data());
        }
    });
    return r;
}

}  // namespace

AttentionForward attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                   const Tensor& mask, double scale, bool causal,
                                   AttentionBlocks blocks) {
    if (q.dtype() == kFloat32) return forward<float>(q, k, v, mask, scale, causal, blocks);
    return forward<double>(q, k, v, mask, scale, causal, blocks);
}

}  // namespace soma::backend::cpu
