// gelu, exact (x Phi(x), Phi the standard normal CDF through erf) and in its tanh approximation
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Neither form is a composition of soma's
// primitives (there is no erf op), so the first and second derivatives are kernels too: the
// backward multiplies gy by gelu'(x) through a recorded op whose own backward uses gelu''(x).
// That makes gelu differentiable twice; a third derivative would see gelu'' as a constant.

#include <cmath>
#include <numbers>

#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::record;
using ops_detail::unary_kernel;

namespace {

constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kCubic = 0.044715;
const double kInvSqrt2Pi = 1.0 / std::sqrt(2.0 * std::numbers::pi);  // the normal density's

// Phi(v) and phi(v), the standard normal CDF and density.
template <class T>
T normal_cdf(T v) {
    return T(0.5) * (T(1) + std::erf(v * T(std::numbers::sqrt2 / 2)));
}
template <class T>
T normal_pdf(T v) {
    return T(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
}

// order 0: gelu, 1: gelu', 2: gelu''. With u = c (v + a v^3) and t = tanh(u):
//   tanh form  y = 0.5 v (1 + t),  y' = 0.5 (1 + t) + 0.5 v (1 - t^2) u',
//              y'' = (1 - t^2) (u' + 0.5 v (u'' - 2 t u'^2)),  u' = c (1 + 3 a v^2), u'' = 6 c a v;
//   exact      y = v Phi,  y' = Phi + v phi,  y'' = phi (2 - v^2).
Tensor gelu_kernel(const Tensor& x, bool tanh_form, int order) {
    return unary_kernel(x, "gelu", [tanh_form, order](auto v) {
        using T = decltype(v);
        if (!tanh_form) {
            if (order == 0) return v * normal_cdf(v);
            if (order == 1) return normal_cdf(v) + v * normal_pdf(v);
            return normal_pdf(v) * (T(2) - v * v);
        }
        const T c = T(kSqrt2OverPi), a = T(kCubic);
        const T t = std::tanh(c * (v + a * v * v * v));
        if (order == 0) return T(0.5) * v * (T(1) + t);
        const T du = c * (T(1) + T(3) * a * v * v), sech2 = T(1) - t * t;
        if (order == 1) return T(0.5) * (T(1) + t) + T(0.5) * v * sech2 * du;
        return sech2 * (du + T(0.5) * v * (T(6) * c * a * v - T(2) * t * du * du));
    });
}

// gy * gelu'(x), differentiable in gy and x (the latter through gelu'').
Tensor gelu_backward(const Tensor& gy, const Tensor& x, bool tanh_form) {
    Tensor d1 = gelu_kernel(x.detach(), tanh_form, 1);
    Tensor gx = mul(gy.detach(), d1);  // the edges to gy and x are recorded below
    return record(
        "GeluBackwardBackward", gx, {gy, x},
        [gy = gy.detach(), x, d1, tanh_form](const Tensor& gg, const autograd::NeedsGrad& needs) {
            Grads g(2);
            if (needs[0]) g[0] = mul(gg, d1);
            if (needs[1]) g[1] = mul(mul(gg, gy), gelu_kernel(x.detach(), tanh_form, 2));
            return g;
        });
}

}  // namespace

Tensor gelu(const Tensor& x, const std::string& approximate) {
    check(approximate == "none" || approximate == "tanh", "gelu: approximate must be \"none\" or ",
          "\"tanh\", got \"", approximate, "\"");
    const bool tanh_form = approximate == "tanh";
    Tensor y = gelu_kernel(x, tanh_form, 0);
    return record("GeluBackward", y, {x}, [x, tanh_form](const Tensor& gy) {
        return Grads{gelu_backward(gy, x, tanh_form)};
    });
}

}  // namespace soma
