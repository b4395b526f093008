#include "soma/models/packed_discriminator.h"

#include "soma/error.h"

namespace soma::models {

namespace {
constexpr const char* kName = "PackedDiscriminator";
}

PackedDiscriminator::PackedDiscriminator(std::shared_ptr<nn::Module> per_sample_net,
                                         std::shared_ptr<nn::Module> joint_net, std::int64_t pack)
    : per_sample(std::move(per_sample_net)), joint(std::move(joint_net)), pack_(pack) {
    check(per_sample && joint, kName, ": needs a per-sample and a joint network");
    check(pack >= 1, kName, ": pack must be >= 1, got ", pack);
}

void PackedDiscriminator::visit(nn::Visitor& v) {
    v.module("per_sample", *per_sample);
    v.module("joint", *joint);
}

Tensor PackedDiscriminator::forward(const Tensor& x) {
    check(x.defined() && x.dim() >= 2 && x.size(1) % pack_ == 0, kName,
          ": input must be (b, pack * C, ...) with pack = ", pack_, ", got ",
          x.defined() ? x.shape() : Shape{});
    const std::int64_t b = x.size(0);
    // (b, pack * C, ...) -> (b * pack, C, ...): the samples were laid side by side along dim 1,
    // so in memory each one's C·... elements follow the previous one's.
    Shape one = x.shape();
    one[0] = b * pack_;
    one[1] /= pack_;
    const Tensor features = per_sample->forward(x.contiguous().reshape(one));
    check(features.dim() >= 1 && features.size(0) == b * pack_, kName,
          ": per_sample must keep the batch dimension, got ", features.shape(), " for ", one);
    // (b * pack, F...) -> (b, pack * F): each pack's features side by side.
    return joint->forward(features.reshape({b, features.numel() / b}));
}

}  // namespace soma::models
