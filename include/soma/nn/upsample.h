#pragma once
// Upsampling layer, like torch.nn.Upsample: a stateless wrapper around interpolate() (see
// soma/ops_conv.h), for Sequential.
//
//   nn::Upsample up({.scale_factor = {2}});                                  // nearest
//   nn::Upsample smooth({.size = {28, 28}, .mode = "bilinear", .align_corners = true});
//
// Give either size or scale_factor. Modes: "nearest" (3-D to 5-D input), "linear" (3-D),
// "bilinear" (4-D), "trilinear" (5-D); the mode, the choice of size or scale_factor and
// align_corners are checked when the layer is built, the rest against each input.

#include <string>

#include "soma/nn/module.h"
#include "soma/ops_conv.h"

namespace soma::nn {

using UpsampleOptions = InterpolateOptions;

class Upsample : public Module {
public:
    explicit Upsample(UpsampleOptions o);
    // x: (N, C, *in) -> (N, C, *out)
    Tensor forward(const Tensor& x) override;
    std::string type_name() const override { return "Upsample"; }
    std::string extra_repr() const override;
    const UpsampleOptions& options() const { return o_; }

private:
    UpsampleOptions o_;
};

}  // namespace soma::nn
