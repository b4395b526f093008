// The robustness report: every attack at every eps, then the sanity checks. Formatting, JSON and
// the figure are in report_output.cpp.

#include "soma/attack/report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "soma/attack/fgsm.h"
#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/ops.h"

namespace soma::attack {

namespace {

constexpr const char* kSuspect = "the attack is broken or the model's gradients are masked";

// One batch of the loader's epoch 0, kept for every run (the attacks see identical batches, and
// the loader is read once).
struct Batch {
    Tensor x, y;                       // x: (n, ...) inputs, y: (n) int64
    std::vector<std::int64_t> labels;  // y's values
    std::vector<std::uint8_t> clean_correct;
};

std::string percent(double fraction) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", 100 * fraction);
    return buf;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// The model's predicted classes for x: (n, ...) -> n labels; the output must be (n, C) logits.
std::vector<std::int64_t> predict(nn::Module& model, const Tensor& x) {
    NoGrad no_grad;
    const Tensor logits = model(x);
    check(logits.dim() == 2 && logits.size(0) == x.size(0),
          "robustness_report: the model must map (N, ...) inputs to (N, C) logits; it gave ",
          logits.shape(), " for inputs ", x.shape());
    check(logits.size(1) >= 2, "robustness_report: the model gives ", logits.size(1),
          " class score per example; an attack needs at least 2 classes");
    return argmax(logits, 1).to_vector<std::int64_t>();
}

std::vector<double> values(const Tensor& t) {
    return t.to(kFloat64).contiguous().to_vector<double>();
}

std::vector<Batch> read_batches(nn::Module& model, const data::DataLoader& loader) {
    std::vector<Batch> batches;
    for (const data::Example& b : loader.epoch(0)) {
        check(b.target.dtype() == kInt64 && b.target.dim() == 1,
              "robustness_report: targets must be (N) int64 class indices; the loader gives ",
              b.target.dtype(), " ", b.target.shape());
        check(b.input.dim() >= 1 && b.input.size(0) == b.target.size(0),
              "robustness_report: a batch has inputs ", b.input.shape(), " but targets ",
              b.target.shape());
        Batch batch{b.input, b.target, b.target.to_vector<std::int64_t>(), {}};
        const std::vector<std::int64_t> pred = predict(model, batch.x);
        for (std::size_t i = 0; i < pred.size(); ++i)
            batch.clean_correct.push_back(pred[i] == batch.labels[i]);
        batches.push_back(std::move(batch));
    }
    return batches;
}

// Attacks clip to their range, so inputs outside it (normalised images, say) would be changed by
// the clipping alone and the numbers would mean nothing.
void check_range(const std::vector<Batch>& batches, const AttackSpec& spec) {
    const InputRange r = spec.pgd.range;
    check(r.min < r.max, "robustness_report: ", spec.name, ": the input range [", r.min, ", ",
          r.max, "] is empty");
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const Batch& b : batches) {
        for (double v : values(b.x)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    // A float32 rounding of the bounds is still inside.
    const double slack = 1e-6 * std::max(1.0, r.max - r.min);
    check(lo >= r.min - slack && hi <= r.max + slack, "robustness_report: ", spec.name,
          " works on inputs in [", r.min, ", ", r.max, "], but the loader's inputs span [", lo,
          ", ", hi,
          "]; a classifier of normalised inputs is wrapped in attack::Normalized and fed the raw "
          "inputs");
}

void check_spec(const AttackSpec& spec) {
    check(!spec.pgd.targeted, "robustness_report: ", spec.name,
          " is targeted; the report measures untargeted attacks");
    if (spec.fgsm) return;
    // Checked here too, so that a bad spec fails before the others have run.
    check(spec.pgd.steps >= 0, "robustness_report: ", spec.name, " has ", spec.pgd.steps, " steps");
    check(spec.pgd.restarts >= 1, "robustness_report: ", spec.name, " has ", spec.pgd.restarts,
          " restarts; PGD needs at least 1");
    check(spec.pgd.step_size >= 0 && std::isfinite(spec.pgd.step_size),
          "robustness_report: ", spec.name, " has step size ", spec.pgd.step_size,
          "; give one > 0 (or 0: the default)");
}

// Runs one attack at one eps over all batches; the random starts come from one generator seeded
// with `seed`, so a run is reproducible on its own.
AttackResult run(nn::Module& model, const std::vector<Batch>& batches, const AttackSpec& spec,
                 double eps, std::uint64_t seed) {
    const auto start = std::chrono::steady_clock::now();
    Generator gen(seed);
    std::int64_t n = 0, correct = 0, wrong_first = 0, clean_correct = 0, flipped = 0;
    double l0 = 0, l2 = 0, linf = 0;
    for (const Batch& b : batches) {
        Tensor adv;
        if (spec.fgsm) {
            adv = fgsm(model, b.x, b.y, eps,
                       {.norm = spec.pgd.norm, .loss = spec.pgd.loss, .range = spec.pgd.range});
        } else {
            PgdOptions o = spec.pgd;
            o.eps = eps;
            o.generator = &gen;
            PgdResult r = pgd_detailed(model, b.x, b.y, o);
            adv = std::move(r.adversarial);
            check(!r.successes_after_restart.empty(),
                  "robustness_report: pgd_detailed reported no restarts");
            // Untargeted success is misclassification, so these are the errors after restart 1.
            wrong_first += r.successes_after_restart.front();
        }
        const std::vector<std::int64_t> pred = predict(model, adv);
        const std::vector<double> xa = values(adv), x = values(b.x);
        const std::size_t m = b.labels.size(), size = m > 0 ? x.size() / m : 0;
        std::int64_t batch_correct = 0;
        for (std::size_t i = 0; i < m; ++i) {
            const bool ok = pred[i] == b.labels[i];
            batch_correct += ok;
            if (!b.clean_correct[i]) continue;
            ++clean_correct;
            if (ok) continue;
            ++flipped;
            double c0 = 0, c2 = 0, cinf = 0;
            for (std::size_t k = i * size; k < (i + 1) * size; ++k) {
                const double d = std::abs(xa[k] - x[k]);
                c0 += d > 1e-6;
                c2 += d * d;
                cinf = std::max(cinf, d);
            }
            l0 += c0;
            l2 += std::sqrt(c2);
            linf += cinf;
        }
        if (spec.fgsm) wrong_first += static_cast<std::int64_t>(m) - batch_correct;
        correct += batch_correct;
        n += static_cast<std::int64_t>(m);
    }
    AttackResult r;
    r.attack = spec.name;
    r.norm = spec.pgd.norm;
    r.eps = eps;
    r.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    r.accuracy_first_restart = static_cast<double>(n - wrong_first) / static_cast<double>(n);
    r.success_rate =
        clean_correct > 0 ? static_cast<double>(flipped) / static_cast<double>(clean_correct) : 0;
    if (flipped > 0) {
        r.mean_l0 = l0 / static_cast<double>(flipped);
        r.mean_l2 = l2 / static_cast<double>(flipped);
        r.mean_linf = linf / static_cast<double>(flipped);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

const AttackResult* find(const std::vector<AttackResult>& results, const std::string& attack,
                         double eps) {
    for (const AttackResult& r : results)
        if (r.attack == attack && r.eps == eps) return &r;
    return nullptr;
}

// "<=", or "~" for above but within the tolerance, or ">".
std::string relation(double a, double b, bool pass) {
    return a <= b ? " <= " : pass ? " ~ " : " > ";
}

SanityCheck verdict(std::string name, bool passed, std::string detail) {
    if (!passed) detail += "; this suggests " + std::string(kSuspect);
    return {std::move(name), passed, std::move(detail)};
}

// PGD never above FGSM at the same eps and norm: FGSM's step is one of the paths PGD can take.
void check_pgd_vs_fgsm(RobustnessReport& report, double tol) {
    for (const AttackSpec& p : report.attacks) {
        if (p.fgsm) continue;
        for (const AttackSpec& f : report.attacks) {
            if (!f.fgsm || f.pgd.norm != p.pgd.norm) continue;
            bool ok = true;
            std::string detail;
            for (double eps : report.eps) {
                const AttackResult* a = find(report.results, p.name, eps);
                const AttackResult* b = find(report.results, f.name, eps);
                const bool pass = a->accuracy <= b->accuracy + tol;
                ok = ok && pass;
                detail += (detail.empty() ? "" : "; ") + std::string("eps ") + number(eps) + ": " +
                          percent(a->accuracy) + relation(a->accuracy, b->accuracy, pass) +
                          percent(b->accuracy);
            }
            report.checks.push_back(
                verdict(p.name + " <= " + f.name + " (" + to_string(p.pgd.norm) + ")", ok, detail));
        }
    }
}

// The best of R restarts cannot be weaker than the first restart alone.
void check_restarts(RobustnessReport& report, double tol) {
    for (const AttackSpec& s : report.attacks) {
        if (s.fgsm || s.pgd.restarts < 2) continue;
        bool ok = true;
        std::string detail;
        for (double eps : report.eps) {
            const AttackResult* r = find(report.results, s.name, eps);
            const bool pass = r->accuracy <= r->accuracy_first_restart + tol;
            ok = ok && pass;
            detail += (detail.empty() ? "" : "; ") + std::string("eps ") + number(eps) + ": " +
                      percent(r->accuracy) + " after " + std::to_string(s.pgd.restarts) +
                      " restarts" + relation(r->accuracy, r->accuracy_first_restart, pass) +
                      percent(r->accuracy_first_restart) + " after 1";
        }
        report.checks.push_back(
            verdict(s.name + ": more restarts never raise accuracy", ok, detail));
    }
}

// A larger ball contains the smaller one; the clean input is the ball of radius 0.
void check_monotone(RobustnessReport& report, double tol) {
    std::vector<double> eps = report.eps;
    std::sort(eps.begin(), eps.end());
    for (const AttackSpec& s : report.attacks) {
        bool ok = true;
        std::string detail = "clean " + percent(report.clean_accuracy);
        double previous = report.clean_accuracy;
        for (double e : eps) {
            const double a = find(report.results, s.name, e)->accuracy;
            const bool pass = a <= previous + tol;
            ok = ok && pass;
            detail += " -> eps " + number(e) + " " + percent(a) +
                      (a <= previous ? ""
                       : pass        ? " (~)"
                                     : " (rises)");
            previous = a;
        }
        report.checks.push_back(verdict(s.name + ": accuracy falls with eps", ok, detail));
    }
}

// The spec with the most gradient evaluations (steps * restarts), or PGD-20 if there is no PGD.
AttackSpec strongest_pgd(const std::vector<AttackSpec>& attacks) {
    const AttackSpec* best = nullptr;
    for (const AttackSpec& s : attacks) {
        if (s.fgsm) continue;
        if (!best || s.pgd.steps * s.pgd.restarts > best->pgd.steps * best->pgd.restarts) best = &s;
    }
    AttackSpec spec = best ? *best : pgd_spec(20);
    if (!best && !attacks.empty()) {
        // Keep the norm, loss and range of the report's attacks.
        spec.pgd.norm = attacks.front().pgd.norm;
        spec.pgd.loss = attacks.front().pgd.loss;
        spec.pgd.range = attacks.front().pgd.range;
        spec.name = default_name(spec);
    }
    return spec;
}

void check_large_eps(RobustnessReport& report, nn::Module& model, const std::vector<Batch>& batches,
                     const RobustnessOptions& options) {
    AttackSpec spec = strongest_pgd(report.attacks);
    // A step size chosen for small eps would crawl across the whole range in `steps` steps.
    spec.pgd.step_size = 0;
    const double width = spec.pgd.range.max - spec.pgd.range.min;
    double eps = options.large_eps;
    if (eps == 0) {
        const double size = static_cast<double>(
            batches.front().x.numel() / std::max<std::int64_t>(1, batches.front().x.size(0)));
        eps = spec.pgd.norm == Norm::Linf ? width : width * std::sqrt(size);
    }
    AttackResult r = run(model, batches, spec, eps, options.seed);
    const bool ok = r.accuracy <= options.large_eps_max_accuracy;
    std::string detail = spec.name + " at eps " + number(eps) +
                         (options.large_eps == 0 ? " (the whole input range)" : "") + ": " +
                         percent(r.accuracy) + (ok ? " <= " : " > ") +
                         percent(options.large_eps_max_accuracy);
    report.checks.push_back(verdict("accuracy near 0 at a very large eps", ok, detail));
    report.large_eps_result = std::move(r);
}

}  // namespace

std::string default_name(const AttackSpec& spec) {
    const PgdOptions& o = spec.pgd;
    std::vector<std::string> notes;
    std::string name;
    if (spec.fgsm) {
        name = o.norm == Norm::Linf ? "FGSM" : "FGM";
        if (o.norm == Norm::L2) notes.push_back("L2");
    } else {
        name = "PGD-" + std::to_string(o.steps);
        if (o.restarts > 1) notes.push_back(std::to_string(o.restarts) + " restarts");
        if (o.norm == Norm::L2) notes.push_back("L2");
    }
    if (o.loss == Loss::Margin) notes.push_back("margin loss");
    for (std::size_t i = 0; i < notes.size(); ++i)
        name += (i == 0 ? " (" : ", ") + notes[i] + (i + 1 == notes.size() ? ")" : "");
    return name;
}

AttackSpec fgsm_spec(Norm norm) {
    AttackSpec s;
    s.fgsm = true;
    s.pgd.norm = norm;
    s.pgd.steps = 1;
    s.pgd.random_start = false;
    s.name = default_name(s);
    return s;
}

AttackSpec pgd_spec(std::int64_t steps, std::int64_t restarts, Norm norm, Loss loss) {
    AttackSpec s;
    s.pgd.steps = steps;
    s.pgd.restarts = restarts;
    s.pgd.norm = norm;
    s.pgd.loss = loss;
    s.name = default_name(s);
    return s;
}

bool RobustnessReport::all_checks_passed() const {
    return std::all_of(checks.begin(), checks.end(), [](const SanityCheck& c) { return c.passed; });
}

RobustnessReport robustness_report(nn::Module& model, const data::DataLoader& loader,
                                   const RobustnessOptions& options) {
    check(!options.eps.empty(), "robustness_report: no eps given");
    for (double e : options.eps)
        check(std::isfinite(e) && e >= 0, "robustness_report: eps ", e,
              " is not a radius; give finite values >= 0");
    check(std::isfinite(options.large_eps), "robustness_report: large_eps ", options.large_eps,
          " is not finite");
    check(options.tolerance >= 0 && options.tolerance < 1, "robustness_report: tolerance ",
          options.tolerance, " is not in [0, 1)");

    RobustnessReport report;
    report.eps = options.eps;
    report.seed = options.seed;
    report.tolerance = options.tolerance;
    report.large_eps_max_accuracy = options.large_eps_max_accuracy;
    report.attacks = options.attacks;
    if (report.attacks.empty()) report.attacks = {fgsm_spec(), pgd_spec(20)};
    for (AttackSpec& s : report.attacks) {
        if (s.name.empty()) s.name = default_name(s);
        check_spec(s);
    }

    EvalModeGuard eval(model);
    const std::vector<Batch> batches = read_batches(model, loader);
    std::int64_t correct = 0;
    for (const Batch& b : batches) {
        report.samples += static_cast<std::int64_t>(b.labels.size());
        for (std::uint8_t c : b.clean_correct) correct += c;
    }
    check(report.samples > 0, "robustness_report: the loader gives no examples");
    report.clean_accuracy = static_cast<double>(correct) / static_cast<double>(report.samples);
    for (const AttackSpec& s : report.attacks) check_range(batches, s);

    for (const AttackSpec& s : report.attacks)
        for (double eps : report.eps)
            report.results.push_back(run(model, batches, s, eps, options.seed));

    const double tol = options.tolerance;
    check_pgd_vs_fgsm(report, tol);
    check_restarts(report, tol);
    check_monotone(report, tol);
    if (options.large_eps >= 0) check_large_eps(report, model, batches, options);
    return report;
}

}  // namespace soma::attack
