#include "soma/nn/conv.h"

#include <algorithm>
#include <cmath>

#include "ops/spatial_args.h"
#include "soma/nn/init.h"

namespace soma::nn {

namespace {

// PyTorch's recipe for convolutions of either direction: kaiming_uniform_ with a = sqrt(5) is
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias uses the same bound.
void reset_like_pytorch(Tensor& weight, Tensor& bias, Generator* gen) {
    init::kaiming_uniform_(weight, {.a = std::sqrt(5.0), .gen = gen});
    if (bias.defined()) {
        double fan_in = static_cast<double>(init::calculate_fan_in_and_fan_out(weight).first);
        init::uniform_(bias, -1.0 / std::sqrt(fan_in), 1.0 / std::sqrt(fan_in), gen);
    }
}

}  // namespace

ConvNd::ConvNd(int nd, const char* name, const ConvOptions& o)
    : nd_(nd), in_(o.in_channels), out_(o.out_channels), groups_(o.groups), padding_(o.padding) {
    check(in_ > 0 && out_ > 0, name, ": in_channels and out_channels must be positive, got ", in_,
          " and ", out_);
    check(groups_ > 0, name, ": groups must be positive, got ", groups_);
    check(in_ % groups_ == 0 && out_ % groups_ == 0, name, ": groups=", groups_,
          " must divide in_channels=", in_, " and out_channels=", out_);
    check(!o.kernel_size.empty(), name, ": kernel_size is required");
    kernel_ = ops_detail::expand_checked(o.kernel_size, nd, name, "kernel_size", 1);
    stride_ = ops_detail::expand_checked(o.stride, nd, name, "stride", 1);
    dilation_ = ops_detail::expand_checked(o.dilation, nd, name, "dilation", 1);
    if (padding_.same()) {
        for (std::int64_t s : stride_)
            check(s == 1, name, ": padding='same' needs stride 1, got stride ", o.stride.str());
    } else {
        padding_ = ops_detail::expand_checked(padding_.sizes(), nd, name, "padding", 0);
    }
    Shape shape{out_, in_ / groups_};
    for (std::int64_t k : kernel_) shape.push_back(k);
    weight = Tensor::empty(shape);
    if (o.bias) bias = Tensor::empty({out_});
    reset_parameters(o.gen);
    weight.requires_grad_();
    if (bias.defined()) bias.requires_grad_();
}

void ConvNd::reset_parameters(Generator* gen) { reset_like_pytorch(weight, bias, gen); }

Tensor ConvNd::forward(const Tensor& x) {
    const SpatialArg stride(stride_), dilation(dilation_);
    switch (nd_) {
        case 1:
            return conv1d(x, weight, bias, stride, padding_, dilation, groups_);
        case 2:
            return conv2d(x, weight, bias, stride, padding_, dilation, groups_);
        default:
            return conv3d(x, weight, bias, stride, padding_, dilation, groups_);
    }
}

namespace {

// A tuple as Python prints it: (3,) for one element, (3, 3) for two.
std::string tuple(const std::vector<std::int64_t>& v) {
    if (v.size() == 1) {
        std::string s = "(";  // appended piece by piece: "(" + ... trips GCC 12's -Wrestrict
        s += std::to_string(v[0]);
        return s += ",)";
    }
    return ops_detail::dims_str(v);
}

}  // namespace

std::string ConvNd::extra_repr() const {
    // The same fields and omissions as PyTorch's repr.
    std::string s = std::to_string(in_) + ", " + std::to_string(out_) +
                    ", kernel_size=" + tuple(kernel_) + ", stride=" + tuple(stride_);
    if (padding_.same()) {
        s += ", padding=same";
    } else {
        std::vector<std::int64_t> pad = padding_.sizes().values();
        if (std::any_of(pad.begin(), pad.end(), [](std::int64_t p) { return p != 0; }))
            s += ", padding=" + tuple(pad);
    }
    if (std::any_of(dilation_.begin(), dilation_.end(), [](std::int64_t d) { return d != 1; }))
        s += ", dilation=" + tuple(dilation_);
    if (groups_ != 1) s += ", groups=" + std::to_string(groups_);
    if (!bias.defined()) s += ", bias=False";
    return s;
}

ConvTransposeNd::ConvTransposeNd(int nd, const char* name, const ConvTransposeOptions& o)
    : nd_(nd), name_(name), in_(o.in_channels), out_(o.out_channels), groups_(o.groups) {
    check(in_ > 0 && out_ > 0, name, ": in_channels and out_channels must be positive, got ", in_,
          " and ", out_);
    check(groups_ > 0, name, ": groups must be positive, got ", groups_);
    check(in_ % groups_ == 0 && out_ % groups_ == 0, name, ": groups=", groups_,
          " must divide in_channels=", in_, " and out_channels=", out_);
    check(!o.kernel_size.empty(), name, ": kernel_size is required");
    kernel_ = ops_detail::expand_checked(o.kernel_size, nd, name, "kernel_size", 1);
    stride_ = ops_detail::expand_checked(o.stride, nd, name, "stride", 1);
    padding_ = ops_detail::expand_checked(o.padding, nd, name, "padding", 0);
    output_padding_ = ops_detail::expand_checked(o.output_padding, nd, name, "output_padding", 0);
    dilation_ = ops_detail::expand_checked(o.dilation, nd, name, "dilation", 1);
    for (int d = 0; d < nd; ++d)
        check(output_padding_[d] < stride_[d] || output_padding_[d] < dilation_[d], name,
              ": output_padding ", o.output_padding.str(), " must be smaller than the stride ",
              o.stride.str(), " or the dilation ", o.dilation.str(), " in every dimension");
    Shape shape{in_, out_ / groups_};
    for (std::int64_t k : kernel_) shape.push_back(k);
    weight = Tensor::empty(shape);
    if (o.bias) bias = Tensor::empty({out_});
    reset_parameters(o.gen);
    weight.requires_grad_();
    if (bias.defined()) bias.requires_grad_();
}

void ConvTransposeNd::reset_parameters(Generator* gen) {
    // As for Conv: the fan-in of a (in, out / groups, *k) weight is out / groups * prod(k),
    // which is what calculate_fan_in_and_fan_out reads from dims 1 and up.
    reset_like_pytorch(weight, bias, gen);
}

Tensor ConvTransposeNd::run(const Tensor& x,
                            const std::vector<std::int64_t>& output_padding) const {
    const SpatialArg stride(stride_), padding(padding_), out_pad(output_padding),
        dilation(dilation_);
    auto op = nd_ == 1 ? conv_transpose1d : nd_ == 2 ? conv_transpose2d : conv_transpose3d;
    return op(x, weight, bias, stride, padding, out_pad, groups_, dilation);
}

Tensor ConvTransposeNd::forward(const Tensor& x) { return run(x, output_padding_); }

Tensor ConvTransposeNd::forward(const Tensor& x, const std::vector<std::int64_t>& output_size) {
    check(x.defined(), name_, ": undefined tensor");
    check(x.dim() == nd_ + 1 || x.dim() == nd_ + 2, name_, ": expected a ", nd_ + 1,
          "-D (unbatched) or ", nd_ + 2, "-D (batched) input, got shape ", x.shape());
    // A batched input has two leading dims, an unbatched one one.
    const int lead = x.dim() == nd_ + 2 ? 2 : 1;
    const auto n = static_cast<int>(output_size.size());
    check(n == nd_ || n == nd_ + lead, name_, ": output_size for input of shape ", x.shape(),
          " needs ", nd_, " or ", nd_ + lead, " values, got ", ops_detail::dims_str(output_size));
    std::vector<std::int64_t> out_pad(nd_), lo(nd_), hi(nd_), want(nd_);
    bool fits = true;
    for (int d = 0; d < nd_; ++d) {
        want[d] = output_size[n - nd_ + d];
        lo[d] = (x.size(lead + d) - 1) * stride_[d] - 2 * padding_[d] +
                dilation_[d] * (kernel_[d] - 1) + 1;
        hi[d] = lo[d] + stride_[d] - 1;
        fits = fits && want[d] >= lo[d] && want[d] <= hi[d];
        out_pad[d] = want[d] - lo[d];
    }
    if (!fits)
        fail(name_, ": requested an output size of ", ops_detail::dims_str(want),
             ", but valid sizes range from ", ops_detail::dims_str(lo), " to ",
             ops_detail::dims_str(hi), " for an input of shape ", x.shape());
    return run(x, out_pad);
}

std::string ConvTransposeNd::extra_repr() const {
    // PyTorch's fields and order: padding, dilation, output_padding, groups, bias.
    auto any_not = [](const std::vector<std::int64_t>& v, std::int64_t x) {
        return std::any_of(v.begin(), v.end(), [x](std::int64_t e) { return e != x; });
    };
    std::string s = std::to_string(in_) + ", " + std::to_string(out_) +
                    ", kernel_size=" + tuple(kernel_) + ", stride=" + tuple(stride_);
    if (any_not(padding_, 0)) s += ", padding=" + tuple(padding_);
    if (any_not(dilation_, 1)) s += ", dilation=" + tuple(dilation_);
    if (any_not(output_padding_, 0)) s += ", output_padding=" + tuple(output_padding_);
    if (groups_ != 1) s += ", groups=" + std::to_string(groups_);
    if (!bias.defined()) s += ", bias=False";
    return s;
}

}  // namespace soma::nn
