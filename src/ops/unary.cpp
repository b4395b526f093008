// Element-wise functions of one tensor. Activations that save their output for backward keep
// it detached (no cycle through their own node) and, when a double backward needs the graph,
// recompute it from the input.

#include <cmath>

#include "backend/cpu/fast_math.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;
using namespace ops_detail;

namespace {

// The saved output, differentiable again when a double backward is being recorded. That
// depends on the input x, not on gy: the seed of a first derivative is usually a constant.
template <class Recompute>
Tensor saved_output(const Tensor& y_detached, const Tensor& x, Recompute recompute) {
    return autograd::grad_enabled() && x.requires_grad() ? recompute() : y_detached;
}

}  // namespace

Tensor exp(const Tensor& x) {
    Tensor y = unary_kernel(x, "exp", [](auto v) { return std::exp(v); });
    return record("ExpBackward", y, {x}, [x, y = y.detach()](const Tensor& gy) {
        return Grads{mul(gy, saved_output(y, x, [&] { return exp(x); }))};
    });
}

Tensor log(const Tensor& x) {
    Tensor y = unary_kernel(x, "log", [](auto v) { return std::log(v); });
    return record("LogBackward", y, {x}, [x](const Tensor& gy) { return Grads{div(gy, x)}; });
}

Tensor sqrt(const Tensor& x) {
    Tensor y = unary_kernel(x, "sqrt", [](auto v) { return std::sqrt(v); });
    return record("SqrtBackward", y, {x}, [x, y = y.detach()](const Tensor& gy) {
        return Grads{div(gy, mul(saved_output(y, x, [&] { return sqrt(x); }), 2.0))};
    });
}

Tensor abs(const Tensor& x) {
    Tensor y = unary_kernel(x, "abs", [](auto v) { return std::abs(v); });
    return record("AbsBackward", y, {x}, [x](const Tensor& gy) { return Grads{mul(gy, sign(x))}; });
}

Tensor sign(const Tensor& x) {
    // Zero gradient everywhere: nothing is recorded.
    return unary_kernel(x, "sign",
                        [](auto v) { return static_cast<decltype(v)>((v > 0) - (v < 0)); });
}

Tensor clamp(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
    check_defined(x, "clamp");
    if (lo && hi) check(*lo <= *hi, "clamp: min ", *lo, " is greater than max ", *hi);
    const double l = lo.value_or(-INFINITY), h = hi.value_or(INFINITY);
    Tensor y = unary_kernel(x, "clamp", [l, h](auto v) {
        using T = decltype(v);
        return v < T(l) ? T(l) : (v > T(h) ? T(h) : v);
    });
    return record("ClampBackward", y, {x}, [x, l, h](const Tensor& gy) {
        // Gradient passes where the input lies inside [min, max] (ends included, like torch).
        Tensor inside = unary_kernel(x, "clamp", [l, h](auto v) {
            using T = decltype(v);
            return T(v >= T(l) && v <= T(h));
        });
        return Grads{mul(gy, inside)};
    });
}

Tensor sigmoid(const Tensor& x) {
    Tensor y = unary_kernel(x, "sigmoid", [](auto v) {
        using T = decltype(v);
        // e^-|v| never overflows; both forms are computed and one selected, which keeps the
        // loop vectorised (fast_exp for float).
        const T e = backend::cpu::fast_exp(-std::abs(v));
        return v >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
    });
    return record("SigmoidBackward", y, {x}, [x, y = y.detach()](const Tensor& gy) {
        Tensor s = saved_output(y, x, [&] { return sigmoid(x); });
        return Grads{mul(gy, mul(s, sub(1.0, s)))};  // sigma' = sigma (1 - sigma)
    });
}

Tensor tanh(const Tensor& x) {
    // float: the vectorisable formula of the recurrent kernels (within a few ulp of libm's,
    // which GCC cannot vectorise and which was a fifth of an additive-attention step).
    Tensor y = unary_kernel(x, "tanh", [](auto v) { return backend::cpu::fast_tanh(v); });
    return record("TanhBackward", y, {x}, [x, y = y.detach()](const Tensor& gy) {
        Tensor t = saved_output(y, x, [&] { return tanh(x); });
        return Grads{mul(gy, sub(1.0, mul(t, t)))};  // tanh' = 1 - tanh^2
    });
}

namespace {

// gy where x > 0, else 0 (derivative 0 at 0, like torch): one pass instead of building the
// step mask and multiplying, since every ReLU network runs this on each backward. Recorded
// itself so double backward works: it is linear in gy with the same mask. Written as
// "x <= 0 gives 0" so that a NaN input passes its gradient on, as torch's threshold_backward.
Tensor relu_backward(const Tensor& gy, const Tensor& x) {
    Tensor out = binary_kernel(gy, x, "relu_backward",
                               [](auto g, auto v) { return v <= 0 ? decltype(g)(0) : g; });
    return record("ReluBackwardBackward", out, {gy},
                  [x](const Tensor& gg) { return Grads{relu_backward(gg, x)}; });
}

}  // namespace

Tensor relu(const Tensor& x) {
    // "v <= 0 gives 0" rather than "v > 0 keeps v": every comparison with NaN is false, so NaN
    // propagates (like torch) instead of becoming 0 and hiding a diverged input. The same one
    // compare-and-blend, so the loop vectorises as before.
    Tensor y = unary_kernel(x, "relu", [](auto v) { return v <= 0 ? decltype(v)(0) : v; });
    return record("ReluBackward", y, {x},
                  [x](const Tensor& gy) { return Grads{relu_backward(gy, x)}; });
}

Tensor leaky_relu(const Tensor& x, double slope) {
    Tensor y = unary_kernel(x, "leaky_relu", [slope](auto v) {
        using T = decltype(v);
        return v > 0 ? v : v * T(slope);
    });
    return record("LeakyReluBackward", y, {x}, [x, slope](const Tensor& gy) {
        Tensor d = unary_kernel(x, "leaky_relu", [slope](auto v) {
            using T = decltype(v);
            return v > 0 ? T(1) : T(slope);
        });
        return Grads{mul(gy, d)};
    });
}

Tensor heaviside(const Tensor& x, double at_zero) {
    return unary_kernel(x, "heaviside", [at_zero](auto v) {
        using T = decltype(v);
        return v > 0 ? T(1) : (v == 0 ? T(at_zero) : (v != v ? v : T(0)));  // NaN stays NaN
    });
}

Tensor step(const Tensor& x) { return heaviside(x, 1.0); }

}  // namespace soma
