// cross_entropy_loss. Class-index cross-entropy is on every classifier's training step, so it
// runs as one fused kernel: per sample a max, a sum of exponentials and the picked logit in one
// pass over the row, and a backward that writes softmax - one-hot directly. The composed
// version (log_softmax + gather) stays beside it as the reference the tests compare against.
// nn::cross_entropy (nn/loss_cross_entropy.cpp) checks the arguments and calls it.

#include <cmath>

#include "backend/cpu/index.h"
#include "backend/cpu/loop.h"
#include "ops/loss.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;

namespace ops_detail {

Shape sample_shape(const Shape& logits) {
    Shape s;
    for (int d = 0; d < logits.size(); ++d)
        if (d != 1) s.push_back(logits[d]);
    return s;
}

Tensor checked_classes(const Tensor& logits, const Tensor& target, const char* op) {
    const std::int64_t classes = logits.shape()[1];
    check(target.shape() == sample_shape(logits.shape()), op, ": class-index target ",
          target.shape(), " does not match logits ", logits.shape(), " (expected ",
          sample_shape(logits.shape()), ")");
    Tensor idx = target.is_contiguous() ? target : target.contiguous();
    if (auto bad = backend::cpu::first_out_of_range(idx, classes))
        fail(op, ": target class ", *bad, " is out of range for ", classes, " classes (0 to ",
             classes - 1, ")");
    return idx;
}

void check_logits(const Tensor& logits, const Tensor& target, const char* op) {
    check(logits.defined() && target.defined(), op, ": undefined ",
          logits.defined() ? "target" : "input");
    check(is_floating(logits.dtype()), op, ": input must be floating, got ", logits.dtype());
    check(logits.dim() >= 2, op, ": input must be (N, C) or (N, C, d1, ...), got ", logits.shape());
    check(logits.shape()[1] > 0, op, ": input ", logits.shape(), " has no classes");
}

}  // namespace ops_detail

namespace {

using ops_detail::check_logits;
using ops_detail::checked_classes;
using ops_detail::reduce_loss;

// The smoothed one-hot target distribution (N, C, d...) for class indices (N, d...).
Tensor class_distribution(const Tensor& idx, const Shape& logits_shape, DType dtype, double eps) {
    const std::int64_t classes = logits_shape[1];
    Tensor hot = one_hot(idx, classes, dtype);  // (N, d..., C) -> (N, C, d...)
    if (logits_shape.size() > 2) {
        Shape order{0, static_cast<std::int64_t>(logits_shape.size()) - 1};
        for (int d = 1; d < logits_shape.size() - 1; ++d) order.push_back(d);
        hot = hot.permute(order);
    }
    return eps == 0 ? hot : add(mul(hot, 1.0 - eps), eps / static_cast<double>(classes));
}

// Logits (N, C, d...) are walked as (outer = N, C, inner = d1*...); one lane per sample.
struct Lanes {
    std::int64_t outer, classes, inner;
    std::int64_t count() const { return outer * inner; }
};

template <class T>
void fused_forward(const T* x, const std::int64_t* target, Lanes l, double eps, T* lse, T* loss) {
    const T keep = T(1 - eps), spread = T(eps / static_cast<double>(l.classes));
    backend::cpu::parallel_for(l.count(), l.classes * 4, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t lane = b; lane < e; ++lane) {
            const std::int64_t o = lane / l.inner, k = lane % l.inner;
            const T* row = x + o * l.classes * l.inner + k;
            T m = row[0];
            for (std::int64_t c = 1; c < l.classes; ++c) m = std::max(m, row[c * l.inner]);
            T s = 0, total = 0;
            for (std::int64_t c = 0; c < l.classes; ++c) {
                s += std::exp(row[c * l.inner] - m);
                total += row[c * l.inner];
            }
            const T log_z = m + std::log(s);
            lse[lane] = log_z;
            // (1 - eps)(log Z - x_t) + eps/C sum_c (log Z - x_c)
            loss[lane] = log_z - keep * row[target[lane] * l.inner] - spread * total;
        }
    });
}

// dx = g_lane (softmax(x) - (1 - eps) onehot - eps/C); g_lane = scale * (gy ? gy[lane] : 1).
template <class T>
void fused_backward(const T* x, const std::int64_t* target, const T* lse, const T* gy, double scale,
                    Lanes l, double eps, T* dx) {
    const T keep = T(1 - eps), spread = T(eps / static_cast<double>(l.classes));
    backend::cpu::parallel_for(l.count(), l.classes * 4, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t lane = b; lane < e; ++lane) {
            const std::int64_t o = lane / l.inner, k = lane % l.inner;
            const std::int64_t base = o * l.classes * l.inner + k;
            const T g = T(scale) * (gy ? gy[lane] : T(1));
            for (std::int64_t c = 0; c < l.classes; ++c) {
                const std::int64_t at = base + c * l.inner;
                dx[at] = g * (std::exp(x[at] - lse[lane]) - spread);
            }
            dx[base + target[lane] * l.inner] -= g * keep;
        }
    });
}

Tensor fused_cross_entropy(const Tensor& logits, const Tensor& idx, Reduction reduction,
                           double eps) {
    // logits: (N, C, d...), idx: (N, d...) int64 -> (N, d...) or ()
    Tensor x = logits.detach().contiguous();  // data only; the graph edge goes to logits
    const Shape& shape = x.shape();
    Lanes lanes{shape[0], shape[1], 1};
    for (int d = 2; d < shape.size(); ++d) lanes.inner *= shape[d];
    Tensor lse = Tensor::empty({lanes.count()}, x.dtype());
    Tensor losses = Tensor::empty(idx.shape(), x.dtype());
    Tensor out = dispatch(x.dtype(), "cross_entropy", [&](auto tag) {
        using T = decltype(tag);
        T* loss = losses.data<T>();
        fused_forward<T>(x.data<T>(), idx.data<std::int64_t>(), lanes, eps, lse.data<T>(), loss);
        if (reduction == Reduction::None) return losses;
        double total = 0;
        for (std::int64_t i = 0; i < lanes.count(); ++i) total += loss[i];
        if (reduction == Reduction::Mean) total /= static_cast<double>(lanes.count());
        return scalar_tensor(total, x.dtype());
    });
    return record(
        "CrossEntropyBackward", out, {logits},
        [logits, x, idx, lse, lanes, eps, reduction](const Tensor& gy) {
            const double scale =
                reduction == Reduction::Mean ? 1.0 / static_cast<double>(lanes.count()) : 1.0;
            if (autograd::grad_enabled()) {
                // A double backward is being recorded: the same formula from ops.
                Tensor p =
                    sub(softmax(logits, 1), class_distribution(idx, x.shape(), x.dtype(), eps));
                Tensor g = reduction == Reduction::None ? gy.unsqueeze(1) : gy;
                return Grads{mul(p, mul(g, scale))};
            }
            Tensor dx = Tensor::empty(x.shape(), x.dtype());
            dispatch(x.dtype(), "cross_entropy", [&](auto tag) {
                using T = decltype(tag);
                const bool scalar = reduction != Reduction::None;
                Tensor g = scalar || gy.is_contiguous() ? gy : gy.contiguous();
                const double s = scalar ? scale * g.item<double>() : 1.0;
                fused_backward<T>(x.data<T>(), idx.data<std::int64_t>(), lse.data<T>(),
                                  scalar ? nullptr : g.data<T>(), s, lanes, eps, dx.data<T>());
            });
            return Grads{dx};
        });
}

}  // namespace

Tensor cross_entropy_loss(const Tensor& logits, const Tensor& target, Reduction reduction,
                          double label_smoothing) {
    constexpr const char* op = "cross_entropy";
    check_logits(logits, target, op);
    check(target.dtype() == kInt64, op, ": class-index target must be int64, got ", target.dtype());
    check(label_smoothing >= 0 && label_smoothing <= 1, op,
          ": label_smoothing must lie in [0, 1], got ", label_smoothing);
    return fused_cross_entropy(logits, checked_classes(logits, target, op), reduction,
                               label_smoothing);
}

Tensor cross_entropy_loss_reference(const Tensor& logits, const Tensor& target, Reduction reduction,
                                    double eps) {
    check_logits(logits, target, "cross_entropy");
    Tensor idx = checked_classes(logits, target, "cross_entropy");
    Tensor logp = log_softmax(logits, 1);
    Tensor nll = neg(gather(logp, 1, idx.unsqueeze(1)).squeeze(1));  // (N, d...)
    if (eps == 0) return reduce_loss(nll, reduction);
    Tensor smooth = div(neg(sum(logp, {1})), static_cast<double>(logits.shape()[1]));
    return reduce_loss(add(mul(nll, 1.0 - eps), mul(smooth, eps)), reduction);
}

}  // namespace soma
