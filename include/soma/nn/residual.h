#pragma once
// Residual connections: y = shortcut(x) + f(x), where the shortcut is x itself or, when f
// changes the shape, a projection (e.g. a strided 1x1 convolution) that maps x to f(x)'s shape.
//
//   nn::Residual block(std::make_shared<nn::Sequential>(...));     // y = x + f(x)
//   nn::Residual down(f, std::make_shared<nn::Linear>(...));        // y = proj(x) + f(x)
//
// BasicBlock is ResNet's two-convolution block (He et al. 2016), named like torchvision's so
// that state dicts carry over:
//
//   nn::BasicBlock block({.in_channels = 16, .out_channels = 32, .stride = 2});
//   Tensor y = block(x);  // x: (N, 16, H, W) -> (N, 32, ceil(H / 2), ceil(W / 2))

#include <cstdint>
#include <memory>
#include <string>

#include "soma/nn/container.h"
#include "soma/nn/conv.h"
#include "soma/nn/module.h"
#include "soma/nn/norm.h"

namespace soma::nn {

class Residual : public Module {
public:
    // Children are named "fn" and "projection" (parameters "fn.0.weight", "projection.weight").
    explicit Residual(std::shared_ptr<Module> fn, std::shared_ptr<Module> projection = nullptr);

    // Throws when f(x) and the shortcut differ in shape: no silent broadcasting.
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Residual"; }
    void visit(Visitor& v) override;

    std::shared_ptr<Module> fn;
    std::shared_ptr<Module> projection;  // null: the identity
};

struct BasicBlockOptions {
    std::int64_t in_channels = 0, out_channels = 0;
    std::int64_t stride = 1;   // of the first convolution (and of the shortcut's)
    Generator* gen = nullptr;  // for the convolutions' initialisation; null: the default
};

// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), with 3x3 convolutions (padding 1, no
// bias; conv1 carries the stride). The shortcut is x, or downsample = Sequential(1x1 conv
// with the stride, BatchNorm2d) when the stride or the channel count changes.
class BasicBlock : public Module {
public:
    explicit BasicBlock(BasicBlockOptions o);

    Tensor forward(const Tensor& x) override;  // (N, in, H, W) -> (N, out, H', W')
    std::string type_name() const override { return "BasicBlock"; }
    void visit(Visitor& v) override;

    Conv2d conv1;
    BatchNorm2d bn1;
    Conv2d conv2;
    BatchNorm2d bn2;
    std::shared_ptr<Sequential> downsample;  // null: the identity shortcut
};

}  // namespace soma::nn
