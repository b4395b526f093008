// 27: "overparametrise, then regularise" and double descent (Belkin et al. 2019; Nakkiran et al.
// 2020): a two-layer network with a random, fixed first layer of growing width whose second layer
// is fitted by least squares with the smallest norm (where gradient descent from zero lands),
// on a small training set with noisy labels. Test error falls, peaks where the width reaches the
// number of training examples (the net can just interpolate the noise), and falls again beyond.
// Ridge regularisation removes the peak.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"
#include "soma/random.h"

// LAPACK's Cholesky solve, from the OpenBLAS soma links (its lapack part).
extern "C" void dposv_(const char* uplo, const int* n, const int* nrhs, double* a, const int* lda,
                       double* b, const int* ldb, int* info);

namespace soma::gallery {

namespace {

constexpr std::int64_t kTrain = 400;  // training examples: the interpolation threshold
constexpr double kLabelNoise = 0.2;   // share of training labels replaced by random ones

// Solves (A + lambda I) X = B for symmetric positive definite A (n, n) and B (n, k), in place.
std::vector<double> solve_spd(std::vector<double> a, std::int64_t n, std::vector<double> b,
                              std::int64_t k, double lambda) {
    for (std::int64_t i = 0; i < n; ++i) a[i * n + i] += lambda;
    // Row-major symmetric A is its own column-major; B goes column-major.
    std::vector<double> bc(static_cast<std::size_t>(n * k));
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < k; ++j) bc[j * n + i] = b[i * k + j];
    const int ni = int(n), ki = int(k);
    int info = 0;
    dposv_("U", &ni, &ki, a.data(), &ni, bc.data(), &ni, &info);
    soma::check(info == 0, "27_double_descent: the system is not positive definite (info ", info,
                ")");
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < k; ++j) b[i * k + j] = bc[j * n + i];
    return b;
}

std::vector<double> to_doubles(const Tensor& t) {
    return t.to(kFloat64).contiguous().to_vector<double>();
}

// Test error of the random-features net of `width` ReLU features, second layer fitted to the
// one-hot targets by ridge regression with `lambda` (1e-8: the smallest-norm interpolant).
double test_error(const Tensor& x_train, const Tensor& targets, const Tensor& x_test,
                  const Tensor& y_test, std::int64_t width, double lambda, Generator& gen) {
    NoGrad no_grad;
    const Tensor w = randn({kBlobDim, width}, &gen, kFloat64) * (1.0 / std::sqrt(double(kBlobDim)));
    const Tensor b = randn({1, width}, &gen, kFloat64) * 0.5;
    const Tensor phi = relu(add(matmul(x_train, w), b));      // (n, p)
    const Tensor phi_test = relu(add(matmul(x_test, w), b));  // (m, p)
    const std::int64_t n = phi.size(0);
    Tensor coef;      // (p, C)
    if (width < n) {  // (Phi^T Phi + lambda I) coef = Phi^T Y
        const auto sol = solve_spd(to_doubles(matmul(phi.t(), phi)), width,
                                   to_doubles(matmul(phi.t(), targets)), kBlobClasses, lambda);
        coef = from_vector(sol, {width, kBlobClasses}, kFloat64);
    } else {  // coef = Phi^T (Phi Phi^T + lambda I)^-1 Y: the smallest-norm fit
        const auto alpha = solve_spd(to_doubles(matmul(phi, phi.t())), n, to_doubles(targets),
                                     kBlobClasses, lambda);
        coef = matmul(phi.t(), from_vector(alpha, {n, kBlobClasses}, kFloat64));
    }
    const std::vector<std::int64_t> p = argmax(matmul(phi_test, coef), 1).to_vector<std::int64_t>();
    const std::vector<std::int64_t> y = y_test.to_vector<std::int64_t>();
    std::int64_t wrong = 0;
    for (std::size_t i = 0; i < y.size(); ++i) wrong += p[i] != y[i];
    return double(wrong) / double(y.size());
}

Result run_double_descent(Context& ctx) {
    std::ostream& out = ctx.out();
    ClassData train = blob_classes(kTrain, 1.5, ctx.seed * 100 + 1);
    const ClassData test = blob_classes(4000, 1.5, ctx.seed * 100 + 2);
    Generator gen(ctx.seed * 100 + 27);
    {  // label noise on the training set only
        std::vector<std::int64_t> y = train.y.to_vector<std::int64_t>();
        for (auto& v : y)
            if (gen.uniform() < kLabelNoise) v = gen.randint(0, kBlobClasses);
        train.y = from_vector(y, {kTrain});
    }
    const Tensor targets = one_hot(train.y, kBlobClasses).to(kFloat64);  // (n, C)
    const Tensor x_train = train.x.to(kFloat64), x_test = test.x.to(kFloat64);
    const std::vector<std::int64_t> widths = {20,  50,  100, 200, 300, 350,  380,  400,
                                              420, 450, 500, 600, 800, 1200, 2000, 4000};
    const int draws = ctx.quick ? 2 : 5;  // random first layers averaged per width
    const double lambdas[2] = {1e-8, 10.0};
    std::vector<double> wx, err[2];
    out << strf("%6s %22s %22s\n", "width", "test error (min norm)", "test error (ridge 10)");
    for (std::int64_t p : widths) {
        double e[2] = {0, 0};
        for (int k = 0; k < 2; ++k) {
            Generator features(ctx.seed * 1000 + std::uint64_t(p));  // same features for both
            for (int d = 0; d < draws; ++d)
                e[k] +=
                    test_error(x_train, targets, x_test, test.y, p, lambdas[k], features) / draws;
        }
        wx.push_back(std::log2(double(p)));
        err[0].push_back(e[0]);
        err[1].push_back(e[1]);
        out << strf("%6lld %21.1f%% %21.1f%%\n", static_cast<long long>(p), 100 * e[0], 100 * e[1]);
    }

    std::vector<plot::Tick> ticks;
    for (std::int64_t p : {20, 100, 400, 1200, 4000})
        ticks.push_back({std::log2(double(p)), std::to_string(p)});
    plot::Figure fig(
        {.title = strf("Random-features nets on %lld examples with %.0f%% noisy labels",
                       static_cast<long long>(kTrain), 100 * kLabelNoise),
         .width = 800,
         .height = 460},
        {{.title = "test error against width (the peak: width = training examples)",
          .xlabel = "width (hidden units)",
          .ylabel = "test error",
          .legend = plot::Legend::TopRight,
          .xticks = ticks}});
    fig.axes(0).line(wx, err[0], "least squares, smallest norm");
    fig.axes(0).line(wx, err[1], "ridge (lambda = 10)");
    Result result;
    result.figures.push_back(ctx.path("27_double_descent.svg"));
    fig.save(result.figures.back());

    // The peak: the worst width of the unregularised curve, against both ends.
    const auto peak = std::max_element(err[0].begin(), err[0].end()) - err[0].begin();
    const double under = *std::min_element(err[0].begin(), err[0].begin() + peak);
    const double over = err[0].back();
    const double peak_ridge = err[1][peak];
    auto& m = result.metrics;
    m["peak_width"] = double(widths[peak]);
    m["peak_error"] = err[0][peak];
    m["best_underparametrised_error"] = under;
    m["widest_error"] = over;
    m["ridge_error_at_peak"] = peak_ridge;
    m["ridge_widest_error"] = err[1].back();
    result.ok = widths[peak] >= kTrain * 3 / 4 && widths[peak] <= kTrain * 5 / 4 &&
                err[0][peak] > under + 0.1 && over < err[0][peak] - 0.1 &&
                peak_ridge < err[0][peak] - 0.1;
    result.summary = strf(
        "test error %.1f%% at best below the threshold, %.1f%% at width %lld (= %lld training "
        "examples), %.1f%% at width %lld; with ridge (lambda 10) the peak is gone (%.1f%% there)",
        100 * under, 100 * err[0][peak], static_cast<long long>(widths[peak]),
        static_cast<long long>(kTrain), 100 * over, static_cast<long long>(widths.back()),
        100 * peak_ridge);
    out << result.summary << "\n";
    return result;
}

}  // namespace

Entry double_descent_entry() {
    return {
        .name = "27_double_descent",
        .slide = "How to design & train a neural net: overparametrize, then regularize",
        .caption =
            "\"Overparametrize, then regularize\", and double descent (\"not proven yet, just a "
            "neat idea\", as the slide says). Two-layer ReLU networks whose first layer is "
            "random and fixed (widths 20 to 4,000) and whose second layer is fitted to the "
            "one-hot labels by least squares with the smallest norm — where gradient descent "
            "from zero ends — on 400 examples of ten Gaussian classes, 20% of their labels "
            "replaced by random ones (label noise as in Nakkiran et al.), tested on 4,000 clean "
            "examples; each point averages several random first layers. The test error first "
            "falls with width, then climbs to a peak where the width equals the number of "
            "training examples — the net can just fit every example, noise included, and must "
            "contort to do so — and falls again as the width grows past it: the "
            "overparametrised nets interpolate too, but smoothly (here not below the best "
            "small net: the second descent needs yet wider nets). Ridge regularisation "
            "(lambda = 10) removes the peak.",
        .run = run_double_descent};
}

}  // namespace soma::gallery
