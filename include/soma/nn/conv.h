#pragma once
// Convolution layers, like torch.nn.Conv1d/2d/3d and ConvTranspose1d/2d/3d (zero padding,
// channels-first layout).
//
//   nn::Conv2d conv({.in_channels = 1, .out_channels = 32, .kernel_size = 3, .padding = 1});
//   Tensor y = conv(x);  // x: (N, 1, 28, 28) -> (N, 32, 28, 28)
//
// Sizes take one number for every spatial dimension or one per dimension (.kernel_size =
// {3, 5}); padding may also be "same" (stride 1 only) or "valid". Parameters are float32:
// weight (out_channels, in_channels / groups, *kernel_size) and bias (out_channels), both
// drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups *
// prod(kernel_size), weight first, like PyTorch's default (kaiming_uniform_ with a = sqrt(5)).

#include <cstdint>
#include <string>
#include <vector>

#include "soma/nn/module.h"
#include "soma/ops_conv.h"

namespace soma::nn {

struct ConvOptions {
    std::int64_t in_channels = 0, out_channels = 0;
    SpatialArg kernel_size;  // required
    SpatialArg stride = 1;
    ConvPadding padding = 0;
    SpatialArg dilation = 1;
    std::int64_t groups = 1;
    bool bias = true;
    Generator* gen = nullptr;  // null: the default generator (seed it with manual_seed)
};
using Conv1dOptions = ConvOptions;
using Conv2dOptions = ConvOptions;
using Conv3dOptions = ConvOptions;

// The layer for any number of spatial dimensions; use Conv1d, Conv2d or Conv3d.
class ConvNd : public Module {
public:
    // x: (N, in_channels, *in) or unbatched (in_channels, *in) -> (N, out_channels, *out).
    Tensor forward(const Tensor& x) override;
    std::string extra_repr() const override;
    void visit(Visitor& v) override {
        v.param("weight", weight);
        v.param("bias", bias);
    }

    // Draws the parameters again, as the constructor does.
    void reset_parameters(Generator* gen = nullptr);

    int spatial_dims() const { return nd_; }
    std::int64_t in_channels() const { return in_; }
    std::int64_t out_channels() const { return out_; }
    std::int64_t groups() const { return groups_; }
    // Per spatial dimension.
    const std::vector<std::int64_t>& kernel_size() const { return kernel_; }
    const std::vector<std::int64_t>& stride() const { return stride_; }
    const std::vector<std::int64_t>& dilation() const { return dilation_; }
    const ConvPadding& padding() const { return padding_; }

    Tensor weight;  // (out_channels, in_channels / groups, *kernel_size)
    Tensor bias;    // (out_channels), undefined when built with .bias = false

protected:
    ConvNd(int nd, const char* name, const ConvOptions& o);

private:
    int nd_;
    std::int64_t in_, out_, groups_;
    std::vector<std::int64_t> kernel_, stride_, dilation_;
    ConvPadding padding_;
};

class Conv1d : public ConvNd {
public:
    explicit Conv1d(const ConvOptions& o) : ConvNd(1, "Conv1d", o) {}
    std::string type_name() const override { return "Conv1d"; }
};

class Conv2d : public ConvNd {
public:
    explicit Conv2d(const ConvOptions& o) : ConvNd(2, "Conv2d", o) {}
    std::string type_name() const override { return "Conv2d"; }
};

class Conv3d : public ConvNd {
public:
    explicit Conv3d(const ConvOptions& o) : ConvNd(3, "Conv3d", o) {}
    std::string type_name() const override { return "Conv3d"; }
};

// ---- transposed convolution layers, like torch.nn.ConvTranspose1d/2d/3d
//
//   nn::ConvTranspose2d up({.in_channels = 64, .out_channels = 32, .kernel_size = 4,
//                           .stride = 2, .padding = 1});
//   Tensor y = up(x);  // x: (N, 64, 7, 7) -> (N, 32, 14, 14)
//
// Parameters are float32: weight (in_channels, out_channels / groups, *kernel_size) and bias
// (out_channels), drawn like Conv's from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where PyTorch's
// fan_in is weight.size(1) * prod(kernel_size) = out_channels / groups * prod(kernel_size).
// The fields follow PyTorch's argument order.
struct ConvTransposeOptions {
    std::int64_t in_channels = 0, out_channels = 0;
    SpatialArg kernel_size;  // required
    SpatialArg stride = 1;
    SpatialArg padding = 0;
    SpatialArg output_padding = 0;  // smaller than the stride or the dilation
    std::int64_t groups = 1;
    bool bias = true;
    SpatialArg dilation = 1;
    Generator* gen = nullptr;  // null: the default generator (seed it with manual_seed)
};
using ConvTranspose1dOptions = ConvTransposeOptions;
using ConvTranspose2dOptions = ConvTransposeOptions;
using ConvTranspose3dOptions = ConvTransposeOptions;

// The layer for any number of spatial dimensions; use ConvTranspose1d, 2d or 3d.
class ConvTransposeNd : public Module {
public:
    // x: (N, in_channels, *in) or unbatched (in_channels, *in) -> (N, out_channels, *out),
    // out = (in - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1.
    Tensor forward(const Tensor& x) override;
    // The same with the output's spatial size asked for instead of output_padding (which is
    // then ignored), like PyTorch: one size per spatial dimension (batch and channel sizes may
    // lead), each within [the size for output_padding 0, that + stride - 1].
    Tensor forward(const Tensor& x, const std::vector<std::int64_t>& output_size);
    using Module::operator();
    Tensor operator()(const Tensor& x, const std::vector<std::int64_t>& output_size) {
        return forward(x, output_size);
    }
    std::string extra_repr() const override;
    void visit(Visitor& v) override {
        v.param("weight", weight);
        v.param("bias", bias);
    }

    // Draws the parameters again, as the constructor does.
    void reset_parameters(Generator* gen = nullptr);

    int spatial_dims() const { return nd_; }
    std::int64_t in_channels() const { return in_; }
    std::int64_t out_channels() const { return out_; }
    std::int64_t groups() const { return groups_; }
    // Per spatial dimension.
    const std::vector<std::int64_t>& kernel_size() const { return kernel_; }
    const std::vector<std::int64_t>& stride() const { return stride_; }
    const std::vector<std::int64_t>& padding() const { return padding_; }
    const std::vector<std::int64_t>& output_padding() const { return output_padding_; }
    const std::vector<std::int64_t>& dilation() const { return dilation_; }

    Tensor weight;  // (in_channels, out_channels / groups, *kernel_size)
    Tensor bias;    // (out_channels), undefined when built with .bias = false

protected:
    ConvTransposeNd(int nd, const char* name, const ConvTransposeOptions& o);

private:
    Tensor run(const Tensor& x, const std::vector<std::int64_t>& output_padding) const;

    int nd_;
    const char* name_;
    std::int64_t in_, out_, groups_;
    std::vector<std::int64_t> kernel_, stride_, padding_, output_padding_, dilation_;
};

class ConvTranspose1d : public ConvTransposeNd {
public:
    explicit ConvTranspose1d(const ConvTransposeOptions& o)
        : ConvTransposeNd(1, "ConvTranspose1d", o) {}
    std::string type_name() const override { return "ConvTranspose1d"; }
};

class ConvTranspose2d : public ConvTransposeNd {
public:
    explicit ConvTranspose2d(const ConvTransposeOptions& o)
        : ConvTransposeNd(2, "ConvTranspose2d", o) {}
    std::string type_name() const override { return "ConvTranspose2d"; }
};

class ConvTranspose3d : public ConvTransposeNd {
public:
    explicit ConvTranspose3d(const ConvTransposeOptions& o)
        : ConvTransposeNd(3, "ConvTranspose3d", o) {}
    std::string type_name() const override { return "ConvTranspose3d"; }
};

}  // namespace soma::nn
