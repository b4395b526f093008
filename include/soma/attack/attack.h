#pragma once
// What every attack shares: the threat model (a norm ball of radius eps around the input, inside
// the valid input range) and the loss the attacker ascends.
//
// An attack treats the model as a function from inputs to (N, C) logits. While it runs:
// - the model is in eval mode (batch norm uses its running statistics, dropout is off), and its
//   previous mode is restored afterwards;
// - gradients are taken with respect to the input only (autograd::grad), so the model's
//   parameters get no .grad and are never written;
// - the input tensors passed in are not modified; attacks return new tensors.
// The model must take inputs in the range the attack clips to ([0, 1] pixels by default). A
// classifier trained on normalised images is wrapped with attack::Normalized first.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "soma/nn/module.h"
#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::attack {

// The ball the perturbation delta = x_adv - x stays in: ||delta||_inf <= eps or ||delta||_2 <=
// eps (per example).
enum class Norm { Linf, L2 };
// Cross-entropy of the logits, or the margin (Carlini-Wagner) loss: the best other class's logit
// minus the true class's (untargeted), the target's logit minus the best other's (targeted).
enum class Loss { CrossEntropy, Margin };

std::string to_string(Norm norm);          // "linf", "l2"
std::string to_string(Loss loss);          // "ce", "margin"
Norm parse_norm(const std::string& name);  // "linf" or "l2"; else soma::Error
Loss parse_loss(const std::string& name);  // "ce" or "margin"; else soma::Error

// The valid input range every adversarial example is clipped to.
struct InputRange {
    double min = 0, max = 1;
};

// Per-example attack loss of logits (N, C) against labels (N) int64 -> (N): the quantity an
// untargeted attack increases. For a targeted attack (labels = the targets) it is the negated
// loss, so the attack still ascends it.
Tensor attack_loss(const Tensor& logits, const Tensor& labels, Loss loss, bool targeted);

// Whether each example's attack succeeded: prediction != label (untargeted) or == label
// (targeted, labels are the targets). logits (N, C), labels (N) -> (N) bool as uint8 vector.
std::vector<std::uint8_t> succeeded(const Tensor& logits, const Tensor& labels, bool targeted);

// The gradient of sum(attack_loss(model(x), labels)) with respect to x (x's shape; zeros where
// the model's output does not depend on x). The model's parameters are not touched.
Tensor input_gradient(nn::Module& model, const Tensor& x, const Tensor& labels, Loss loss,
                      bool targeted);
// The same for any per-example loss of the logits ((N, C) -> (N)), e.g. TRADES' KL divergence.
Tensor input_gradient(nn::Module& model, const Tensor& x,
                      const std::function<Tensor(const Tensor& logits)>& per_example_loss);

// Switches a module to eval mode for a scope and restores its previous mode.
class EvalModeGuard {
public:
    explicit EvalModeGuard(nn::Module& m) : m_(m), was_training_(m.is_training()) { m.eval(); }
    ~EvalModeGuard() { m_.train(was_training_); }
    EvalModeGuard(const EvalModeGuard&) = delete;
    EvalModeGuard& operator=(const EvalModeGuard&) = delete;

private:
    nn::Module& m_;
    bool was_training_;
};

}  // namespace soma::attack
