// cross_entropy_loss. Class-index cross-entropy is on every classifier's training step, so it
// runs as one fused kernel: per sample a max, a sum of exponentials and the picked logit in one
// pass over the row, and a backward that writes softmax - one-hot directly (scaled by the class
// weights, zero for ignored targets). The composed
// version (log_softmax + gather) stays beside it as the reference the tests compare against.
// nn::cross_entropy (nn/loss_cross_entropy.cpp) checks the arguments and calls it.

#include <cmath>

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

Tensor checked_classes(const Tensor& logits, const Tensor& target, const char* op,
                       std::optional<std::int64_t> ignore_index) {
    const std::int64_t classes = logits.shape()[1];
    check(target.shape() == sample_shape(logits.shape()), op, ": class-index target ",
          target.shape(), " does not match logits ", logits.shape(), " (expected ",
          sample_shape(logits.shape()), ")");
    Tensor idx = target.is_contiguous() ? target : target.contiguous();
    const std::int64_t* p = idx.data<std::int64_t>();
    for (std::int64_t i = 0; i < idx.numel(); ++i)
        if ((p[i] < 0 || p[i] >= classes) && p[i] != ignore_index)
            fail(op, ": target class ", p[i], " is out of range for ", classes, " classes (0 to ",
                 classes - 1, ")");
    return idx;
}

void check_class_weight(const Tensor& weight, const Tensor& logits, const char* op) {
    if (!weight.defined()) return;
    check(weight.dim() == 1 && weight.shape()[0] == logits.shape()[1], op, ": weight of shape ",
          weight.shape(), " does not match the ", logits.shape()[1], " classes of the input ",
          logits.shape(), " (expected (", logits.shape()[1], ",))");
    check(weight.dtype() == logits.dtype(), op, ": weight is ", weight.dtype(),
          " but the input is ", logits.dtype());
}

void check_logits(const Tensor& logits, const Tensor& target, const char* op) {
    check(logits.defined() && target.defined(), op, ": undefined ",
          logits.defined() ? "target" : "input");
    check(is_floating(logits.dtype()), op, ": input must be floating, got ", logits.dtype());
    check(logits.dim() >= 2, op, ": input must be (N, C) or (N, C, d1, ...), got ", logits.shape());
    check(logits.shape()[1] > 0, op, ": input ", logits.shape(), " has no classes");
}

Tensor weighted_nll(const Tensor& logp, const Tensor& idx, Reduction reduction, double eps,
                    const Tensor& weight, std::int64_t ignore_index) {
    // Ignored targets are replaced by class 0 for the gather, and their terms zeroed by `keep`.
    std::vector<std::int64_t> safe(idx.numel());
    std::vector<double> keep(idx.numel());
    const std::int64_t* p = idx.data<std::int64_t>();
    for (std::size_t i = 0; i < safe.size(); ++i) {
        keep[i] = p[i] != ignore_index;
        safe[i] = keep[i] != 0 ? p[i] : 0;
    }
    Tensor s = from_vector(safe, idx.shape());
    Tensor kept = from_vector(keep, idx.shape(), logp.dtype());
    Tensor nll = neg(gather(logp, 1, s.unsqueeze(1)).squeeze(1));  // (N, d...)
    // w[t] per sample, 0 where ignored: (N, d...)
    Tensor wt = weight.defined()
                    ? mul(index_select(weight, 0, s.reshape({-1})).reshape(s.shape()), kept)
                    : kept;
    Tensor losses = mul(nll, wt);
    if (eps != 0) {
        Shape per_class;  // (1, C, 1, ...): the weight along the class dimension
        per_class.resize(logp.dim(), 1);
        per_class[1] = logp.shape()[1];
        Tensor wl = weight.defined() ? mul(logp, weight.reshape(per_class)) : logp;
        Tensor smooth = mul(neg(sum(wl, {1})), kept);
        losses = add(mul(losses, 1.0 - eps), mul(smooth, eps / static_cast<double>(per_class[1])));
    }
    if (reduction == Reduction::Mean) return div(sum(losses), sum(wt));
    return reduce_loss(losses, reduction);
}

}  // namespace ops_detail

namespace {

using ops_detail::check_class_weight;
using ops_detail::check_logits;
using ops_detail::checked_classes;

// Logits (N, C, d...) are walked as (outer = N, C, inner = d1*...); one lane per sample.
struct Lanes {
    std::int64_t outer, classes, inner;
    std::int64_t count() const { return outer * inner; }
};

// What a lane's loss and gradient need besides its logits. With w = 1 for every class when
// there is no weight: loss = (1 - eps) w_t (lse - x_t) + eps/C sum_c w_c (lse - x_c) and
// dx_c = g (coef p_c - eps/C w_c - [c == t] (1 - eps) w_t), coef = (1 - eps) w_t + eps/C W.
// The weights are always a table (ones without weight): a load in the class loop instead of a
// branch on whether there is a weight.
template <class T>
struct Terms {
    const std::int64_t* target;
    std::vector<T> w;  // (C)
    T keep, spread, total_w;
    std::int64_t ignore;
    T weight_of(std::int64_t c) const { return w[c]; }
};

template <class T>
Terms<T> make_terms(const Tensor& idx, const std::vector<double>& w, double eps,
                    std::int64_t ignore) {
    Terms<T> tm{idx.data<std::int64_t>(),
                std::vector<T>(w.begin(), w.end()),
                T(1 - eps),
                T(eps / static_cast<double>(w.size())),
                T(0),
                ignore};
    for (double v : w) tm.total_w += T(v);
    return tm;
}

template <class T>
void fused_forward(const T* x, const Terms<T>& tm, Lanes l, T* lse, T* loss) {
    backend::cpu::parallel_for(l.count(), l.classes * 4, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t lane = b; lane < e; ++lane) {
            const std::int64_t t = tm.target[lane];
            if (t == tm.ignore) {
                lse[lane] = 0;
                loss[lane] = 0;
                continue;
            }
            const std::int64_t o = lane / l.inner, k = lane % l.inner;
            const T* row = x + o * l.classes * l.inner + k;
            T m = row[0];
            for (std::int64_t c = 1; c < l.classes; ++c) m = std::max(m, row[c * l.inner]);
            T s = 0, weighted = 0;  // sum of exp(x_c - m), sum of w_c x_c
            for (std::int64_t c = 0; c < l.classes; ++c) {
                s += std::exp(row[c * l.inner] - m);
                weighted += tm.weight_of(c) * row[c * l.inner];
            }
            const T log_z = m + std::log(s);
            lse[lane] = log_z;
            loss[lane] = tm.keep * tm.weight_of(t) * (log_z - row[t * l.inner]) +
                         tm.spread * (tm.total_w * log_z - weighted);
        }
    });
}

// g_lane = scale * (gy ? gy[lane] : 1); ignored lanes get zeros.
template <class T>
void fused_backward(const T* x, const Terms<T>& tm, const T* lse, const T* gy, double scale,
                    Lanes l, T* dx) {
    backend::cpu::parallel_for(l.count(), l.classes * 4, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t lane = b; lane < e; ++lane) {
            const std::int64_t o = lane / l.inner, k = lane % l.inner;
            const std::int64_t base = o * l.classes * l.inner + k;
            const std::int64_t t = tm.target[lane];
            if (t == tm.ignore) {
                for (std::int64_t c = 0; c < l.classes; ++c) dx[base + c * l.inner] = 0;
                continue;
            }
            const T g = T(scale) * (gy ? gy[lane] : T(1));
            const T wt = tm.keep * tm.weight_of(t), coef = wt + tm.spread * tm.total_w;
            for (std::int64_t c = 0; c < l.classes; ++c) {
                const std::int64_t at = base + c * l.inner;
                dx[at] = g * (coef * std::exp(x[at] - lse[lane]) - tm.spread * tm.weight_of(c));
            }
            dx[base + t * l.inner] -= g * wt;
        }
    });
}

// The backward's constants as tensors, for a double backward composed from ops:
// coef (N, 1, d...) and the target distribution dist (N, C, d...), both 0 on ignored lanes.
void composed_terms(const Tensor& idx, const Shape& shape, const std::vector<double>& w, Lanes l,
                    double eps, std::int64_t ignore, DType dtype, Tensor& coef, Tensor& dist) {
    const double spread = eps / static_cast<double>(l.classes);
    double total_w = 0;
    for (double v : w) total_w += v;
    std::vector<double> cv(l.count(), 0.0), dv(l.count() * l.classes, 0.0);
    const std::int64_t* t = idx.data<std::int64_t>();
    for (std::int64_t lane = 0; lane < l.count(); ++lane) {
        if (t[lane] == ignore) continue;
        const std::int64_t base = (lane / l.inner) * l.classes * l.inner + lane % l.inner;
        const double wt = (1 - eps) * w[t[lane]];
        cv[lane] = wt + spread * total_w;
        for (std::int64_t c = 0; c < l.classes; ++c) dv[base + c * l.inner] = spread * w[c];
        dv[base + t[lane] * l.inner] += wt;
    }
    Shape cs = shape;
    cs[1] = 1;
    coef = from_vector(cv, cs, dtype);
    dist = from_vector(dv, shape, dtype);
}

Tensor fused_cross_entropy(const Tensor& logits, const Tensor& idx, Reduction reduction, double eps,
                           const Tensor& weight, std::int64_t ignore) {
    // logits: (N, C, d...), idx: (N, d...) int64 -> (N, d...) or ()
    Tensor x = logits.detach().contiguous();  // data only; the graph edge goes to logits
    const Shape& shape = x.shape();
    Lanes lanes{shape[0], shape[1], 1};
    for (int d = 2; d < shape.size(); ++d) lanes.inner *= shape[d];
    const std::vector<double> w =
        weight.defined() ? weight.to_vector<double>() : std::vector<double>(lanes.classes, 1.0);
    // Mean divides by the summed weight of the counted targets (their number without weight).
    double denom = 0;
    const std::int64_t* t = idx.data<std::int64_t>();
    for (std::int64_t lane = 0; lane < lanes.count(); ++lane)
        if (t[lane] != ignore) denom += w[t[lane]];
    const double scale = reduction == Reduction::Mean ? 1.0 / denom : 1.0;
    Tensor lse = Tensor::empty({lanes.count()}, x.dtype());
    Tensor losses = Tensor::empty(idx.shape(), x.dtype());
    Tensor out = dispatch(x.dtype(), "cross_entropy", [&](auto tag) {
        using T = decltype(tag);
        T* loss = losses.data<T>();
        fused_forward<T>(x.data<T>(), make_terms<T>(idx, w, eps, ignore), lanes, lse.data<T>(),
                         loss);
        if (reduction == Reduction::None) return losses;
        double total = 0;
        for (std::int64_t i = 0; i < lanes.count(); ++i) total += loss[i];
        return scalar_tensor(total * scale, x.dtype());  // 0/0 = NaN when all are ignored
    });
    return record(
        "CrossEntropyBackward", out, {logits},
        [logits, x, idx, w, lse, lanes, eps, ignore, scale, reduction](const Tensor& gy) {
            Tensor g = reduction == Reduction::None && !gy.is_contiguous() ? gy.contiguous() : gy;
            if (autograd::grad_enabled()) {
                // A double backward is being recorded: the same formula from ops.
                Tensor coef, dist;
                composed_terms(idx, x.shape(), w, lanes, eps, ignore, x.dtype(), coef, dist);
                Tensor p = sub(mul(softmax(logits, 1), coef), dist);
                return Grads{mul(p, mul(reduction == Reduction::None ? g.unsqueeze(1) : g, scale))};
            }
            Tensor dx = Tensor::empty(x.shape(), x.dtype());
            dispatch(x.dtype(), "cross_entropy", [&](auto tag) {
                using T = decltype(tag);
                const bool scalar = reduction != Reduction::None;
                const double s = scalar ? scale * g.item<double>() : 1.0;
                fused_backward<T>(x.data<T>(), make_terms<T>(idx, w, eps, ignore), lse.data<T>(),
                                  scalar ? nullptr : g.data<T>(), s, lanes, dx.data<T>());
            });
            return Grads{dx};
        });
}

void check_args(const Tensor& logits, const Tensor& target, double label_smoothing,
                const Tensor& weight, const char* op) {
    check_logits(logits, target, op);
    check(target.dtype() == kInt64, op, ": class-index target must be int64, got ", target.dtype());
    check(label_smoothing >= 0 && label_smoothing <= 1, op,
          ": label_smoothing must lie in [0, 1], got ", label_smoothing);
    check_class_weight(weight, logits, op);
}

}  // namespace

Tensor cross_entropy_loss(const Tensor& logits, const Tensor& target, Reduction reduction,
                          double label_smoothing, const Tensor& weight, std::int64_t ignore_index) {
    constexpr const char* op = "cross_entropy";
    check_args(logits, target, label_smoothing, weight, op);
    return fused_cross_entropy(logits, checked_classes(logits, target, op, ignore_index), reduction,
                               label_smoothing, weight, ignore_index);
}

Tensor cross_entropy_loss_reference(const Tensor& logits, const Tensor& target, Reduction reduction,
                                    double eps, const Tensor& weight, std::int64_t ignore_index) {
    constexpr const char* op = "cross_entropy";
    check_args(logits, target, eps, weight, op);
    Tensor idx = checked_classes(logits, target, op, ignore_index);
    return ops_detail::weighted_nll(log_softmax(logits, 1), idx, reduction, eps, weight,
                                    ignore_index);
}

}  // namespace soma
