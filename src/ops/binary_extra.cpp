// pow, maximum/minimum, comparisons and where. Gradients follow PyTorch, including its choices
// at the corners (0^0, ties between maximum's operands).

#include <cmath>
#include <functional>

#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {

using autograd::Grads;
using autograd::NeedsGrad;
using autograd::record;
using namespace ops_detail;

namespace {

Tensor zero_like_scalar(const Tensor& t) { return scalar_tensor(0.0, t.dtype()); }

// The op's saved output, or the output recomputed when a double backward needs its graph.
template <class Recompute>
Tensor output_for_backward(const Tensor& y_detached, Recompute recompute) {
    return autograd::grad_enabled() ? recompute() : y_detached;
}

// Propagates NaN from either side, like torch.maximum / torch.minimum.
template <bool IsMax>
auto pick = [](auto x, auto y) {
    if (x != x) return x;
    if (y != y) return y;
    return (IsMax ? x > y : x < y) ? x : y;
};

// The share of the gradient each operand gets: all for the winner, half on a tie, and (for
// NaN, where neither comparison holds) all for both, as in torch.
template <bool IsMax>
auto share_first = [](auto x, auto y) {
    using T = decltype(x);
    return x == y ? T(0.5) : ((IsMax ? x < y : x > y) ? T(0) : T(1));
};

template <bool IsMax>
Tensor extreme_pair(const Tensor& a, const Tensor& b, const char* op, const char* node) {
    Tensor out = binary_kernel(a, b, op, pick<IsMax>);
    return record(node, out, {a, b}, [a, b, op](const Tensor& gy, const NeedsGrad& n) {
        Tensor ga, gb;
        if (n[0]) ga = mul(gy, binary_kernel(a, b, op, share_first<IsMax>));
        if (n[1]) gb = mul(gy, binary_kernel(b, a, op, share_first<IsMax>));
        return Grads{ga, gb};
    });
}

// Comparisons record nothing: their gradient is zero almost everywhere.
template <class Pred>
Tensor compare(const Tensor& a, const Tensor& b, const char* op, Pred p) {
    return binary_kernel(a, b, op, [p](auto x, auto y) { return decltype(x)(p(x, y)); });
}

// The scalar is rounded to the tensor's dtype first, as torch does.
template <class Pred>
Tensor compare(const Tensor& a, double s, const char* op, Pred p) {
    return unary_kernel(a, op, [p, s](auto x) { return decltype(x)(p(x, decltype(x)(s))); });
}

}  // namespace

Tensor pow(const Tensor& a, const Tensor& b) {
    Tensor out = binary_kernel(a, b, "pow", [](auto x, auto y) { return std::pow(x, y); });
    return record("PowBackward", out, {a, b},
                  [a, b, y = out.detach()](const Tensor& gy, const NeedsGrad& n) {
                      Tensor ga, gb;
                      Tensor zero = zero_like_scalar(gy);
                      // b a^(b-1), taken as 0 where b == 0 (so 0^0 has no NaN gradient).
                      if (n[0]) ga = where(eq(b, 0.0), zero, mul(gy, mul(b, pow(a, sub(b, 1.0)))));
                      // a^b log(a), taken as 0 where a == 0 and b >= 0 (the limit).
                      if (n[1]) {
                          Tensor r = output_for_backward(y, [&] { return pow(a, b); });
                          gb = where(mul(eq(a, 0.0), ge(b, 0.0)), zero, mul(gy, mul(r, log(a))));
                      }
                      return Grads{ga, gb};
                  });
}

Tensor pow(const Tensor& a, double e) {
    check_defined(a, "pow");
    Tensor out;
    if (e == 2.0)
        out = unary_kernel(a, "pow", [](auto x) { return x * x; });
    else if (e == 0.5)
        out = unary_kernel(a, "pow", [](auto x) { return std::sqrt(x); });
    else
        out = unary_kernel(a, "pow", [e](auto x) { return std::pow(x, decltype(x)(e)); });
    return record("PowBackward", out, {a}, [a, e](const Tensor& gy) {
        if (e == 0.0) return Grads{zeros_like(gy)};
        if (e == 2.0) return Grads{mul(gy, mul(a, 2.0))};
        return Grads{mul(gy, mul(pow(a, e - 1.0), e))};
    });
}

Tensor pow(double base, const Tensor& e) {
    Tensor out = unary_kernel(e, "pow", [base](auto y) { return std::pow(decltype(y)(base), y); });
    return record("PowBackward", out, {e}, [base, e, y = out.detach()](const Tensor& gy) {
        Tensor r = output_for_backward(y, [&] { return pow(base, e); });
        Tensor g = mul(mul(gy, r), std::log(base));
        // 0^e is constant 0 for e > 0, and torch also takes the gradient at e == 0 as 0.
        if (base == 0.0) g = where(ge(e, 0.0), zero_like_scalar(gy), g);
        return Grads{g};
    });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
    return extreme_pair<true>(a, b, "maximum", "MaximumBackward");
}

Tensor minimum(const Tensor& a, const Tensor& b) {
    return extreme_pair<false>(a, b, "minimum", "MinimumBackward");
}

Tensor eq(const Tensor& a, const Tensor& b) { return compare(a, b, "eq", std::equal_to<>{}); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare(a, b, "ne", std::not_equal_to<>{}); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(a, b, "lt", std::less<>{}); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(a, b, "le", std::less_equal<>{}); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare(a, b, "gt", std::greater<>{}); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(a, b, "ge", std::greater_equal<>{}); }
Tensor eq(const Tensor& a, double b) { return compare(a, b, "eq", std::equal_to<>{}); }
Tensor ne(const Tensor& a, double b) { return compare(a, b, "ne", std::not_equal_to<>{}); }
Tensor lt(const Tensor& a, double b) { return compare(a, b, "lt", std::less<>{}); }
Tensor le(const Tensor& a, double b) { return compare(a, b, "le", std::less_equal<>{}); }
Tensor gt(const Tensor& a, double b) { return compare(a, b, "gt", std::greater<>{}); }
Tensor ge(const Tensor& a, double b) { return compare(a, b, "ge", std::greater_equal<>{}); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    check_defined(cond, "where");
    check_same_dtype(a, b, "where");
    check(is_floating(cond.dtype()), "where: the condition must be a floating 0/1 tensor, got ",
          cond.dtype());
    // The condition may be of the other floating dtype; the kernel wants one element type.
    Tensor c = cond.dtype() == a.dtype() ? cond.detach() : cond.detach().to(a.dtype());
    Tensor out =
        ternary_kernel(c, a, b, "where", [](auto k, auto x, auto y) { return k != 0 ? x : y; });
    // No gradient reaches the condition, so it is not an input of the node.
    return record("WhereBackward", out, {a, b}, [c](const Tensor& gy, const NeedsGrad& n) {
        Tensor zero = zero_like_scalar(gy);
        return Grads{n[0] ? where(c, gy, zero) : Tensor(), n[1] ? where(c, zero, gy) : Tensor()};
    });
}

}  // namespace soma
