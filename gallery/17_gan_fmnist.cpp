// 17: the GAN slide on images: Fashion-MNIST, a fully connected GAN and a DCGAN-style one
// (transposed convolutions up, strided convolutions down), trained by the `soma train gan`
// recipe. Figures: each epoch's samples from the same noise, and the losses. Measured: the
// Fréchet distance between generated and test images in a small pixel space (7x7 averages),
// next to the floor that training images give and the bar of the mean image.

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/data/fashion_mnist.h"
#include "soma/ops.h"
#include "soma/ops_conv.h"
#include "soma/plot/svg.h"
#include "soma/train/generative.h"
#include "soma/train/generative_metrics.h"

namespace soma::gallery {

namespace {

using data::datasets::FashionMNIST;
using data::datasets::Split;

constexpr std::int64_t kCompared = 2000;  // images on each side of a Fréchet distance

// (N, 1, 28, 28) in [0, 1] -> (N, 49): the 4x4 block means. A feature space with no weights of
// its own, coarse enough that 2,000 images estimate its covariance well.
Tensor pixel_features(const Tensor& images) {
    NoGrad no_grad;
    return avg_pool2d(images, 4).reshape({images.size(0), 49});
}

struct GanResult {
    double fd = 0;  // to the test images
    std::vector<std::string> figures;
};

GanResult train_one(Context& ctx, const std::string& model, const train::GaussianStats& test,
                    int epochs, std::int64_t train_size) {
    std::ostream& out = ctx.out();
    const std::string dir = ctx.path("17_gan_fmnist_" + model);
    const train::GanRun run = train::train_gan({.dataset = "fmnist",
                                                .model = model,
                                                .epochs = epochs,
                                                .seed = ctx.seed * 1000 + 17,
                                                .train_size = train_size,
                                                .out_dir = dir,
                                                .log = &out});
    train::GenerativeModel m{
        .kind = "gan", .dataset = "fmnist", .model = model, .vae = nullptr, .gan = run.model};
    Generator gen(ctx.seed * 1000 + 18);
    GanResult r;
    r.fd = train::frechet_distance(train::gaussian_stats(pixel_features(m.sample(kCompared, gen))),
                                   test);
    for (int e = 1; e <= epochs; ++e)
        r.figures.push_back(dir + "/" + strf("samples_epoch_%03d.png", e));
    r.figures.push_back(dir + "/curves.svg");
    out << strf("%s GAN, %d epoch(s) on %lld images: Fréchet distance to the test images %.3f\n\n",
                model.c_str(), epochs, static_cast<long long>(train_size), r.fd);
    return r;
}

Result run_gan_fmnist(Context& ctx) {
    Result result;
    if (!FashionMNIST::available() ||
        !FashionMNIST::available(data::datasets::kFashionMnistRoot, Split::Test)) {
        result.ok = false;
        result.summary = "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
        return result;
    }
    std::ostream& out = ctx.out();
    const FashionMNIST train_set, test_set(data::datasets::kFashionMnistRoot, Split::Test);
    const train::GaussianStats test =
        train::gaussian_stats(pixel_features(test_set.images().narrow(0, 0, kCompared)));
    // The floor: real training images are as far from the test images as any model can hope.
    const double floor = train::frechet_distance(
        train::gaussian_stats(pixel_features(train_set.images().narrow(0, 0, kCompared))), test);
    // The bar: a generator that always gives the mean test image is at Tr(Σ_test) (no spread
    // at all); beating it takes both the right average and the right variety.
    const std::vector<double> cov = test.cov.to_vector<double>();  // (49, 49)
    double mean_image = 0;
    for (std::size_t i = 0; i < 49; ++i) mean_image += cov[i * 49 + i];
    out << strf(
        "Fréchet distance in 7x7-average pixel space, %lld images a side: floor "
        "(training vs test images) %.3f; the mean test image, always: %.3f\n\n",
        static_cast<long long>(kCompared), floor, mean_image);
    result.metrics["fd_floor"] = floor;
    result.metrics["fd_mean_image"] = mean_image;

    // Quick (tests): the fully connected GAN for 300 steps (3 epochs of 6,400 images); the DCGAN
    // (about 0.3 s a step on 2 cores) runs in full mode only.
    struct Plan {
        std::string model;
        int epochs;
        std::int64_t train_size;
    };
    std::vector<Plan> plans = {{"mlp", ctx.quick ? 3 : 10, ctx.quick ? 6400 : 60000}};
    if (!ctx.quick) plans.push_back({"conv", 2, 32000});
    bool learned = true;
    std::string summary;
    for (const Plan& p : plans) {
        const GanResult r = train_one(ctx, p.model, test, p.epochs, p.train_size);
        result.metrics["fd_" + p.model] = r.fd;
        result.figures.insert(result.figures.end(), r.figures.begin(), r.figures.end());
        learned = learned && r.fd < mean_image;
        summary += strf("%s GAN %.3f, ", p.model.c_str(), r.fd);
    }
    // Learned: closer to the test images than the mean image is (untrained: about twice as far).
    result.ok = learned;
    result.summary = strf(
        "GANs on Fashion-MNIST, Fréchet distance to test images in 7x7 pixel "
        "space: %sthe mean image %.3f, the floor (training images) %.3f",
        summary.c_str(), mean_image, floor);
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry gan_fmnist_entry() {
    return {
        .name = "17_gan_fmnist",
        .slide = "Generative Adversarial Networks",
        .caption =
            "The slide's game on Fashion-MNIST, with images scaled to [-1, 1]. A fully connected "
            "GAN (noise of 64 -> 256 -> 512 -> 784 leaky-ReLU units, tanh; the discriminator the "
            "same widths reversed) and a DCGAN-style one (noise -> 128 x 7 x 7 -> transposed "
            "convolutions with batch norm up to 28 x 28; strided convolutions down to a logit), "
            "each trained by `soma train gan` (Adam 2e-4, betas 0.5 / 0.999, batch 64). The "
            "figures are each epoch's samples from the same noise, and the losses. The numbers "
            "are Fréchet distances between 2,000 generated and 2,000 test images in the space of "
            "their 4 x 4 block means (no classifier needed), next to the floor that real "
            "training images reach and to the mean test image (a generator without variety); "
            "`soma eval-generative` measures the same in the feature "
            "space of a trained CNN.",
        .run = run_gan_fmnist};
}

}  // namespace soma::gallery
