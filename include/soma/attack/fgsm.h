#pragma once
// The fast gradient sign method (Goodfellow et al., 2015), the lecture's first attack:
//
//   x_adv = clip(x + eps * sign(grad_x L(f(x), y)), min, max)
//
//   Tensor x_adv = attack::fgsm(model, images, labels, 0.1);   // images (N, 1, 28, 28) in [0, 1]
//
// Targeted (labels are the targets): one step down the loss towards the target class. With the
// L2 norm it is the fast gradient method: eps * g / ||g||_2 per example. See attack.h for what
// an attack does to the model (eval mode, no parameter gradients).

#include "soma/attack/attack.h"

namespace soma::attack {

struct FgsmOptions {
    Norm norm = Norm::Linf;
    Loss loss = Loss::CrossEntropy;
    bool targeted = false;
    InputRange range{};
};

// model: (N, ...) -> (N, C) logits; x: (N, ...) inputs; labels: (N) int64 true classes (or
// targets). Returns x_adv with x's shape. eps >= 0.
Tensor fgsm(nn::Module& model, const Tensor& x, const Tensor& labels, double eps,
            const FgsmOptions& options = {});

}  // namespace soma::attack
