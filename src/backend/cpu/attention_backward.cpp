// The fused attention's backward pass (see attention.h). Per batch·head, with P = softmax(S):
//   dV = Pᵀ dO,   dP = dO Vᵀ,   dS = P ∘ (dP - D) with D_i = sum_j P_ij dP_ij = dO_i · O_i,
//   dQ = scale dS K,   dK = scale dSᵀ Q,   dmask = dS.
// D comes from dO and O first, so each block of P (recomputed as exp(S - lse)) is used once.
// Key blocks are the outer loop: a block's dK and dV rows stay in cache while the query blocks
// pass. One thread owns a whole batch·head, so the sums over blocks run in a fixed order.

#include <algorithm>
#include <vector>

#include "backend/cpu/attention.h"
#include "backend/cpu/attention_detail.h"
#include "backend/cpu/copy.h"
#include "backend/cpu/fast_math.h"
#include "backend/cpu/loop.h"

namespace soma::backend::cpu {
namespace {

using attention_detail::Problem;

struct Blocks {
    std::int64_t q, kv;
};

template <class T>
struct Grads {
    const T *out, *lse, *dout;  // (B, L, Ev), (B, L), (B, L, Ev)
    T *dq, *dk, *dv;            // zeroed, shapes of q, k, v
    T* dmask;                   // (B, L, S) or null
};

// s, dp: (bq, bkv) scratch; D: (L).
template <class T>
void backward_head(const Problem<T>& P, const Grads<T>& g, std::int64_t b, Blocks bl, T* s, T* dp,
                   T* D) {
    const std::int64_t L = P.L, S = P.S, E = P.E, Ev = P.Ev;
    const T* o = g.out + b * L * Ev;
    const T* dO = g.dout + b * L * Ev;
    for (std::int64_t i = 0; i < L; ++i) {
        T d = 0;
        for (std::int64_t c = 0; c < Ev; ++c) d += o[i * Ev + c] * dO[i * Ev + c];
        D[i] = d;
    }
    const T *q = P.q_of(b), *k = P.k_of(b), *v = P.v_of(b);
    const std::int64_t ldq = P.ql.stride_r, ldk = P.kl.stride_r, ldv = P.vl.stride_r;
    const T* lse = g.lse + b * L;
    T* dq = g.dq + b * L * E;
    T* dk = g.dk + b * S * E;
    T* dv = g.dv + b * S * Ev;
    for (std::int64_t j0 = 0; j0 < S; j0 += bl.kv) {
        const std::int64_t bc = std::min(bl.kv, S - j0);
        // With `causal` rows i < j0 see none of these keys: start at the block holding row j0.
        const std::int64_t i_begin = P.causal ? j0 / bl.q * bl.q : 0;
        for (std::int64_t i0 = i_begin; i0 < L; i0 += bl.q) {
            const std::int64_t br = std::min(bl.q, L - i0);
            P.scores(b, i0, br, j0, bc, s, bl.kv);
            for (std::int64_t r = 0; r < br; ++r) {
                T* row = s + r * bl.kv;
                const T m = lse[i0 + r];  // -inf for a fully masked row: NaN, as composed
                for (std::int64_t c = 0; c < bc; ++c) row[c] = fast_exp(row[c] - m);
            }
            // dv[j0 : j0+bc] (bc, Ev) += pᵀ (bc, br) dO[i0 : i0+br] (br, Ev)
            gemm<T>(true, false, bc, Ev, br, T(1), s, bl.kv, dO + i0 * Ev, Ev, T(1), dv + j0 * Ev,
                    Ev);
            // dp (br, bc) = dO[i0 : i0+br] (br, Ev) v[j0 : j0+bc]ᵀ (Ev, bc)
            gemm<T>(false, true, br, bc, Ev, T(1), dO + i0 * Ev, Ev, v + j0 * ldv, ldv, T(0), dp,
                    bl.kv);
            for (std::int64_t r = 0; r < br; ++r) {
                const T* p = s + r * bl.kv;
                T* ds = dp + r * bl.kv;
                const T d = D[i0 + r];
                for (std::int64_t c = 0; c < bc; ++c) ds[c] = p[c] * (ds[c] - d);
                if (g.dmask) std::copy_n(ds, bc, g.dmask + (b * L + i0 + r) * S + j0);
            }
            // dq[i0 : i0+br] (br, E) += scale ds (br, bc) k[j0 : j0+bc] (bc, E)
            gemm<T>(false, false, br, E, bc, P.scale, dp, bl.kv, k + j0 * ldk, ldk, T(1),
                    dq + i0 * E, E);
            // dk[j0 : j0+bc] (bc, E) += scale dsᵀ (bc, br) q[i0 : i0+br] (br, E)
            gemm<T>(true, false, bc, E, br, P.scale, dp, bl.kv, q + i0 * ldq, ldq, T(1),
                    dk + j0 * E, E);
        }
    }
}

template <class T>
AttentionGrads backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                        double scale, bool causal, const Tensor& out, const Tensor& lse,
                        const Tensor& dout, bool want_dmask, AttentionBlocks blocks) {
    const Problem<T> P = attention_detail::make_problem<T>(q, k, v, mask, scale, causal);
    const Tensor dO = dout.is_contiguous() ? dout : contiguous_copy(dout, dout.dtype());
    AttentionGrads r{zeros(q.shape(), q.dtype()), zeros(k.shape(), k.dtype()),
                     zeros(v.shape(), v.dtype()), Tensor()};
    if (want_dmask) {
        Shape ms = q.shape();
        ms[ms.size() - 1] = P.S;
        // Every element is written: entries a causal block skips are zeroed here.
        r.dmask = zeros(ms, q.dtype());
    }
    const Grads<T> g{out.data<T>(),
                     lse.data<T>(),
                     dO.data<T>(),
                     r.dq.data<T>(),
                     r.dk.data<T>(),
                     r.dv.data<T>(),
                     want_dmask ? r.dmask.data<T>() : nullptr};
    const Blocks bl{std::max<std::int64_t>(blocks.q, 1), std::max<std::int64_t>(blocks.kv, 1)};
    parallel_for(P.B, P.L * P.S * (2 * P.E + 2 * P.Ev), [&](std::int64_t b0, std::int64_t b1) {
        std::vector<T> s(bl.q * bl.kv), dp(bl.q * bl.kv), D(P.L);
        for (std::int64_t b = b0; b < b1; ++b)
            backward_head(P, g, b, bl, s.data(), dp.data(), D.data());
    });
    return r;
}

}  // namespace

AttentionGrads attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                  const Tensor& mask, double scale, bool causal, const Tensor& out,
                                  const Tensor& lse, const Tensor& dout, bool want_dmask,
                                  AttentionBlocks blocks) {
    if (q.dtype() == kFloat32)
        return backward<float>(q, k, v, mask, scale, causal, out, lse, dout, want_dmask, blocks);
    return backward<double>(q, k, v, mask, scale, causal, out, lse, dout, want_dmask, blocks);
}

}  // namespace soma::backend::cpu
