// Module::to(DType): converting a model's parameters and buffers between float32 and float64.

#include <string>

#include "soma/error.h"
#include "soma/nn/module.h"

namespace soma::nn {

namespace {

// Walks the whole tree and converts each floating tensor under its handle. A tensor reached
// twice (a module shared between containers) is one TensorImpl: the second visit finds it
// already converted, so tied weights stay tied.
class DTypeConverter final : public Visitor {
public:
    explicit DTypeConverter(DType dtype) : dtype_(dtype) {}
    void param(const std::string&, Tensor& t) override { convert(t); }
    void buffer(const std::string&, Tensor& t) override { convert(t); }
    void module(const std::string&, Module& m) override { m.visit(*this); }

private:
    void convert(Tensor& t) const {
        if (!t.defined() || !is_floating(t.dtype()) || t.dtype() == dtype_) return;
        // Swap the data inside the TensorImpl rather than assigning a new handle: whoever
        // holds the tensor (another module, a caller's list of parameters) sees the new dtype,
        // as PyTorch's module.to() replaces param.data. requires_grad and the (absent) grad_fn
        // of a leaf stay as they are.
        const Tensor converted = t.detach().to(dtype_).contiguous();
        TensorImpl& impl = *t.impl();
        impl.storage = converted.impl()->storage;
        impl.strides = converted.strides();
        impl.offset = converted.offset();
        impl.dtype = dtype_;
        impl.grad.reset();  // a gradient of the old dtype could not be accumulated into
    }
    DType dtype_;
};

}  // namespace

Module& Module::to(DType dtype) {
    check(is_floating(dtype), type_name(), ".to(", dtype_name(dtype),
          "): modules convert to float32 or float64 only");
    DTypeConverter converter(dtype);
    visit(converter);
    return *this;
}

}  // namespace soma::nn
