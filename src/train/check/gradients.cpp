// The gradient checks: autograd against finite differences in float64, gradients reaching every
// parameter, a training step that starts from zeroed gradients, and the size of one update.
#include <algorithm>
#include <cmath>

#include "soma/autograd.h"
#include "soma/ops.h"
#include "train/check/context.h"

namespace soma::train::check_detail {
namespace {

double norm(const Tensor& t) {
    NoGrad no_grad;
    double s = 0;
    for (double e : t.to(kFloat64).contiguous().to_vector<double>()) s += e * e;
    return std::sqrt(s);
}

double total_grad_norm(nn::Module& m) {
    double s = 0;
    for (auto& [name, p] : m.named_parameters())
        if (p.grad().defined()) s += std::pow(norm(p.grad()), 2);
    return std::sqrt(s);
}

// The loss on `batch`, backward, with the model in training mode and fresh gradients.
void fresh_backward(CheckSetup& s, const data::Example& batch) {
    s.model->train();
    s.model->zero_grad();
    s.loss(s.model->forward(batch.input), batch).backward();
}

data::Example to_double(const data::Example& b) {
    NoGrad no_grad;
    return {b.input.to(kFloat64), b.target.dtype() == kInt64 ? b.target : b.target.to(kFloat64)};
}

}  // namespace

CheckLine check_finite_differences(Context& c) {
    CheckSetup s = c.make();
    try {
        s.model->to_double();
    } catch (const std::exception& e) {
        return skipped(std::string("the model does not convert to float64: ") + e.what());
    }
    // Evaluation mode: dropout off, so every evaluation of the loss is the same function.
    s.model->eval();
    const data::Example batch =
        to_double(c.slice(0, std::min<std::int64_t>(8, c.batch.input.size(0))));
    auto loss_at = [&] {
        NoGrad no_grad;
        return s.loss(s.model->forward(batch.input), batch).item<double>();
    };
    s.model->zero_grad();
    s.loss(s.model->forward(batch.input), batch).backward();

    auto params = s.model->named_parameters();
    Generator gen(c.options.seed + 17);
    const std::int64_t per = std::max<std::int64_t>(
        1, (c.options.fd_samples + std::int64_t(params.size()) - 1) / std::int64_t(params.size()));
    std::int64_t checked = 0, bad = 0;
    double worst = 0;
    std::string worst_name;
    for (auto& [name, p] : params) {
        if (checked >= c.options.fd_samples) break;
        const Tensor g = p.grad().defined() ? p.grad().contiguous() : Tensor();
        double* w = p.data<double>();  // parameters are contiguous leaves
        for (std::int64_t k = 0; k < per && checked < c.options.fd_samples; ++k, ++checked) {
            const std::int64_t i = gen.randint(0, p.numel());
            const double analytic = g.defined() ? g.data<double>()[i] : 0.0;
            const double h = 1e-6 * std::max(1.0, std::fabs(w[i])), saved = w[i];
            w[i] = saved + h;
            const double up = loss_at();
            w[i] = saved - h;
            const double down = loss_at();
            w[i] = saved;
            const double numeric = (up - down) / (2 * h);
            const double err = std::fabs(analytic - numeric) /
                               std::max({std::fabs(analytic), std::fabs(numeric), 1e-6});
            if (err > worst) worst = err, worst_name = name + "[" + std::to_string(i) + "]";
            bad += err > 1e-3;
        }
    }
    const std::string detail = std::to_string(checked) +
                               " parameter elements, worst relative "
                               "error " +
                               num(worst) + (worst_name.empty() ? "" : " (" + worst_name + ")");
    // A kink of ReLU or max pooling inside the step may spoil one sample; more is a real error.
    if (bad > std::max<std::int64_t>(1, checked / 10))
        return failed(detail + "; " + std::to_string(bad) + " disagree",
                      "autograd's gradient disagrees with finite differences: a custom op's "
                      "backward is wrong, or the loss is not a function of the parameters alone");
    return passed(detail);
}

CheckLine check_gradient_flow(Context& c) {
    CheckSetup s = c.make();
    fresh_backward(s, c.batch);
    std::vector<std::string> none;
    double lo = INFINITY, hi = 0;
    std::string lo_name, hi_name;
    std::int64_t tensors = 0;
    for (auto& [name, p] : s.model->named_parameters()) {
        if (!p.requires_grad()) continue;
        ++tensors;
        const double g = p.grad().defined() ? norm(p.grad()) : 0.0;
        if (g == 0) {
            none.push_back(name);
            continue;
        }
        if (!std::isfinite(g))
            return failed(name + "'s gradient is " + num(g),
                          "gradients overflow: run with detect_anomaly (--detect-anomaly)");
        // Relative to the weight, so layers of different sizes compare.
        const double w = norm(p);
        if (p.dim() < 2 || w == 0) continue;
        const double rel = g / w;
        if (rel < lo) lo = rel, lo_name = name;
        if (rel > hi) hi = rel, hi_name = name;
    }
    std::string detail = std::to_string(tensors - std::int64_t(none.size())) + " of " +
                         std::to_string(tensors) + " parameter tensors get a gradient";
    if (!lo_name.empty())
        detail += "; |grad|/|weight| from " + num(lo) + " (" + lo_name + ") to " + num(hi) + " (" +
                  hi_name + ")";
    if (!none.empty()) {
        std::string names;
        for (std::size_t i = 0; i < none.size() && i < 6; ++i) names += (i ? ", " : "") + none[i];
        if (none.size() > 6) names += ", ...";
        return failed(detail + "; none reaches " + names,
                      "these parameters never learn: their layer's output is detached (detach(), "
                      "NoGrad) or unused in forward, or every unit after them is dead (see "
                      "activations)");
    }
    if (!lo_name.empty() && lo < 1e-5 * hi)
        return warned(detail,
                      "gradients vanish toward " + lo_name +
                          ": use ReLU-like activations, batch norm or residual connections");
    return passed(detail);
}

CheckLine check_gradients_reset(Context& c) {
    CheckSetup s = c.make();
    // Leave the gradient of the batch in .grad, then take the set-up's own step: a step that
    // zeroes first ends with one batch's gradient, one that forgets ends with about twice it.
    fresh_backward(s, c.batch);
    const double fresh = total_grad_norm(*s.model);
    s.model->train();
    s.train_step(c.batch);
    bool any = false;
    for (auto& [name, p] : s.model->named_parameters()) any = any || p.grad().defined();
    if (!any) return passed("the step leaves no gradients behind (it clears them after stepping)");
    const double after = total_grad_norm(*s.model);
    const double ratio = after / std::max(fresh, 1e-30);
    const std::string detail = "|grad| after a step " + num(after) + ", one batch's gradient " +
                               num(fresh) + " (ratio " + num(ratio) + ")";
    if (ratio > 1.5)
        return failed(detail,
                      "the step adds to the gradients of earlier steps: call "
                      "optimizer.zero_grad() (or model.zero_grad()) before backward");
    return passed(detail);
}

CheckLine check_update_size(Context& c) {
    CheckSetup s = c.make();
    std::vector<std::pair<std::string, Tensor>> before;
    for (auto& [name, p] : s.model->named_parameters())
        if (p.dim() >= 2 && p.requires_grad()) before.emplace_back(name, p.detach().clone());
    s.model->train();
    s.train_step(c.batch);
    double worst = 0, sum_log = 0;
    std::string worst_name;
    std::int64_t n = 0;
    auto params = s.model->named_parameters();
    for (auto& [name, old] : before) {
        const auto it = std::find_if(params.begin(), params.end(),
                                     [&](const auto& e) { return e.first == name; });
        NoGrad no_grad;
        const double w = norm(old);
        if (w == 0) continue;
        const double r = norm(sub(it->second, old)) / w;
        if (!std::isfinite(r) || r > worst) worst = r, worst_name = name;
        sum_log += std::log(std::max(r, 1e-30));
        ++n;
    }
    if (n == 0) return skipped("no weight matrices to compare");
    const std::string detail = "one step changes the weights by " + num(std::exp(sum_log / n)) +
                               " of their size (geometric mean), at most " + num(worst) + " (" +
                               worst_name + ")";
    if (!std::isfinite(worst) || worst > 1)
        return failed(detail,
                      "updates as large as the weights: the learning rate is far too "
                      "large (try 10-100x smaller)");
    if (worst > 0.3)
        return warned(detail, "large updates: the learning rate is probably too large");
    if (worst == 0)
        return failed(detail,
                      "the step does not change the weights: the optimiser is not "
                      "stepped, has lr 0, or holds other tensors than the model's");
    return passed(detail);
}

}  // namespace soma::train::check_detail
