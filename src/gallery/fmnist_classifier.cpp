// 11: the classifier recipe on Fashion-MNIST: the benchmark's MLP and CNN trained briefly with
// train::train_fmnist (the same loop as `soma train fmnist`), their test accuracy, the CNN's
// confusion matrix and the test images it gets wrong.

#include <chrono>
#include <ostream>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/ops.h"
#include "soma/plot/png.h"
#include "soma/train/fmnist.h"

namespace soma::gallery {

namespace {

using data::datasets::FashionMNIST;

// The first `n` test images the model misclassifies, as (n, 1, 28, 28) in [0, 1].
Tensor mistakes(nn::Module& model, std::int64_t n, std::vector<std::string>& captions) {
    auto test = train::fmnist_normalized(data::datasets::Split::Test);
    NoGrad no_grad;
    model.eval();
    const Tensor x = test->inputs().narrow(0, 0, 1000);
    const std::vector<std::int64_t> p = argmax(model(x), 1).to_vector<std::int64_t>();
    const std::vector<std::int64_t> y =
        test->targets().narrow(0, 0, 1000).to_vector<std::int64_t>();
    std::vector<std::int64_t> wrong;
    for (std::size_t i = 0; i < p.size() && std::int64_t(wrong.size()) < n; ++i)
        if (p[i] != y[i]) {
            wrong.push_back(std::int64_t(i));
            captions.push_back(FashionMNIST::classes()[y[i]] + " taken for " +
                               FashionMNIST::classes()[p[i]]);
        }
    return index_select(x, 0, from_vector(wrong)) * train::kFmnistStd + train::kFmnistMean;
}

}  // namespace

Result run_fmnist_classifier(Context& ctx) {
    Result r;
    if (!FashionMNIST::available() ||
        !FashionMNIST::available(data::datasets::kFashionMnistRoot, data::datasets::Split::Test)) {
        r.ok = false;
        r.summary = "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
        return r;
    }
    // Quick mode (tests): 2000 training and 1000 test images; the full run: one epoch on 55,000.
    train::FmnistOptions base{.epochs = 1,
                              .seed = ctx.seed + 1,
                              .subset = ctx.quick ? 2000 : 0,
                              .val_size = ctx.quick ? 500 : 5000,
                              .test_size = ctx.quick ? 1000 : 0,
                              .log = &ctx.out()};
    std::string summary;
    for (const char* name : {"mlp", "cnn"}) {
        train::FmnistOptions o = base;
        o.model = name;
        const auto t0 = std::chrono::steady_clock::now();
        train::FmnistRun run = train::train_fmnist(o);
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const train::EpochRecord& e = run.history.back();
        r.metrics[std::string(name) + "_accuracy"] = run.test.accuracy;
        r.metrics[std::string(name) + "_epoch_seconds"] = e.get("seconds");
        r.metrics[std::string(name) + "_seconds"] = secs;
        summary += strf("%s%s %.2f%% after 1 epoch (%.1f s)", summary.empty() ? "" : ", ", name,
                        100 * run.test.accuracy, e.get("seconds"));
        ctx.out() << train::format_confusion(run.test.confusion, FashionMNIST::classes()) << "\n";
        if (std::string(name) == "cnn") {
            const std::string cm = ctx.path("11_fmnist_cnn_confusion.svg");
            train::save_confusion_svg(cm, run.test.confusion,
                                      "CNN on the Fashion-MNIST test set (row-normalised)");
            r.figures.push_back(cm);
            std::vector<std::string> captions;
            const Tensor wrong = mistakes(*run.model, 32, captions);
            const std::string grid = ctx.path("11_fmnist_cnn_mistakes.png");
            plot::save_png_grid(grid, wrong, 8, {.scale = 2});
            r.figures.push_back(grid);
            ctx.out() << "first misclassified test images (row by row):\n";
            for (const std::string& c : captions) ctx.out() << "  " << c << "\n";
        }
    }
    // The slide's claim: a CNN beats the MLP, and one epoch already classifies well.
    const double cnn = r.metrics["cnn_accuracy"], mlp = r.metrics["mlp_accuracy"];
    r.ok = ctx.quick ? cnn >= 0.65 && mlp >= 0.65 : cnn >= 0.865;
    r.summary = "Fashion-MNIST, Adam 1e-3: " + summary +
                (ctx.quick ? " (quick: 2000 training images)" : "");
    return r;
}

}  // namespace soma::gallery
