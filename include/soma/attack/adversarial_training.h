#pragma once
// Robust optimisation (Madry et al., 2018), the slide's min-max: min_theta E max_{delta in ball}
// L(f(x + delta), y). The inner max is an attack on each batch; the outer min trains on its
// result. As train::fit steps:
//
//   attack::AdversarialTraining adv{.method = "pgd", .attack = {.eps = 0.1, .steps = 10}};
//   train::Trainee t{.model = &net, .optimizers = {&opt},
//                    .train_step = attack::adversarial_step(net, {&opt}, adv),
//                    .eval_step = attack::adversarial_eval(net, adv)};
//
// Methods:
// - "pgd" (and "fgsm", one step of size eps): loss = (1 - clean_weight) CE(f(x_adv), y) +
//   clean_weight CE(f(x), y); clean_weight 0 is Madry et al.'s pure adversarial training.
// - "trades" (Zhang et al., 2019): loss = CE(f(x), y) + beta KL(f(x) || f(x_adv)), where the
//   attack ascends the KL from a small random start (the labels are not used by the attack).
// The attack runs with the model in eval mode (attack.h); the update in training mode.

#include <string>
#include <vector>

#include "soma/attack/pgd.h"
#include "soma/optim/optimizer.h"
#include "soma/train/engine.h"

namespace soma::attack {

struct AdversarialTraining {
    std::string method = "pgd";                  // pgd, fgsm or trades
    PgdOptions attack{.eps = 0.1, .steps = 10};  // eps, steps, step size, norm, range, generator
    double clean_weight = 0;                     // pgd and fgsm: the clean loss's share, in [0, 1]
    double beta = 6;                             // trades: the KL term's weight
};

// Checks the settings; throws soma::Error naming the bad one.
void validate(const AdversarialTraining& options);

// A train::fit step: attack the batch, then zero_grad, the loss above, backward and step().
// Reports {"loss", "accuracy" (on the adversarial examples; for trades on the clean ones)}.
train::TrainStep adversarial_step(nn::Module& model, std::vector<optim::Optimizer*> optimizers,
                                  const AdversarialTraining& options);
// Validation under the same attack: {"loss", "accuracy", "robust_accuracy"}. Runs the attack
// with gradients enabled although fit() evaluates under NoGrad.
train::EvalStep adversarial_eval(nn::Module& model, const AdversarialTraining& options);

}  // namespace soma::attack
