// The four arithmetic operations and negation, with tensors or scalars on either side.

#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::kSavesInputs;
using autograd::kSavesNothing;
using autograd::record;
using namespace ops_detail;

Tensor add(const Tensor& a, const Tensor& b) {
    Tensor out = binary_kernel(a, b, "add", [](auto x, auto y) { return x + y; });
    // The engine sums each gradient back to its input's shape.
    return record(
        "AddBackward", out, {a, b},
        [](const Tensor& gy) {
            return Grads{gy, gy};
        },
        kSavesNothing);
}

Tensor add(const Tensor& a, double b) {
    Tensor out = unary_kernel(a, "add", [b](auto x) { return x + b; });
    return record(
        "AddBackward", out, {a}, [](const Tensor& gy) { return Grads{gy}; }, kSavesNothing);
}

Tensor sub(const Tensor& a, const Tensor& b) {
    Tensor out = binary_kernel(a, b, "sub", [](auto x, auto y) { return x - y; });
    return record(
        "SubBackward", out, {a, b},
        [](const Tensor& gy, const autograd::NeedsGrad& n) {
            return Grads{gy, n[1] ? neg(gy) : Tensor()};
        },
        kSavesNothing);
}

Tensor sub(const Tensor& a, double b) { return add(a, -b); }

Tensor sub(double a, const Tensor& b) {
    Tensor out = unary_kernel(b, "sub", [a](auto y) { return a - y; });
    return record(
        "RsubBackward", out, {b}, [](const Tensor& gy) { return Grads{neg(gy)}; }, kSavesNothing);
}

Tensor mul(const Tensor& a, const Tensor& b) {
    Tensor out = binary_kernel(a, b, "mul", [](auto x, auto y) { return x * y; });
    return record(
        "MulBackward", out, {a, b},
        [a, b](const Tensor& gy, const autograd::NeedsGrad& n) {
            return Grads{n[0] ? mul(gy, b) : Tensor(), n[1] ? mul(gy, a) : Tensor()};
        },
        kSavesInputs);
}

Tensor mul(const Tensor& a, double b) {
    Tensor out = unary_kernel(a, "mul", [b](auto x) { return x * b; });
    return record(
        "MulBackward", out, {a}, [b](const Tensor& gy) { return Grads{mul(gy, b)}; },
        kSavesNothing);
}

Tensor div(const Tensor& a, const Tensor& b) {
    Tensor out = binary_kernel(a, b, "div", [](auto x, auto y) { return x / y; });
    return record(
        "DivBackward", out, {a, b},
        [a, b](const Tensor& gy, const autograd::NeedsGrad& n) {
            // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2
            return Grads{n[0] ? div(gy, b) : Tensor(),
                         n[1] ? neg(div(mul(gy, a), mul(b, b))) : Tensor()};
        },
        kSavesInputs);
}

Tensor div(const Tensor& a, double b) { return mul(a, 1.0 / b); }

Tensor div(double a, const Tensor& b) {
    Tensor out = unary_kernel(b, "div", [a](auto y) { return a / y; });
    return record(
        "RdivBackward", out, {b},
        [a, b](const Tensor& gy) {
            return Grads{mul(div(gy, mul(b, b)), -a)};  // d(a/b)/db = -a/b^2
        },
        kSavesInputs);
}

Tensor neg(const Tensor& x) {
    Tensor out = unary_kernel(x, "neg", [](auto v) { return -v; });
    return record(
        "NegBackward", out, {x}, [](const Tensor& gy) { return Grads{neg(gy)}; }, kSavesNothing);
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return sub(a, b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace soma
