// The attacks' shared pieces: the losses they ascend, success, and the input gradient.

#include "soma/attack/attack.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"

namespace soma::attack {

std::string to_string(Norm norm) { return norm == Norm::Linf ? "linf" : "l2"; }
std::string to_string(Loss loss) { return loss == Loss::CrossEntropy ? "ce" : "margin"; }

Norm parse_norm(const std::string& name) {
    if (name == "linf") return Norm::Linf;
    if (name == "l2") return Norm::L2;
    throw Error("unknown norm '" + name + "' (expected linf or l2)");
}

Loss parse_loss(const std::string& name) {
    if (name == "ce") return Loss::CrossEntropy;
    if (name == "margin") return Loss::Margin;
    throw Error("unknown attack loss '" + name + "' (expected ce or margin)");
}

namespace {

void check_logits(const Tensor& logits, const Tensor& labels, const char* who) {
    check(logits.dim() == 2, who, ": the model must give (N, C) logits, got shape ",
          logits.shape());
    check(labels.dim() == 1 && labels.size(0) == logits.size(0), who, ": labels must be (",
          logits.size(0), "), got shape ", labels.shape());
    check(labels.dtype() == kInt64, who, ": labels must be int64 class indices, got ",
          dtype_name(labels.dtype()));
}

}  // namespace

Tensor attack_loss(const Tensor& logits, const Tensor& labels, Loss loss, bool targeted) {
    check_logits(logits, labels, "attack_loss");
    Tensor per_example;
    if (loss == Loss::CrossEntropy) {
        per_example = nn::cross_entropy(logits, labels, Reduction::None);
    } else {
        // margin: max_{j != y} z_j - z_y; the true class is pushed out of the max by a large
        // negative offset (not -inf, whose products would give NaN gradients).
        const Tensor mask = one_hot(labels, logits.size(1), logits.dtype());  // (N, C)
        const Tensor z_y = sum(logits * mask, {1});                           // (N)
        const Tensor others = max(logits - mask * 1e9, 1);                    // (N)
        per_example = others - z_y;
    }
    // A targeted attack moves towards its target: it ascends the negated loss.
    return targeted ? -per_example : per_example;
}

std::vector<std::uint8_t> succeeded(const Tensor& logits, const Tensor& labels, bool targeted) {
    check_logits(logits, labels, "succeeded");
    const Tensor pred = argmax(logits.detach(), 1).contiguous();
    const Tensor y = labels.contiguous();
    const std::int64_t* p = pred.data<std::int64_t>();
    const std::int64_t* t = y.data<std::int64_t>();
    std::vector<std::uint8_t> ok(pred.numel());
    for (std::size_t i = 0; i < ok.size(); ++i) ok[i] = targeted ? p[i] == t[i] : p[i] != t[i];
    return ok;
}

namespace {

// Turns requires_grad off on every parameter for a scope: the backward pass then skips the
// weight gradients it would compute and throw away (a third of a convolution's backward), and
// nothing can accumulate into .grad. Restored on exit.
class FrozenParameters {
public:
    explicit FrozenParameters(nn::Module& m) : params_(m.parameters()) {
        for (Tensor& p : params_) {
            was_.push_back(p.requires_grad());
            p.requires_grad_(false);
        }
    }
    ~FrozenParameters() {
        for (std::size_t i = 0; i < params_.size(); ++i) params_[i].requires_grad_(was_[i]);
    }
    FrozenParameters(const FrozenParameters&) = delete;
    FrozenParameters& operator=(const FrozenParameters&) = delete;

private:
    std::vector<Tensor> params_;
    std::vector<bool> was_;
};

}  // namespace

Tensor input_gradient(nn::Module& model, const Tensor& x,
                      const std::function<Tensor(const Tensor&)>& per_example_loss) {
    autograd::EnableGrad enable;  // also inside a NoGrad evaluation
    FrozenParameters frozen(model);
    Tensor leaf = x.detach().clone().requires_grad_();
    const Tensor loss = sum(per_example_loss(model(leaf)));
    // A model whose output does not depend on x (masked gradients) gives zero, not an error.
    if (!loss.requires_grad()) return zeros_like(x);
    Tensor g = autograd::grad({loss}, {leaf}, {}, false, false, /*allow_unused=*/true)[0];
    return g.defined() ? g : zeros_like(x);
}

Tensor input_gradient(nn::Module& model, const Tensor& x, const Tensor& labels, Loss loss,
                      bool targeted) {
    return input_gradient(model, x, [&](const Tensor& logits) {
        return attack_loss(logits, labels, loss, targeted);
    });
}

}  // namespace soma::attack
