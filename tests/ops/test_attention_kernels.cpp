// The fused attention kernels (backend/cpu/attention.h) with tiny blocks, so that small shapes
// walk every path of the block logic: partial last blocks, causal block skipping, rows whose
// first key blocks are all masked (the online softmax must not turn them into NaN), against
// the composed reference op.

#include <gtest/gtest.h>

#include <limits>

#include "backend/cpu/attention.h"
#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/ops_attention.h"
#include "support/op_harness.h"

namespace soma {
namespace {

namespace cpu = backend::cpu;
using test::expect_close;

struct Case {
    std::int64_t B, L, S, E, Ev;
    bool causal;
    bool mask;
};

void check_blocks(const Case& c, cpu::AttentionBlocks blocks) {
    Generator g(c.L * 31 + c.S);
    Tensor q = randn({c.B, c.L, c.E}, &g, kFloat64), k = randn({c.B, c.S, c.E}, &g, kFloat64);
    Tensor v = randn({c.B, c.S, c.Ev}, &g, kFloat64), dout = randn({c.B, c.L, c.Ev}, &g, kFloat64);
    Tensor mask;
    if (c.mask) {
        // Random -inf entries, and some rows masked on their first keys: with blocks of 2 keys
        // their first blocks see nothing. Every row keeps its last key (and with `causal` its
        // diagonal, the last key it sees).
        const double inf = std::numeric_limits<double>::infinity();
        mask = where(lt(rand({c.B, 1, c.S}, &g, kFloat64), 0.3), scalar_tensor(-inf, kFloat64),
                     randn({c.B, 1, c.S}, &g, kFloat64));
        mask = mask.expand({c.B, c.L, c.S}).clone();
        for (std::int64_t i = 0; i < c.L; ++i) {
            Tensor row = mask.select(1, i);  // (B, S)
            const std::int64_t hidden = c.causal ? std::min<std::int64_t>(i, 3) : i < 2 ? 5 : 0;
            row.narrow(1, 0, std::min(hidden, c.S - 1)).fill_(-inf);
            if (c.causal && i < c.S) row.narrow(1, i, 1).fill_(0.25);
        }
        mask.narrow(-1, c.S - 1, 1).fill_(0.5);
    }
    const double scale = 0.45;
    auto f = cpu::attention_forward(q, k, v, mask, scale, c.causal, blocks);

    Tensor qi = q.clone().requires_grad_(), ki = k.clone().requires_grad_();
    Tensor vi = v.clone().requires_grad_();
    Tensor mi = c.mask ? mask.clone().requires_grad_() : Tensor();
    Tensor ref = scaled_dot_product_attention_reference(qi, ki, vi, mi, 0.0, c.causal, scale);
    const std::string what = "B=" + std::to_string(c.B) + " L=" + std::to_string(c.L) +
                             " S=" + std::to_string(c.S) + " blocks " + std::to_string(blocks.q) +
                             "x" + std::to_string(blocks.kv);
    expect_close(f.out, ref.detach(), 1e-12, 1e-12, what + " out");
    // lse against logsumexp of the composed scores.
    Tensor s = matmul(q, k.transpose(-2, -1)) * scale;
    if (c.mask) s = s + mask;
    if (c.causal) {
        Tensor hide = Tensor::empty({c.L, c.S}, kFloat64);
        for (std::int64_t i = 0; i < c.L; ++i)
            for (std::int64_t j = 0; j < c.S; ++j)
                hide.data<double>()[i * c.S + j] =
                    j <= i ? 0.0 : -std::numeric_limits<double>::infinity();
        s = s + hide;
    }
    expect_close(f.lse, logsumexp(s, {-1}), 1e-12, 1e-12, what + " lse");

    ref.backward(dout);
    auto gr =
        cpu::attention_backward(q, k, v, mask, scale, c.causal, f.out, f.lse, dout, c.mask, blocks);
    expect_close(gr.dq, qi.grad(), 1e-11, 1e-11, what + " dq");
    expect_close(gr.dk, ki.grad(), 1e-11, 1e-11, what + " dk");
    expect_close(gr.dv, vi.grad(), 1e-11, 1e-11, what + " dv");
    if (c.mask) expect_close(gr.dmask, mi.grad(), 1e-11, 1e-11, what + " dmask");
}

TEST(AttentionKernels, SmallBlocksMatchReference) {
    const std::vector<Case> cases = {
        {2, 7, 9, 3, 2, false, false}, {2, 7, 9, 3, 2, true, false}, {1, 9, 7, 2, 3, true, false},
        {2, 7, 9, 3, 2, false, true},  {2, 8, 11, 2, 4, true, true}, {3, 1, 6, 2, 1, false, true},
    };
    const std::vector<cpu::AttentionBlocks> blocks = {{1, 1}, {2, 2}, {3, 2}, {4, 5}, {64, 64}};
    for (const Case& c : cases)
        for (const auto& b : blocks) check_blocks(c, b);
}

}  // namespace
}  // namespace soma
