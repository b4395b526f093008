// 18: the adversarial-attack slides on Fashion-MNIST: the fast gradient sign method against the
// recipe's CNN. An imperceptible step of eps along the sign of the input gradient flips most
// predictions, while random-sign noise of exactly the same size barely matters: the attack is
// the direction, not the size.

#include <ostream>
#include <string>
#include <vector>

#include "entries.h"
#include "soma/attack/fgsm.h"
#include "soma/autograd.h"
#include "soma/data/fashion_mnist.h"
#include "soma/ops.h"
#include "soma/plot/png.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

using data::datasets::FashionMNIST;

// x + eps * (a random sign per pixel), clipped to [0, 1]: the control with FGSM's L-inf size.
Tensor random_sign_noise(const Tensor& x, double eps, Generator& gen) {
    NoGrad no_grad;
    const Tensor signs = sign(rand(x.shape(), &gen) - 0.5);
    return clamp(x + eps * signs, 0.0, 1.0);
}

// Rows of 8: clean images the model gets right, their FGSM versions, and the perturbation
// (0.5 gray = unchanged, white +eps, black -eps). Prints both labels of each column.
std::string example_grid(Context& ctx, nn::Module& model, const PixelImages& test, double eps) {
    NoGrad no_grad;
    const Tensor x = test.images.narrow(0, 0, 64), y = test.labels.narrow(0, 0, 64);
    const Tensor xa = attack::fgsm(model, x, y, eps);
    const std::vector<std::int64_t> clean = argmax(model(x), 1).to_vector<std::int64_t>();
    const std::vector<std::int64_t> adv = argmax(model(xa), 1).to_vector<std::int64_t>();
    const std::vector<std::int64_t> labels = y.to_vector<std::int64_t>();
    std::vector<std::int64_t> picked;  // right before, wrong after
    for (std::size_t i = 0; i < labels.size() && picked.size() < 8; ++i)
        if (clean[i] == labels[i] && adv[i] != labels[i]) picked.push_back(std::int64_t(i));
    if (picked.empty()) return "";
    const Tensor idx = from_vector(picked);
    const Tensor xs = index_select(x, 0, idx), as = index_select(xa, 0, idx);
    const Tensor grid = cat({xs, as, 0.5 + (as - xs) / (2 * eps)}, 0);
    const std::string path = ctx.path("18_fgsm_examples.png");
    plot::save_png_grid(path, grid, int(picked.size()), {.scale = 3});
    ctx.out() << strf("18_fgsm_examples.png, eps = %.2f, column by column (true -> after FGSM):\n",
                      eps);
    for (std::int64_t i : picked)
        ctx.out() << "  " << FashionMNIST::classes()[labels[i]] << " -> "
                  << FashionMNIST::classes()[adv[i]] << "\n";
    return path;
}

Result run_fgsm(Context& ctx) {
    Result r;
    if (!fmnist_available()) {
        r.ok = false;
        r.summary = "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
        return r;
    }
    // Quick (tests): one epoch on 10,000 images; full: one epoch on 55,000 (about 90% clean).
    auto model = train_pixel_classifier({.model = "cnn",
                                         .epochs = 1,
                                         .seed = ctx.seed + 18,
                                         .subset = ctx.quick ? 10000 : 0,
                                         .val_size = ctx.quick ? 500 : 5000,
                                         .test_size = 1000,
                                         .log = &ctx.out()});
    const PixelImages test = fmnist_test_pixels(ctx.quick ? 500 : 2000);
    Generator gen(ctx.seed * 1000 + 18);
    const std::vector<double> eps = {0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2};
    std::vector<double> fgsm_acc, noise_acc;
    ctx.out() << strf("\naccuracy on %lld test images:\n   eps    FGSM   random signs\n",
                      static_cast<long long>(test.images.size(0)));
    for (double e : eps) {
        fgsm_acc.push_back(100 *
                           accuracy_under(*model, test, [&](const Tensor& x, const Tensor& y) {
                               return attack::fgsm(*model, x, y, e);
                           }));
        noise_acc.push_back(100 * accuracy_under(*model, test, [&](const Tensor& x, const Tensor&) {
                                return random_sign_noise(x, e, gen);
                            }));
        ctx.out() << strf("  %.2f  %5.1f%%  %5.1f%%\n", e, fgsm_acc.back(), noise_acc.back());
    }
    const std::string curve = ctx.path("18_fgsm_accuracy.svg");
    plot::Figure fig({.title = "FGSM against the Fashion-MNIST CNN",
                      .xlabel = "eps (L-inf, pixels in [0, 1])",
                      .ylabel = "test accuracy (%)",
                      .ylim = plot::Range{0, 100}});
    fig.line(eps, fgsm_acc, "FGSM: eps * sign(gradient)");
    fig.line(eps, noise_acc, "random signs of the same size", {.dashed = true});
    fig.save(curve);
    r.figures.push_back(curve);
    if (std::string grid = example_grid(ctx, *model, test, 0.1); !grid.empty())
        r.figures.push_back(grid);

    const double clean = fgsm_acc[0], at_01 = fgsm_acc[4], noise_01 = noise_acc[4];
    r.metrics["clean_accuracy"] = clean / 100;
    r.metrics["fgsm_accuracy_0.1"] = at_01 / 100;
    r.metrics["noise_accuracy_0.1"] = noise_01 / 100;
    r.metrics["fgsm_accuracy_0.2"] = fgsm_acc[6] / 100;
    // The slides' claim: an attack of a size that leaves noise harmless breaks the classifier.
    r.ok = at_01 < clean / 2 && noise_01 > clean - 10;
    r.summary = strf(
        "FGSM on the Fashion-MNIST CNN: accuracy %.1f%% clean, %.1f%% at eps 0.1 (random signs of "
        "the same size: %.1f%%), %.1f%% at eps 0.2",
        clean, at_01, noise_01, fgsm_acc[6]);
    ctx.out() << "\n" << r.summary << "\n";
    return r;
}

}  // namespace

Entry fgsm_entry() {
    return {
        .name = "18_fgsm",
        .slide = "Adversarial Attacks",
        .caption =
            "The slides' definition in action: an adversarial example is an input changed by an "
            "amount too small to matter to a person that changes the model's answer. The CNN of "
            "the classifier recipe (one epoch, about 90% on the test set) is attacked with the "
            "fast "
            "gradient sign method, x + eps sign(grad_x loss), pixels kept in [0, 1]. The curve "
            "shows accuracy against eps for FGSM and for random signs of exactly the same size: "
            "the noise does almost nothing, the gradient's direction breaks the model. The grid "
            "shows clean test images (top), their FGSM versions at eps = 0.1 (middle) and the "
            "perturbation (bottom; gray is no change); the log lists the labels before and after.",
        .run = run_fgsm};
}

}  // namespace soma::gallery
