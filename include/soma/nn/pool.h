#pragma once
// Pooling layers, like torch.nn.MaxPool1d/2d/3d, AvgPool2d and AdaptiveAvgPool2d: stateless
// wrappers around the ops in soma/ops_conv.h, for Sequential.
//
//   nn::MaxPool2d pool({.kernel_size = 2});          // stride defaults to the kernel size
//   nn::AdaptiveAvgPool2d gap({.output_size = 1});   // global average pooling
//
// Sizes take one number for every spatial dimension or one per dimension; they are checked
// when the layer is built.

#include <string>

#include "soma/nn/module.h"
#include "soma/ops_conv.h"

namespace soma::nn {

struct MaxPoolOptions {
    SpatialArg kernel_size;  // required
    SpatialArg stride = {};  // empty: kernel_size
    SpatialArg padding = 0;  // at most half the kernel; pads with -inf
    SpatialArg dilation = 1;
};

// The layer for any number of spatial dimensions; use MaxPool1d, MaxPool2d or MaxPool3d.
class MaxPoolNd : public Module {
public:
    // x: (N, C, *in) or (C, *in) -> (N, C, *out); the gradient goes to each window's maximum.
    Tensor forward(const Tensor& x) override;
    std::string extra_repr() const override;
    const MaxPoolOptions& options() const { return o_; }

protected:
    MaxPoolNd(int nd, const char* name, MaxPoolOptions o);

private:
    int nd_;
    MaxPoolOptions o_;
};

class MaxPool1d : public MaxPoolNd {
public:
    explicit MaxPool1d(MaxPoolOptions o) : MaxPoolNd(1, "MaxPool1d", std::move(o)) {}
    std::string type_name() const override { return "MaxPool1d"; }
};

class MaxPool2d : public MaxPoolNd {
public:
    explicit MaxPool2d(MaxPoolOptions o) : MaxPoolNd(2, "MaxPool2d", std::move(o)) {}
    std::string type_name() const override { return "MaxPool2d"; }
};

class MaxPool3d : public MaxPoolNd {
public:
    explicit MaxPool3d(MaxPoolOptions o) : MaxPoolNd(3, "MaxPool3d", std::move(o)) {}
    std::string type_name() const override { return "MaxPool3d"; }
};

struct AvgPoolOptions {
    SpatialArg kernel_size;  // required
    SpatialArg stride = {};  // empty: kernel_size
    SpatialArg padding = 0;  // at most half the kernel; zeros
    bool count_include_pad = true;
};

// Mean over each window: x: (N, C, H, W) or (C, H, W).
class AvgPool2d : public Module {
public:
    explicit AvgPool2d(AvgPoolOptions o);
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "AvgPool2d"; }
    std::string extra_repr() const override;
    const AvgPoolOptions& options() const { return o_; }

private:
    AvgPoolOptions o_;
};

struct AdaptiveAvgPoolOptions {
    SpatialArg output_size;  // required: (H_out, W_out), or one number for both
};

// Mean over windows that tile the input into output_size cells: x: (N, C, H, W) -> (N, C,
// H_out, W_out) for any H, W.
class AdaptiveAvgPool2d : public Module {
public:
    explicit AdaptiveAvgPool2d(AdaptiveAvgPoolOptions o);
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "AdaptiveAvgPool2d"; }
    std::string extra_repr() const override { return "output_size=" + o_.output_size.str(); }
    const AdaptiveAvgPoolOptions& options() const { return o_; }

private:
    AdaptiveAvgPoolOptions o_;
};

}  // namespace soma::nn
