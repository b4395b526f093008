// Robust optimisation as train::fit steps (adversarial_training.h).

#include "soma/attack/adversarial_training.h"

#include <cmath>
#include <memory>

#include "ball.h"
#include "soma/attack/fgsm.h"
#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/train/classification.h"

namespace soma::attack {

void validate(const AdversarialTraining& o) {
    check(o.method == "pgd" || o.method == "fgsm" || o.method == "trades",
          "adversarial training: unknown method '", o.method, "' (known: pgd, fgsm, trades)");
    check(std::isfinite(o.attack.eps) && o.attack.eps > 0,
          "adversarial training: eps must be finite and > 0, got ", o.attack.eps);
    check(o.method == "fgsm" || o.attack.steps >= 1,
          "adversarial training: the attack needs at least 1 step, got ", o.attack.steps);
    check(o.clean_weight >= 0 && o.clean_weight <= 1,
          "adversarial training: clean_weight must be in [0, 1], got ", o.clean_weight);
    check(std::isfinite(o.beta) && o.beta >= 0, "adversarial training: beta must be >= 0, got ",
          o.beta);
}

namespace {

// Per-example KL(p || softmax(logits)) with p fixed (N, C) probabilities -> (N).
Tensor kl_from(const Tensor& p, const Tensor& log_p, const Tensor& logits) {
    return sum(p * (log_p - log_softmax(logits, 1)), {1});
}

// TRADES' inner maximisation: from x plus a little Gaussian noise, ascend the KL between the
// model's clean and adversarial predictions by signed steps, projected onto the ball.
Tensor trades_attack(nn::Module& model, const Tensor& x, const PgdOptions& o) {
    EvalModeGuard eval(model);
    Tensor p, log_p;
    {
        autograd::NoGrad no_grad;
        log_p = log_softmax(model(x), 1);
        p = exp(log_p);
    }
    const double step = o.step_size > 0 ? o.step_size : 2.5 * o.eps / o.steps;
    const Tensor noise =
        randn(x.shape(), o.generator, x.dtype()) * (0.001 * (o.range.max - o.range.min));
    Tensor xa = detail::projected_step(x, x, noise, 1.0, o.norm, o.eps, o.range);
    for (std::int64_t s = 0; s < o.steps; ++s) {
        const Tensor g = input_gradient(
            model, xa, [&](const Tensor& logits) { return kl_from(p, log_p, logits); });
        xa = detail::projected_step(x, xa, detail::ascent_direction(g, o.norm), step, o.norm, o.eps,
                                    o.range);
    }
    return xa;
}

// The adversarial version of a batch under the training attack.
Tensor adversarial_batch(nn::Module& model, const Tensor& x, const Tensor& y,
                         const AdversarialTraining& o) {
    if (o.method == "fgsm")
        return fgsm(model, x, y, o.attack.eps,
                    {.norm = o.attack.norm, .loss = o.attack.loss, .range = o.attack.range});
    if (o.method == "trades") return trades_attack(model, x.detach().contiguous(), o.attack);
    return pgd(model, x, y, o.attack);
}

}  // namespace

train::TrainStep adversarial_step(nn::Module& model, std::vector<optim::Optimizer*> optimizers,
                                  const AdversarialTraining& options) {
    validate(options);
    return [&model, optimizers = std::move(optimizers), o = options](const data::Example& b) {
        const Tensor x_adv = adversarial_batch(model, b.input, b.target, o);
        for (optim::Optimizer* opt : optimizers) opt->zero_grad();
        Tensor loss, reported_logits;
        if (o.method == "trades") {
            const Tensor clean = model(b.input);
            const Tensor adv = model(x_adv);
            const Tensor log_p = log_softmax(clean, 1);
            loss =
                nn::cross_entropy(clean, b.target) + o.beta * mean(kl_from(exp(log_p), log_p, adv));
            reported_logits = clean;
        } else {
            const Tensor adv = model(x_adv);
            loss = nn::cross_entropy(adv, b.target);
            if (o.clean_weight > 0)
                loss = (1 - o.clean_weight) * loss +
                       o.clean_weight * nn::cross_entropy(model(b.input), b.target);
            reported_logits = adv;
        }
        const double value = train::backward_and_step(loss, optimizers);
        const std::int64_t n = b.target.numel();
        return train::StepResult{
            .samples = n,
            .metrics = {{"loss", value},
                        {"accuracy", double(train::count_correct(reported_logits, b.target)) / n}}};
    };
}

train::EvalStep adversarial_eval(nn::Module& model, const AdversarialTraining& options) {
    validate(options);
    // PGD from x itself (no random start): the validation curve is deterministic and draws
    // nothing from the generator the training run checkpoints.
    PgdOptions attack = options.attack;
    attack.random_start = false;
    if (options.method == "fgsm") attack.steps = 1, attack.step_size = attack.eps;
    return [&model, attack](const data::Example& b) {
        const std::int64_t n = b.target.numel();
        const Tensor logits = model(b.input);
        const Tensor x_adv = pgd(model, b.input, b.target, attack);
        autograd::NoGrad no_grad;
        const Tensor adv_logits = model(x_adv);
        return train::StepResult{
            .samples = n,
            .metrics = {
                {"loss", nn::cross_entropy(logits, b.target).item<double>()},
                {"accuracy", double(train::count_correct(logits, b.target)) / n},
                {"robust_accuracy", double(train::count_correct(adv_logits, b.target)) / n}}};
    };
}

}  // namespace soma::attack
