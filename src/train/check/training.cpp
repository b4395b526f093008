// The training checks: the set-up memorises one small batch, and a short run learns something
// that holds on held-out examples, where a twin trained on shuffled labels does not.
#include <algorithm>
#include <cmath>
#include <map>

#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/train/classification.h"
#include "train/check/context.h"

namespace soma::train::check_detail {
namespace {

// Held-out quality: accuracy (classification) or 1 - MSE / variance of the targets (regression).
double quality(CheckSetup& s, const data::Example& held_out, bool classification) {
    const Tensor out = predict(s, held_out.input);
    NoGrad no_grad;
    if (classification)
        return double(count_correct(out, held_out.target)) / double(held_out.target.size(0));
    const auto y = held_out.target.to(kFloat64).contiguous().to_vector<double>();
    const auto p =
        out.reshape(held_out.target.shape()).to(kFloat64).contiguous().to_vector<double>();
    double mean = 0;
    for (double v : y) mean += v;
    mean /= double(y.size());
    double se = 0, var = 0;
    for (std::size_t i = 0; i < y.size(); ++i)
        se += (y[i] - p[i]) * (y[i] - p[i]), var += (y[i] - mean) * (y[i] - mean);
    return 1 - se / std::max(var, 1e-30);
}

// The most frequent class's share of `targets`: what a model that learned nothing scores.
double majority_share(const Tensor& targets) {
    std::map<std::int64_t, std::int64_t> counts;
    for (std::int64_t y : targets.contiguous().to_vector<std::int64_t>()) ++counts[y];
    std::int64_t best = 0;
    for (auto& [k, n] : counts) best = std::max(best, n);
    return double(best) / double(targets.numel());
}

}  // namespace

CheckLine check_overfit_batch(Context& c) {
    CheckSetup s = c.make();
    const data::Example batch =
        c.slice(0, std::min(c.options.overfit_examples, c.sample.input.size(0)));
    const double initial = eval_loss(s, batch);
    // Near zero: a hundredth of log C for classes (a confident, correct fit); for regression a
    // hundredth of what the untrained model scored.
    const double goal =
        c.classification() ? 0.01 * std::log(double(c.subject.classes)) : 0.01 * initial;
    const std::int64_t every = 25;
    double loss = initial;
    std::int64_t steps = 0;
    while (steps < c.options.overfit_steps && !(loss <= goal)) {
        const std::int64_t n = std::min(every, c.options.overfit_steps - steps);
        train_steps(s, batch, n, batch.input.size(0), c.options.seed + std::uint64_t(steps));
        steps += n;
        loss = eval_loss(s, batch);
        if (!std::isfinite(loss)) break;
    }
    const std::string detail = std::to_string(batch.input.size(0)) + " examples: loss " +
                               num(initial) + " -> " + num(loss) + " in " + std::to_string(steps) +
                               " steps (goal " + num(goal) + ")";
    if (!std::isfinite(loss))
        return failed(detail,
                      "training diverged on a handful of examples: the learning rate is "
                      "too large, or the loss is not finite somewhere (--detect-anomaly)");
    if (!(loss <= goal))
        return failed(detail,
                      "the set-up cannot memorise a few examples, so something is broken: "
                      "outputs that cannot reach the targets (softmax twice, a squashed output), "
                      "gradients that do not flow, or a learning rate far off");
    return passed(detail);
}

CheckLine check_beyond_chance(Context& c) {
    const std::int64_t total = c.sample.input.size(0);
    const std::int64_t held = std::min(c.options.chance_eval, total / 4);
    if (held < 32)
        return skipped("too few examples (" + std::to_string(total) + ") to hold some out");
    const data::Example train = c.slice(0, total - held), held_out = c.slice(total - held, held);

    CheckSetup real = c.make();
    train_steps(real, train, c.options.chance_steps, c.options.batch_size, c.options.seed + 1);
    const double q_real = quality(real, held_out, c.classification());

    // The twin: the same set-up on the same inputs with the labels shuffled among them.
    data::Example shuffled = train;
    {
        NoGrad no_grad;
        Generator gen(c.options.seed + 2);
        std::vector<std::int64_t> perm(static_cast<std::size_t>(train.target.size(0)));
        for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = std::int64_t(i);
        for (std::size_t i = perm.size(); i > 1; --i)
            std::swap(perm[i - 1], perm[static_cast<std::size_t>(gen.randint(0, i))]);
        shuffled.target =
            index_select(train.target, 0, from_vector(perm, {std::int64_t(perm.size())}));
    }
    CheckSetup twin = c.make();
    train_steps(twin, shuffled, c.options.chance_steps, c.options.batch_size, c.options.seed + 1);
    const double q_twin = quality(twin, held_out, c.classification());

    const std::string what = c.classification() ? "accuracy" : "R^2";
    auto show = [&](double q) { return c.classification() ? percent(q) : num(q); };
    // Chance, and a margin five binomial standard deviations (at least 5 points) above it.
    const double chance = c.classification() ? majority_share(held_out.target) : 0.0;
    const double margin = c.classification()
                              ? std::max(0.05, 5 * std::sqrt(chance * (1 - chance) / double(held)))
                              : 0.05;
    const std::string detail = "held-out " + what + " after " +
                               std::to_string(c.options.chance_steps) + " steps " + show(q_real) +
                               ", shuffled-label twin " + show(q_twin) + ", chance " +
                               show(chance) + " (" + count(held) + " examples)";
    if (q_real < chance + margin)
        return failed(detail,
                      "the model learns nothing that holds on held-out examples: the "
                      "labels do not go with the inputs (shifted or shuffled against "
                      "them?), or training does not work (see the checks above)");
    if (q_twin > chance + margin)
        return failed(detail,
                      "a model trained on shuffled labels beats chance on held-out "
                      "examples: something other than the inputs carries the labels "
                      "(leakage between the examples, or a broken evaluation)");
    return passed(detail);
}

}  // namespace soma::train::check_detail
