#include "soma/nn/residual.h"

#include "soma/ops.h"

namespace soma::nn {

Residual::Residual(std::shared_ptr<Module> fn, std::shared_ptr<Module> projection)
    : fn(std::move(fn)), projection(std::move(projection)) {
    check(this->fn != nullptr, "Residual: the residual function must not be null");
}

Tensor Residual::forward(const Tensor& x) {
    Tensor fx = fn->forward(x);
    Tensor shortcut = projection ? projection->forward(x) : x;
    check(fx.shape() == shortcut.shape(), "Residual: f(x) has shape ", fx.shape(),
          " but the shortcut ", projection ? "projection(x)" : "x", " has shape ", shortcut.shape(),
          projection ? "" : "; pass a projection that maps x to f(x)'s shape");
    return shortcut + fx;
}

void Residual::visit(Visitor& v) {
    v.module("fn", *fn);
    if (projection) v.module("projection", *projection);
}

namespace {

ConvOptions conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride, Generator* gen) {
    check(in > 0 && out > 0 && stride > 0, "BasicBlock: in_channels, out_channels and stride ",
          "must be positive, got ", in, ", ", out, ", ", stride);
    return {.in_channels = in,
            .out_channels = out,
            .kernel_size = 3,
            .stride = stride,
            .padding = 1,
            .bias = false,
            .gen = gen};
}

}  // namespace

BasicBlock::BasicBlock(BasicBlockOptions o)
    : conv1(conv3x3(o.in_channels, o.out_channels, o.stride, o.gen)),
      bn1({.num_features = o.out_channels}),
      conv2(conv3x3(o.out_channels, o.out_channels, 1, o.gen)),
      bn2({.num_features = o.out_channels}) {
    if (o.stride != 1 || o.in_channels != o.out_channels) {
        auto proj = std::make_shared<Conv2d>(ConvOptions{.in_channels = o.in_channels,
                                                         .out_channels = o.out_channels,
                                                         .kernel_size = 1,
                                                         .stride = o.stride,
                                                         .bias = false,
                                                         .gen = o.gen});
        auto bn = std::make_shared<BatchNorm2d>(BatchNormOptions{.num_features = o.out_channels});
        downsample = std::make_shared<Sequential>(Sequential{proj, bn});
    }
}

Tensor BasicBlock::forward(const Tensor& x) {
    // x: (N, in, H, W) -> (N, out, H', W') on both paths
    Tensor y = relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return relu(y + (downsample ? downsample->forward(x) : x));
}

void BasicBlock::visit(Visitor& v) {
    v.module("conv1", conv1);
    v.module("bn1", bn1);
    v.module("conv2", conv2);
    v.module("bn2", bn2);
    if (downsample) v.module("downsample", *downsample);
}

}  // namespace soma::nn
