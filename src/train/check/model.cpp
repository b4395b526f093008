// The model checks, on a freshly initialised set-up: the initial loss, the form of the outputs,
// each layer's activations, and whether evaluation is deterministic.
#include <algorithm>
#include <cmath>

#include "soma/autograd.h"
#include "soma/nn/container.h"
#include "soma/ops.h"
#include "train/check/context.h"

namespace soma::train::check_detail {
namespace {

double mean_square(const Tensor& t) {
    NoGrad no_grad;
    double s = 0;
    const auto v = t.to(kFloat64).contiguous().to_vector<double>();
    for (double e : v) s += e * e;
    return v.empty() ? 0 : s / double(v.size());
}

// Every module under `m` (not `m` itself) with its dotted name.
void collect_modules(nn::Module& m, const std::string& prefix,
                     std::vector<std::pair<std::string, nn::Module*>>& out) {
    for (auto& [name, child] : m.named_children()) {
        const std::string full = prefix.empty() ? name : prefix + "." + name;
        out.emplace_back(full, child);
        collect_modules(*child, full, out);
    }
}

// What the activations check measures of one layer's output on the batch.
struct LayerStats {
    std::string name;  // "3 (ReLU)"
    double std = 0;
    double dead = -1;  // ReLU layers: the fraction of units zero for every example; else -1
};

LayerStats layer_stats(const std::string& name, nn::Module& m, const Tensor& out) {
    NoGrad no_grad;
    LayerStats s{.name = name + " (" + m.type_name() + ")"};
    const Tensor y = out.to(kFloat64).contiguous();
    const std::vector<double> v = y.to_vector<double>();
    double mean = 0;
    for (double e : v) mean += e;
    mean /= double(std::max<std::size_t>(1, v.size()));
    double var = 0;
    for (double e : v) var += (e - mean) * (e - mean);
    s.std = std::sqrt(var / double(std::max<std::size_t>(1, v.size())));
    if (m.type_name() == "ReLU" && y.dim() >= 2) {
        const std::int64_t n = y.size(0), units = y.numel() / n;
        std::int64_t dead = 0;
        for (std::int64_t u = 0; u < units; ++u) {
            bool any = false;
            for (std::int64_t i = 0; i < n && !any; ++i)
                any = v[static_cast<std::size_t>(i * units + u)] > 0;
            dead += !any;
        }
        s.dead = double(dead) / double(units);
    }
    return s;
}

}  // namespace

CheckLine check_initial_loss(Context& c) {
    CheckSetup s = c.make();
    const double loss = eval_loss(s, c.batch);
    if (!std::isfinite(loss))
        return failed("the loss of the untrained model is " + num(loss),
                      "the forward pass or the loss produces NaN/Inf: run with detect_anomaly "
                      "(--detect-anomaly) to name the op");
    if (c.classification()) {
        const double expected = std::log(double(c.subject.classes));
        const double ratio = loss / expected;
        const std::string detail = num(loss) + ", expected about " + num(expected) + " (log " +
                                   std::to_string(c.subject.classes) + ")";
        if (ratio > 3)
            return failed(detail,
                          "the untrained model is confidently wrong: its logits are far "
                          "too large (unnormalised inputs, or a last layer initialised "
                          "too large)");
        if (ratio > 1.5 || ratio < 0.5)
            return warned(detail, ratio > 1 ? "the initial logits are larger than they should be: "
                                              "check the input scale and the last layer's init"
                                            : "the untrained model already does well: are the "
                                              "labels leaking into the inputs?");
        return passed(detail);
    }
    // The yardstick: the same loss of an all-zero output (the target's mean square for MSE).
    double zero_loss = 0;
    {
        NoGrad no_grad;
        zero_loss = s.loss(zeros_like(s.model->forward(c.batch.input)), c.batch).item<double>();
    }
    const std::string detail = num(loss) + "; a zero output scores " + num(zero_loss);
    if (loss > 3 * zero_loss + 1e-12)
        return warned(detail,
                      "the untrained outputs are large: check the input scale and the "
                      "last layer's initialisation");
    return passed(detail);
}

CheckLine check_output_form(Context& c) {
    CheckSetup s = c.make();
    s.model->eval();
    const Tensor out = s.model->forward(c.batch.input);  // with grad: its grad_fn tells the last op
    std::string last = out.grad_fn_name();               // "SoftmaxBackward" -> "Softmax"
    if (last.size() > 8 && last.ends_with("Backward")) last.resize(last.size() - 8);
    NoGrad no_grad;
    const Tensor y = out.to(kFloat64).contiguous();
    if (c.classification()) {
        const std::int64_t n = c.batch.input.size(0), classes = c.subject.classes;
        if (y.dim() != 2 || y.size(0) != n || y.size(1) != classes)
            return failed("outputs are " + shape_string(y.shape()) + " for a batch of " +
                              std::to_string(n) + " and " + std::to_string(classes) + " classes",
                          "a classifier must output (N, " + std::to_string(classes) + ") logits");
        const std::vector<double> v = y.to_vector<double>();
        bool probabilities = true;
        for (std::int64_t i = 0; i < n && probabilities; ++i) {
            double sum = 0;
            for (std::int64_t k = 0; k < classes; ++k) {
                const double p = v[static_cast<std::size_t>(i * classes + k)];
                probabilities = probabilities && p >= 0 && p <= 1;
                sum += p;
            }
            probabilities = probabilities && std::fabs(sum - 1) < 1e-3;
        }
        if (probabilities || last == "Softmax")
            return failed("outputs are probabilities (each row sums to 1" +
                              std::string(last.empty() ? "" : ", last op " + last) + ")",
                          "the model ends in softmax and cross-entropy applies log-softmax "
                          "again (softmax twice): remove the final softmax, the loss expects "
                          "logits");
        return passed("(N, " + std::to_string(classes) + ") logits" +
                      (last.empty() ? "" : ", last op " + last));
    }
    if (y.shape() != c.batch.target.shape())
        return failed("outputs are " + shape_string(y.shape()) + " but targets are " +
                          shape_string(c.batch.target.shape()),
                      "the output must have the target's shape, or the loss broadcasts them "
                      "into something else");
    // A bounded last op cannot reach targets outside its range.
    double lo = -INFINITY, hi = INFINITY;
    if (last == "Sigmoid") lo = 0, hi = 1;
    if (last == "Tanh") lo = -1, hi = 1;
    const auto t = c.batch.target.to(kFloat64).contiguous().to_vector<double>();
    const auto [tmin, tmax] = std::minmax_element(t.begin(), t.end());
    const std::string detail = "outputs " + shape_string(y.shape()) +
                               (last.empty() ? "" : ", last op " + last) + "; targets in [" +
                               num(*tmin) + ", " + num(*tmax) + "]";
    if (*tmin < lo - 1e-6 || *tmax > hi + 1e-6)
        return failed(detail, "the output " + last + " only reaches (" + num(lo) + ", " + num(hi) +
                                  "), so the targets can never be fit: drop the output activation "
                                  "(or rescale the targets into its range)");
    return passed(detail);
}

CheckLine check_activations(Context& c) {
    CheckSetup s = c.make();
    std::vector<std::pair<std::string, nn::Module*>> modules;
    collect_modules(*s.model, "", modules);
    std::vector<LayerStats> stats;
    std::vector<nn::HookHandle> hooks;
    for (auto& [name, m] : modules)
        hooks.push_back(m->register_forward_hook(
            [&stats, name = name](nn::Module& mod, const Tensor&, const Tensor& out) {
                stats.push_back(layer_stats(name, mod, out));
            }));
    s.model->train();
    {
        NoGrad no_grad;
        s.model->forward(c.batch.input);
    }
    hooks.clear();
    if (stats.empty()) return skipped("the model has no sub-modules to look into");
    const auto [lo, hi] = std::minmax_element(
        stats.begin(), stats.end(), [](const auto& a, const auto& b) { return a.std < b.std; });
    const LayerStats* deadest = nullptr;
    for (const auto& st : stats)
        if (st.dead >= 0 && (!deadest || st.dead > deadest->dead)) deadest = &st;
    std::string detail = std::to_string(stats.size()) + " layers, output std " + num(lo->std) +
                         " (" + lo->name + ") to " + num(hi->std) + " (" + hi->name + ")";
    if (deadest)
        detail += "; dead ReLUs up to " + percent(deadest->dead) + " (" + deadest->name + ")";
    if (deadest && deadest->dead > 0.5)
        return failed(detail, percent(deadest->dead) + " of " + deadest->name +
                                  "'s units are zero for every example: they get no gradient and "
                                  "never recover; initialise biases at 0 (or slightly positive) "
                                  "with Kaiming weights, or lower the learning rate");
    if (!std::isfinite(hi->std) || hi->std > 1e3)
        return failed(detail, "activations explode in " + hi->name +
                                  ": normalise the inputs, scale the initialisation down, or add "
                                  "batch norm");
    if (lo->std < 1e-4)
        return warned(detail, "activations vanish in " + lo->name +
                                  ": scale the initialisation up (Kaiming for ReLU) or add batch "
                                  "norm");
    if (deadest && deadest->dead > 0.35)
        return warned(detail, "many dead ReLUs in " + deadest->name +
                                  ": check the biases, the initialisation and the learning rate");
    return passed(detail);
}

CheckLine check_deterministic_eval(Context& c) {
    CheckSetup s = c.make();
    const Tensor a = predict(s, c.batch.input), b = predict(s, c.batch.input);
    NoGrad no_grad;
    const double diff = max(abs(sub(a.to(kFloat64), b.to(kFloat64)))).item<double>();
    const double scale = std::sqrt(mean_square(a));
    if (diff > 1e-5 * (1 + scale))
        return failed("two evaluation passes over the same batch differ by up to " + num(diff),
                      "evaluation is random: dropout (or batch norm) is still in training mode; "
                      "call model.eval() before evaluating (fit() and evaluate() do)");
    return passed("two evaluation passes over one batch agree");
}

}  // namespace soma::train::check_detail
