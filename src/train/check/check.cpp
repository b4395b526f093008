// train::check: draws the sample, runs every check in order, and turns a check that throws into
// a failed line (so one broken part never hides the rest of the report).
#include <algorithm>
#include <numeric>
#include <ostream>

#include "soma/autograd.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "train/check/context.h"

namespace soma::train {
namespace check_detail {

CheckSetup Context::make() const {
    CheckSetup s = subject.make(options.seed);
    soma::check(s.model != nullptr, "train::check: CheckSubject::make returned no model");
    soma::check(static_cast<bool>(s.train_step),
                "train::check: CheckSubject::make returned no train_step");
    soma::check(static_cast<bool>(s.loss), "train::check: CheckSubject::make returned no loss");
    return s;
}

data::Example Context::slice(std::int64_t begin, std::int64_t n) const {
    return {sample.input.narrow(0, begin, n), sample.target.narrow(0, begin, n)};
}

Tensor predict(CheckSetup& setup, const Tensor& input) {
    if (setup.predict) return setup.predict(input);
    setup.model->eval();
    NoGrad no_grad;
    return setup.model->forward(input);
}

double eval_loss(CheckSetup& setup, const data::Example& batch) {
    setup.model->eval();
    NoGrad no_grad;
    return setup.loss(setup.model->forward(batch.input), batch).item<double>();
}

void train_steps(CheckSetup& setup, const data::Example& examples, std::int64_t steps,
                 std::int64_t batch_size, std::uint64_t seed) {
    const std::int64_t n = examples.input.size(0);
    batch_size = std::min(batch_size, n);
    Generator gen(seed);
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::size_t next = order.size();
    setup.model->train();
    for (std::int64_t step = 0; step < steps; ++step) {
        if (next + static_cast<std::size_t>(batch_size) > order.size()) {
            std::iota(order.begin(), order.end(), 0);
            for (std::size_t i = order.size(); i > 1; --i)
                std::swap(order[i - 1], order[static_cast<std::size_t>(gen.randint(0, i))]);
            next = 0;
        }
        Tensor idx = from_vector(
            std::vector<std::int64_t>(order.begin() + next, order.begin() + next + batch_size),
            Shape{batch_size});
        next += static_cast<std::size_t>(batch_size);
        setup.train_step(
            {index_select(examples.input, 0, idx), index_select(examples.target, 0, idx)});
    }
}

namespace {

// A seeded random sample of the training split, read once for every check.
data::Example draw_sample(const CheckSubject& s, const CheckOptions& o) {
    const std::int64_t n = s.train->size();
    soma::check(n > 0, "train::check: the training split is empty");
    const std::int64_t m = o.sample > 0 ? std::min(o.sample, n) : n;
    Generator gen(o.seed ^ 0x5eedULL);
    std::vector<std::int64_t> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    for (std::int64_t i = 0; i < m; ++i)  // the first m of a random permutation
        std::swap(all[static_cast<std::size_t>(i)],
                  all[static_cast<std::size_t>(gen.randint(i, n))]);
    all.resize(static_cast<std::size_t>(m));
    NoGrad no_grad;
    return s.train->get_batch(all);
}

struct Entry {
    const char* group;
    const char* name;
    CheckLine (*run)(Context&);
};

constexpr Entry kChecks[] = {
    {"data", "labels", check_labels},
    {"data", "finite data", check_finite_data},
    {"data", "input scale", check_input_scale},
    {"data", "train/test overlap", check_overlap},
    {"model", "initial loss", check_initial_loss},
    {"model", "output form", check_output_form},
    {"model", "activations", check_activations},
    {"model", "deterministic evaluation", check_deterministic_eval},
    {"gradients", "finite differences", check_finite_differences},
    {"gradients", "gradient flow", check_gradient_flow},
    {"gradients", "gradients reset", check_gradients_reset},
    {"gradients", "update size", check_update_size},
    {"training", "overfit one batch", check_overfit_batch},
    {"training", "learns beyond chance", check_beyond_chance},
};

}  // namespace
}  // namespace check_detail

CheckReport check(const CheckSubject& subject, const CheckOptions& options) {
    using namespace check_detail;
    soma::check(static_cast<bool>(subject.make), "train::check: CheckSubject::make is empty");
    soma::check(subject.train != nullptr, "train::check: CheckSubject::train is null");
    soma::check(subject.task == TaskKind::Regression || subject.classes >= 2,
                "train::check: a classification subject needs classes >= 2, got ", subject.classes);
    soma::check(
        options.batch_size > 0 && options.overfit_examples > 0 && options.overfit_steps > 0 &&
            options.chance_steps > 0 && options.chance_eval > 0 && options.fd_samples > 0,
        "train::check: batch_size, overfit_examples, overfit_steps, chance_steps, chance_eval "
        "and fd_samples must be > 0");
    Context c{.subject = subject,
              .options = options,
              .sample = draw_sample(subject, options),
              .batch = {}};
    c.batch = c.slice(0, std::min(options.batch_size, c.sample.input.size(0)));

    CheckReport report;
    for (const Entry& e : kChecks) {
        CheckLine line;
        try {
            line = e.run(c);
        } catch (const std::exception& err) {
            line = failed(std::string("the check could not run: ") + err.what(),
                          "the set-up fails on its own data; fix the error first");
        }
        line.group = e.group;
        line.name = e.name;
        if (options.log) *options.log << format_line(line) << std::endl;
        report.lines.push_back(std::move(line));
    }
    return report;
}

LossFn cross_entropy_loss_fn() {
    return
        [](const Tensor& out, const data::Example& b) { return nn::cross_entropy(out, b.target); };
}

LossFn mse_loss_fn() {
    return [](const Tensor& out, const data::Example& b) { return nn::mse_loss(out, b.target); };
}

}  // namespace soma::train
