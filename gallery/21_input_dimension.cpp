// 21: the second rule of thumb of the slide "Defenses against adversarial attacks":
// high-dimensional inputs are easier to attack. Logistic regression on the same task posed in a
// growing number of input dimensions d, and the smallest perturbation that flips each correctly
// classified test point: in L-inf it shrinks with d, in L2 it does not (Goodfellow et al., 2015:
// moving every coordinate by eps along sign(w) moves the score by eps ||w||_1, which grows like
// sqrt(d) ||w||_2 for a dense w).

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "entries.h"
#include "soma/attack/fgsm.h"
#include "soma/autograd.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/optim/scheduler.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

// Far outside the data (|x| stays below ~6), so clipping never binds.
const attack::InputRange kRange{-100, 100};
// The class means lie this far from the origin (L2) in every d: the task is equally hard in every
// dimension (Bayes accuracy Phi(kSeparation) = 93.3%).
constexpr double kSeparation = 1.5;
// A fixed budget, to show the same attack's effect across d.
constexpr double kFixedEps = 0.1;

struct Data {
    Tensor x;  // (N, d) float32
    Tensor y;  // (N) int64 in {0, 1}
};

// x = ±mu + N(0, I_d), the sign given by the class (alternating). mu is drawn once per d: a random
// direction (Gaussian coordinates, so every coordinate carries a little signal, none all of it)
// scaled to length kSeparation.
std::vector<double> draw_mean(std::int64_t d, Generator& gen) {
    std::vector<double> mu(d);
    double norm = 0;
    for (double& v : mu) v = gen.normal(), norm += v * v;
    for (double& v : mu) v *= kSeparation / std::sqrt(norm);
    return mu;
}

Data sample(const std::vector<double>& mu, std::int64_t n, Generator& gen) {
    const auto d = static_cast<std::int64_t>(mu.size());
    std::vector<std::int64_t> ys(n);
    std::vector<float> signs(n);
    for (std::int64_t i = 0; i < n; ++i) ys[i] = i % 2, signs[i] = ys[i] ? 1.0f : -1.0f;
    const Tensor mean = from_vector(mu, {1, d}, kFloat64).to(kFloat32);        // (1, d)
    const Tensor x = from_vector(signs, {n, 1}) * mean + randn({n, d}, &gen);  // (n, d)
    return {x, from_vector(ys, {n})};
}

// Logistic regression as PyTorch writes it: Linear(d, 2) and the cross-entropy; full-batch Adam
// with a small weight decay, the learning rate annealed to near zero.
void train(nn::Linear& model, const Data& d, int steps) {
    fit_full_batch(model, d.x, d.y, steps, {.lr = 0.05, .weight_decay = 1e-3});
}

std::int64_t count_wrong(nn::Module& m, const Tensor& x, const Tensor& y) {
    const std::vector<std::int64_t> p = predict_classes(m, x), t = y.to_vector<std::int64_t>();
    std::int64_t wrong = 0;
    for (std::size_t i = 0; i < t.size(); ++i) wrong += p[i] != t[i];
    return wrong;
}

struct DimResult {
    std::int64_t d = 0;
    double accuracy = 0;                    // clean, test set
    double linf = 0, l2 = 0;                // mean smallest flipping eps of correct test points
    double l1_over_l2 = 0;                  // ||w||_1 / ||w||_2 of the learned w
    double fgsm_above = 0, fgsm_below = 0;  // share FGSM flips at 1.01x and 0.99x the L-inf eps
    double fgm_above = 0;                   // the same for the L2 fast gradient method at 1.01x
    double fixed_eps_accuracy = 0;          // accuracy under FGSM at kFixedEps
};

// The share of the points FGSM flips when each is attacked at its own radius factor * eps_i: one
// FGSM call at radius 1 on PerExampleEps (entries.h), the same as one call per point.
double fgsm_flip_share(nn::Linear& model, const Data& ok, std::vector<double> eps, double factor,
                       attack::Norm norm) {
    for (double& e : eps) e *= factor;
    PerExampleEps scaled(model, ok.x, eps);
    const Tensor z = attack::fgsm(scaled, ok.x, ok.y, 1.0, {.norm = norm, .range = kRange});
    return static_cast<double>(count_wrong(scaled, z, ok.y)) / static_cast<double>(ok.x.size(0));
}

DimResult run_dimension(std::int64_t d, std::int64_t n_train, std::int64_t n_test, int steps,
                        Generator& gen) {
    const std::vector<double> mu = draw_mean(d, gen);
    const Data train_set = sample(mu, n_train, gen), test = sample(mu, n_test, gen);
    nn::Linear model({.in = d, .out = 2, .gen = &gen});
    train(model, train_set, steps);

    // The binary score s = w·x + b is the difference of the two logits.
    const std::vector<float> W = model.weight.to_vector<float>();  // (2, d)
    const std::vector<float> B = model.bias.to_vector<float>();
    std::vector<double> w(d);
    double l1 = 0, l2 = 0;
    for (std::int64_t j = 0; j < d; ++j) {
        w[j] = static_cast<double>(W[d + j]) - W[j];
        l1 += std::abs(w[j]);
        l2 += w[j] * w[j];
    }
    l2 = std::sqrt(l2);
    const double b = static_cast<double>(B[1]) - B[0];

    // The correctly classified test points and their distances to the hyperplane: |s| / ||w||_1
    // in L-inf (every coordinate moves by eps against sign(w)), |s| / ||w||_2 in L2.
    const std::vector<std::int64_t> p = predict_classes(model, test.x),
                                    y = test.y.to_vector<std::int64_t>();
    const std::vector<float> x = test.x.to_vector<float>();
    std::vector<std::int64_t> keep;
    std::vector<double> linf, l2eps;
    for (std::int64_t i = 0; i < n_test; ++i) {
        if (p[i] != y[i]) continue;
        double s = b;
        for (std::int64_t j = 0; j < d; ++j) s += w[j] * x[i * d + j];
        keep.push_back(i);
        linf.push_back(std::abs(s) / l1);
        l2eps.push_back(std::abs(s) / l2);
    }
    const Tensor idx = from_vector(keep, {static_cast<std::int64_t>(keep.size())});
    const Data ok{index_select(test.x, 0, idx), index_select(test.y, 0, idx)};

    DimResult r;
    r.d = d;
    r.accuracy = static_cast<double>(keep.size()) / static_cast<double>(n_test);
    double sum_linf = 0, sum_l2 = 0;
    for (std::size_t i = 0; i < linf.size(); ++i) sum_linf += linf[i], sum_l2 += l2eps[i];
    r.linf = sum_linf / static_cast<double>(linf.size());
    r.l2 = sum_l2 / static_cast<double>(l2eps.size());
    r.l1_over_l2 = l1 / l2;
    // The analytic eps is the smallest: FGSM (whose direction for a linear model is exactly
    // -y sign(w), the optimal one) must flip the points just beyond it and none just inside.
    r.fgsm_above = fgsm_flip_share(model, ok, linf, 1.01, attack::Norm::Linf);
    r.fgsm_below = fgsm_flip_share(model, ok, linf, 0.99, attack::Norm::Linf);
    r.fgm_above = fgsm_flip_share(model, ok, l2eps, 1.01, attack::Norm::L2);
    const Tensor x_fixed = attack::fgsm(model, test.x, test.y, kFixedEps, {.range = kRange});
    r.fixed_eps_accuracy =
        1 - static_cast<double>(count_wrong(model, x_fixed, test.y)) / static_cast<double>(n_test);
    return r;
}

Result run_input_dimension(Context& ctx) {
    std::ostream& out = ctx.out();
    Generator gen(ctx.seed * 1000 + 21);
    const std::vector<std::int64_t> dims =
        ctx.quick ? std::vector<std::int64_t>{2, 8, 32, 128, 512}
                  : std::vector<std::int64_t>{2, 8, 32, 128, 512, 2048};
    // Four training points per dimension (at least 1024): w is learned about equally well at
    // every large d, and the largest d's run stays within seconds.
    const std::int64_t n_test = ctx.quick ? 1000 : 2000;
    const int steps = 100;

    // Per d: clean accuracy; the mean smallest flipping perturbation (the L2 one is ||w||_1 /
    // ||w||_2 times the L-inf one, point by point); that ratio against a Gaussian w's sqrt(2d/pi);
    // the share FGSM flips at 1.01 and 0.99 times the L-inf one, and its L2 form (the fast gradient
    // method) at 1.01 times the L2 one; accuracy under FGSM at kFixedEps.
    out << strf("%6s %8s %10s %10s %9s %11s %14s %8s %12s\n", "d", "accuracy", "L-inf eps",
                "L2 eps", "|w|1/|w|2", "sqrt(2d/pi)", "FGSM 1.01/0.99", "FGM 1.01", "acc@eps=0.1");
    std::vector<DimResult> rs;
    for (std::int64_t d : dims) {
        rs.push_back(run_dimension(d, std::max<std::int64_t>(1024, 4 * d), n_test, steps, gen));
        const DimResult& r = rs.back();
        out << strf("%6lld %7.1f%% %10.4f %10.4f %9.2f %11.2f %7.1f%%/%4.1f%% %7.1f%% %11.1f%%\n",
                    static_cast<long long>(d), 100 * r.accuracy, r.linf, r.l2, r.l1_over_l2,
                    std::sqrt(2 * static_cast<double>(d) / M_PI), 100 * r.fgsm_above,
                    100 * r.fgsm_below, 100 * r.fgm_above, 100 * r.fixed_eps_accuracy);
    }

    // ---- figure: eps needed against d (log-log: x is log2 d, labelled with d), and accuracy
    std::vector<double> lx, linf, l2, ref, acc, acc_fixed;
    std::vector<plot::Tick> ticks;
    for (const DimResult& r : rs) {
        const double l = std::log2(static_cast<double>(r.d));
        lx.push_back(l);
        linf.push_back(r.linf);
        l2.push_back(r.l2);
        // 1/sqrt(d) through the first point: the L-inf eps if ||w||_1 / ||w||_2 grew like
        // sqrt(d) and the L2 eps stayed put.
        ref.push_back(rs.front().linf * std::sqrt(static_cast<double>(rs.front().d) / r.d));
        acc.push_back(r.accuracy);
        acc_fixed.push_back(r.fixed_eps_accuracy);
        ticks.push_back({l, std::to_string(r.d)});
    }
    plot::Figure fig({.title = "Logistic regression on the same task in d dimensions",
                      .width = 1100,
                      .height = 420},
                     {{.title = "mean smallest flipping perturbation (test points)",
                       .xlabel = "input dimension d",
                       .ylabel = "eps",
                       .logy = true,
                       .legend = plot::Legend::BottomLeft,
                       .xticks = ticks},
                      {.title = "accuracy",
                       .xlabel = "input dimension d",
                       .ylabel = "accuracy",
                       .ylim = plot::Range{0, 1},
                       .legend = plot::Legend::BottomLeft,
                       .xticks = ticks}});
    fig.axes(0).line(lx, l2, "L2");
    fig.axes(0).line(lx, linf, "L-inf");
    fig.axes(0).line(lx, ref, "1/sqrt(d)", {.color = "#888", .width = 1.5, .dashed = true});
    fig.axes(1).line(lx, acc, "clean");
    fig.axes(1).line(lx, acc_fixed, strf("under FGSM, L-inf eps = %g", kFixedEps));

    Result result;
    result.figures.push_back(ctx.path("21_input_dimension.svg"));
    fig.save(result.figures.back());
    const DimResult &lo = rs.front(), &hi = rs.back();
    double worst_above = 1, worst_below = 0, worst_fgm = 1;
    for (const DimResult& r : rs) {
        worst_above = std::min(worst_above, r.fgsm_above);
        worst_below = std::max(worst_below, r.fgsm_below);
        worst_fgm = std::min(worst_fgm, r.fgm_above);
    }
    auto& m = result.metrics;
    m["d_min"] = static_cast<double>(lo.d);
    m["d_max"] = static_cast<double>(hi.d);
    m["linf_eps_d_min"] = lo.linf;
    m["linf_eps_d_max"] = hi.linf;
    m["l2_eps_d_min"] = lo.l2;
    m["l2_eps_d_max"] = hi.l2;
    m["accuracy_d_min"] = lo.accuracy;
    m["accuracy_d_max"] = hi.accuracy;
    m["fixed_eps_accuracy_d_min"] = lo.fixed_eps_accuracy;
    m["fixed_eps_accuracy_d_max"] = hi.fixed_eps_accuracy;
    m["fgsm_flipped_above_min"] = worst_above;
    m["fgsm_flipped_below_max"] = worst_below;
    m["fgm_l2_flipped_above_min"] = worst_fgm;
    result.ok = hi.linf < lo.linf / 4 && worst_above >= 0.99 && worst_below <= 0.01;
    result.summary = strf(
        "logistic regression, d = %lld -> %lld: mean smallest flipping L-inf eps %.3f -> %.4f "
        "(x%.1f), L2 eps %.3f -> %.3f; clean accuracy %.1f%% -> %.1f%%, under FGSM at eps %g "
        "%.1f%% -> %.1f%%",
        static_cast<long long>(lo.d), static_cast<long long>(hi.d), lo.linf, hi.linf,
        lo.linf / hi.linf, lo.l2, hi.l2, 100 * lo.accuracy, 100 * hi.accuracy, kFixedEps,
        100 * lo.fixed_eps_accuracy, 100 * hi.fixed_eps_accuracy);
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry input_dimension_entry() {
    return {.name = "21_input_dimension",
            .slide = "Defenses against adversarial attacks",
            .caption =
                "The slide's second rule of thumb, high-dimensional inputs are easier to attack, "
                "with Goodfellow et al.'s linear argument (2015). Logistic regression (Linear(d, "
                "2), cross-entropy, 100 steps of full-batch Adam with weight decay 1e-3, 4 "
                "training points per dimension) learns the same task in d = 2 to 2048 "
                "dimensions: two Gaussian classes N(±μ, I) with ||μ||₂ = 1.5 in every d, so the "
                "best possible accuracy is 93.3% in every d, and μ a random direction, so every "
                "coordinate carries a little of the signal and none all of it. For each "
                "correctly classified test point the smallest perturbation that flips it is "
                "exact for a linear model: |w·x + b| / ||w||₁ in L∞ and / ||w||₂ in L2 (FGSM, "
                "whose step is then the optimal one, flips every point at 1.01 times the L∞ "
                "value and none at 0.99 times). Moving every coordinate by ε moves the score by "
                "ε ||w||₁, and a dense w has ||w||₁ ≈ sqrt(2d/π) ||w||₂: the L∞ perturbation "
                "needed falls like 1/sqrt(d) (dashed) while the L2 one stays near the classes' "
                "distance from the boundary, and a fixed budget ε = 0.1 that barely touches "
                "the 2-D model leaves the 2048-D one almost no correct answer. The L2 "
                "distance, and clean accuracy, drop a little at large d because w is estimated "
                "from only 4 points per dimension.",
            .run = run_input_dimension};
}

}  // namespace soma::gallery
