// 06: the lecture's regressor and classifier recipes on real data (scikit-learn's bundled
// diabetes and digits sets): standardised vectors -> Linear/ReLU layers -> RMSE or softmax
// cross-entropy -> Adam with weight decay; held-out RMSE and accuracy on a 20% test split.

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/data/csv.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/plot/png.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

struct Split {
    Tensor x_train, y_train, x_test, y_test;
};

// A seeded shuffle, then the last `test_fraction` of the rows held out.
Split split_rows(const Tensor& x, const Tensor& y, double test_fraction, Generator& gen) {
    const std::int64_t n = x.size(0), n_test = std::llround(n * test_fraction);
    std::vector<std::int64_t> perm = randperm(n, &gen);
    Tensor train = from_vector(std::vector<std::int64_t>(perm.begin(), perm.end() - n_test));
    Tensor test = from_vector(std::vector<std::int64_t>(perm.end() - n_test, perm.end()));
    return {index_select(x, 0, train), index_select(y, 0, train), index_select(x, 0, test),
            index_select(y, 0, test)};
}

// Zero mean, unit variance per column, with the training rows' statistics (constant columns
// stay 0).
void standardise(Tensor& train, Tensor& test) {
    Tensor m = mean(train, {0}, true);
    Tensor s = clamp(sqrt(mean((train - m) * (train - m), {0}, true)), 1e-6, std::nullopt);
    train = (train - m) / s;
    test = (test - m) / s;
}

std::shared_ptr<nn::Linear> linear(std::int64_t in, std::int64_t out, Generator& gen) {
    return std::make_shared<nn::Linear>(nn::LinearOptions{.in = in, .out = out, .gen = &gen});
}

// Minibatch epochs of Adam on `loss_fn(net(x_b), y_b)`; after each epoch `on_epoch` evaluates.
template <class LossFn, class OnEpoch>
void train(nn::Sequential& net, optim::Adam& opt, const Split& d, int epochs, int batch,
           Generator& gen, LossFn loss_fn, OnEpoch on_epoch) {
    const std::int64_t n = d.x_train.size(0);
    for (int e = 0; e < epochs; ++e) {
        std::vector<std::int64_t> perm = randperm(n, &gen);
        for (std::int64_t start = 0; start < n; start += batch) {
            std::int64_t end = std::min<std::int64_t>(start + batch, n);
            Tensor idx =
                from_vector(std::vector<std::int64_t>(perm.begin() + start, perm.begin() + end));
            Tensor loss =
                loss_fn(net(index_select(d.x_train, 0, idx)), index_select(d.y_train, 0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        NoGrad no_grad;
        on_epoch();
    }
}

std::vector<double> iota(std::size_t n) {
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i + 1);
    return v;
}

Result run_recipes(Context& ctx) {
    std::ostream& out = ctx.out();
    const std::string dir = sklearn_data_dir();
    check(!dir.empty(),
          "06_recipes: scikit-learn's data sets not found; run scripts/setup.sh "
          "(or set SOMA_SKLEARN_DATA to a folder with iris.csv, digits.csv.gz, ...)");
    auto file = [&](const char* name) { return (std::filesystem::path(dir) / name).string(); };
    Generator gen(ctx.seed * 1000 + 6);
    Result result;

    // ---- regressor: diabetes, 442 patients, 10 features -> disease progression after a year
    Tensor xd = data::read_csv(file("diabetes_data_raw.csv.gz"), {.delimiter = ' '}).tensor();
    Tensor yd = data::read_csv(file("diabetes_target.csv.gz")).tensor();  // (442, 1)
    Split reg = split_rows(xd, yd, 0.2, gen);
    standardise(reg.x_train, reg.x_test);
    const double y_mean = mean(reg.y_train).item(),
                 y_std = std::sqrt(mean((reg.y_train - y_mean) * (reg.y_train - y_mean)).item());
    Split regz = reg;  // targets standardised too, so the default learning rate suits them
    regz.y_train = (reg.y_train - y_mean) / y_std;
    regz.y_test = (reg.y_test - y_mean) / y_std;
    nn::Sequential regressor{linear(10, 32, gen), std::make_shared<nn::ReLU>(), linear(32, 32, gen),
                             std::make_shared<nn::ReLU>(), linear(32, 1, gen)};
    optim::Adam reg_opt(regressor.parameters(), {.lr = 1e-3, .weight_decay = 3e-2});
    std::vector<double> reg_train, reg_test;
    train(regressor, reg_opt, regz, ctx.quick ? 30 : 60, 32, gen, nn::rmse_loss, [&] {
        reg_train.push_back(nn::rmse_loss(regressor(regz.x_train), regz.y_train).item() * y_std);
        reg_test.push_back(nn::rmse_loss(regressor(regz.x_test), regz.y_test).item() * y_std);
    });
    const double baseline = std::sqrt(mean((reg.y_test - y_mean) * (reg.y_test - y_mean)).item());
    out << "Regressor on diabetes (" << reg.x_train.size(0) << " train / " << reg.x_test.size(0)
        << " test):\n"
        << regressor << "\n"
        << strf("test RMSE %.1f (predicting the training mean: %.1f)\n\n", reg_test.back(),
                baseline);

    // ---- classifier: digits, 1797 images of 8x8 pixels (0..16) -> 10 classes
    data::Labeled digits = data::split_label(data::read_csv(file("digits.csv.gz")), -1);
    Split cls = split_rows(digits.features, digits.labels, 0.2, gen);
    Tensor test_images = cls.x_test;  // before standardising, for the image grid
    standardise(cls.x_train, cls.x_test);
    nn::Sequential classifier{linear(64, 64, gen), std::make_shared<nn::ReLU>(),
                              linear(64, 10, gen)};
    optim::Adam cls_opt(classifier.parameters(), {.lr = 1e-3, .weight_decay = 1e-4});
    auto ce = [](const Tensor& logits, const Tensor& y) { return nn::cross_entropy(logits, y); };
    std::vector<double> cls_train, cls_test;
    train(classifier, cls_opt, cls, ctx.quick ? 10 : 30, 32, gen, ce, [&] {
        cls_train.push_back(ce(classifier(cls.x_train), cls.y_train).item());
        cls_test.push_back(ce(classifier(cls.x_test), cls.y_test).item());
    });
    NoGrad no_grad;
    std::vector<std::int64_t> pred = argmax(classifier(cls.x_test), 1).to_vector<std::int64_t>();
    std::vector<std::int64_t> truth = cls.y_test.to_vector<std::int64_t>();
    std::vector<std::int64_t> wrong;
    for (std::size_t i = 0; i < pred.size(); ++i)
        if (pred[i] != truth[i]) wrong.push_back(static_cast<std::int64_t>(i));
    const double accuracy = 1.0 - static_cast<double>(wrong.size()) / pred.size();
    out << "Classifier on digits (" << cls.x_train.size(0) << " train / " << cls.x_test.size(0)
        << " test):\n"
        << classifier << "\n"
        << strf("test accuracy %.2f%% (%zu of %zu wrong)\n", 100 * accuracy, wrong.size(),
                pred.size());
    if (!wrong.empty()) {
        out << "wrong (true -> predicted):";
        for (std::int64_t i : wrong) out << " " << truth[i] << "->" << pred[i];
        out << "\n";
    }

    // ---- figures
    plot::Figure curves({.title = "Recipes: training curves", .width = 1000, .height = 380},
                        {{.title = "regressor (diabetes)", .xlabel = "epoch", .ylabel = "RMSE"},
                         {.title = "classifier (digits)",
                          .xlabel = "epoch",
                          .ylabel = "cross-entropy",
                          .logy = true}});
    curves.axes(0).line(iota(reg_train.size()), reg_train, "train");
    curves.axes(0).line(iota(reg_test.size()), reg_test, "test");
    curves.axes(0).line({1, static_cast<double>(reg_test.size())}, {baseline, baseline},
                        "test, predicting the mean", {.color = "#777", .width = 1, .dashed = true});
    curves.axes(1).line(iota(cls_train.size()), cls_train, "train");
    curves.axes(1).line(iota(cls_test.size()), cls_test, "test");
    result.figures.push_back(ctx.path("06_recipes.svg"));
    curves.save(result.figures.back());

    std::vector<double> actual = reg.y_test.to_vector<double>();
    std::vector<double> predicted = (regressor(regz.x_test) * y_std + y_mean).to_vector<double>();
    plot::Figure scatter({.title = "Diabetes: held-out predictions",
                          .xlabel = "actual",
                          .ylabel = "predicted",
                          .width = 460,
                          .height = 420,
                          .legend = plot::Legend::TopLeft});
    scatter.line({25, 346}, {25, 346}, "perfect", {.color = "#777", .width = 1, .dashed = true});
    scatter.scatter(actual, predicted, "test patients", {.size = 3});
    result.figures.push_back(ctx.path("06_recipes_diabetes.svg"));
    scatter.save(result.figures.back());

    // The misclassified test digits (or the first ones when there are none), dark on light.
    std::vector<std::int64_t> show = wrong;
    if (show.empty())
        for (std::int64_t i = 0; i < 10; ++i) show.push_back(i);
    Tensor images =
        1.0 - index_select(test_images, 0, from_vector(show)).reshape({-1, 8, 8}) / 16.0;
    result.figures.push_back(ctx.path("06_recipes_digits_errors.png"));
    plot::save_png_grid(result.figures.back(), images, 10, {.scale = 4});

    result.metrics["test_rmse"] = reg_test.back();
    result.metrics["baseline_rmse"] = baseline;
    result.metrics["test_accuracy"] = accuracy;
    result.ok = reg_test.back() < baseline && accuracy > 0.9;
    result.summary = strf(
        "regressor 10-32-32-1 on diabetes: test RMSE %.1f (mean predictor %.1f); "
        "classifier 64-64-10 on digits: test accuracy %.1f%%",
        reg_test.back(), baseline, 100 * accuracy);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

// scripts/setup.sh extracts the CSV files from Debian's python3-sklearn without installing it.
std::string sklearn_data_dir() {
    namespace fs = std::filesystem;
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("SOMA_SKLEARN_DATA"); env && *env) return env;
    candidates.push_back("/var/cache/soma/sklearn");
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        candidates.push_back(std::string(xdg) + "/soma/sklearn");
    if (const char* home = std::getenv("HOME"); home && *home)
        candidates.push_back(std::string(home) + "/.cache/soma/sklearn");
    candidates.push_back("/usr/lib/python3/dist-packages/sklearn/datasets/data");
    for (const std::string& dir : candidates) {
        std::error_code ec;
        if (fs::exists(fs::path(dir) / "iris.csv", ec)) return dir;
    }
    return "";
}

Entry recipes_entry() {
    return {
        .name = "06_recipes",
        .slide = "Recipes for neural network construction",
        .caption =
            "The two recipes on real data from scikit-learn's bundled sets. Regressor: the "
            "diabetes "
            "data (10 standardised features) through Linear/ReLU layers to one output, RMSE loss, "
            "Adam with weight decay. Classifier: the 8×8 digits through Linear/ReLU layers to ten "
            "logits, softmax cross-entropy, Adam with weight decay. Both report held-out numbers "
            "on a 20% test split; the curves show training and test loss per epoch, and the image "
            "grid shows the test digits the classifier gets wrong.",
        .run = run_recipes};
}

}  // namespace soma::gallery
