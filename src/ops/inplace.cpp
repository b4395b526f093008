// In-place updates for optimisers and initialisers. They bypass autograd, so they are refused
// on leaves that require grad while grad mode is on (wrap the update in NoGrad, as optimisers do).
// Each bumps the storage's version counter, so that a backward reading a tensor changed since
// it was saved raises instead of computing wrong gradients (autograd.h, "Saved tensors").

#include "backend/cpu/copy.h"
#include "ops/kernels.h"
#include "soma/ops.h"

namespace soma {
namespace {

void check_writable(const Tensor& t, const char* op) {
    ops_detail::check_defined(t, op);
    check(!(autograd::grad_enabled() && t.requires_grad()), op,
          ": in-place update of a tensor that requires grad; wrap it in soma::NoGrad");
}

// Counts the write once every argument check has passed, before the data changes (so even a
// write that fails half-way marks saved copies as stale).
void bump_version(const Tensor& t) { t.impl()->storage->bump_version(); }

}  // namespace

Tensor& Tensor::fill_(double value) {
    check_writable(*this, "fill_");
    bump_version(*this);
    dispatch_all(dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T v = static_cast<T>(value);
        backend::cpu::Loop<1> loop(shape(), {strides()}, {sizeof(T)});
        loop.parallel_run({static_cast<char*>(raw_data())},
                          [v](const std::array<char*, 1>& p, std::int64_t n,
                              const std::array<std::int64_t, 1>& s) {
                              for (std::int64_t i = 0; i < n; ++i)
                                  *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
                          });
    });
    return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::copy_(const Tensor& src) {
    check_writable(*this, "copy_");
    ops_detail::check_defined(src, "copy_");
    bump_version(*this);
    backend::cpu::copy_into(*this, src);
    return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
    check_writable(*this, "add_");
    ops_detail::check_same_dtype(*this, other, "add_");
    bump_version(*this);
    dispatch(dtype(), "add_", [&](auto tag) {
        using T = decltype(tag);
        const T a = static_cast<T>(alpha);
        backend::cpu::apply_inplace<T>(*this, other, "add_", [a](T x, T y) { return x + a * y; });
    });
    return *this;
}

Tensor& Tensor::mul_(double value) {
    check_writable(*this, "mul_");
    bump_version(*this);
    dispatch(dtype(), "mul_", [&](auto tag) {
        using T = decltype(tag);
        const T v = static_cast<T>(value);
        backend::cpu::apply_inplace<T>(*this, [v](T x) { return x * v; });
    });
    return *this;
}

}  // namespace soma
