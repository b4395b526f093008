// 13: the lecture's VAE example as on the slide: Fashion-MNIST, encoder 784 -> 64 -> 32 ->
// (μ, σ) in 2-D, decoder 2 -> 32 -> 64 -> 784. Figures: the test images' latent means coloured by
// class, the images decoded from a regular grid of latent points ("decoded random noise"), and
// the loss per batch and per epoch (the slide notes that it fluctuates).

#include <algorithm>
#include <cmath>
#include <ostream>
#include <vector>

#include "entries.h"
#include "soma/autograd.h"
#include "soma/data/fashion_mnist.h"
#include "soma/models/vae.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"
#include "soma/plot/png.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

using data::datasets::FashionMNIST;
using data::datasets::Split;

constexpr int kGrid = 15;            // decoded images per side of the latent grid
constexpr double kGridExtent = 2.5;  // the grid spans [-2.5, 2.5]² (the prior's bulk)

// The mean ELBO loss per image over x, in batches (one sample of z per image).
double mean_loss(models::VAE& vae, const Tensor& x, Generator& gen) {
    NoGrad no_grad;
    double total = 0;
    const std::int64_t n = x.size(0), batch = 1000;
    for (std::int64_t i = 0; i < n; i += batch) {
        const Tensor b = x.narrow(0, i, std::min(batch, n - i));
        total += vae.loss(b, vae.forward(b, &gen)).loss.item() * b.size(0);
    }
    return total / n;
}

// Nearest class centroid in the latent space (centroids from the training codes): how well the
// 2-D code separates the classes without ever seeing a label. Chance is 10%.
double centroid_accuracy(const Tensor& train_mu, const Tensor& train_y, const Tensor& test_mu,
                         const Tensor& test_y) {
    std::vector<double> cx(10, 0), cy(10, 0), count(10, 0);
    const std::vector<float> m = train_mu.to_vector<float>();
    const std::vector<std::int64_t> y = train_y.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < y.size(); ++i)
        cx[y[i]] += m[2 * i], cy[y[i]] += m[2 * i + 1], count[y[i]] += 1;
    for (int c = 0; c < 10; ++c) cx[c] /= std::max(1.0, count[c]), cy[c] /= std::max(1.0, count[c]);
    const std::vector<float> t = test_mu.to_vector<float>();
    const std::vector<std::int64_t> ty = test_y.to_vector<std::int64_t>();
    std::size_t right = 0;
    for (std::size_t i = 0; i < ty.size(); ++i) {
        int best = 0;
        double best_d = INFINITY;
        for (int c = 0; c < 10; ++c) {
            const double d = std::hypot(t[2 * i] - cx[c], t[2 * i + 1] - cy[c]);
            if (d < best_d) best_d = d, best = c;
        }
        right += best == ty[i];
    }
    return static_cast<double>(right) / ty.size();
}

Result run_vae(Context& ctx) {
    Result r;
    if (!FashionMNIST::available() ||
        !FashionMNIST::available(data::datasets::kFashionMnistRoot, Split::Test)) {
        r.ok = false;
        r.summary = "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
        return r;
    }
    std::ostream& out = ctx.out();
    const FashionMNIST train_set, test_set(data::datasets::kFashionMnistRoot, Split::Test);
    // Quick mode (tests): 12,000 training images for 3 epochs, 2,000 test images.
    const std::int64_t n_train = ctx.quick ? 12000 : train_set.size();
    const std::int64_t n_test = ctx.quick ? 2000 : test_set.size();
    const int epochs = ctx.quick ? 3 : 10;
    const std::int64_t batch = 128;
    const Tensor x_train = train_set.images().narrow(0, 0, n_train);  // (N, 1, 28, 28) in [0, 1]
    const Tensor y_train = train_set.labels().narrow(0, 0, n_train);
    const Tensor x_test = test_set.images().narrow(0, 0, n_test);
    const Tensor y_test = test_set.labels().narrow(0, 0, n_test);

    Generator gen(ctx.seed * 1000 + 15);
    auto vae = models::mlp_vae(
        {.input_dim = 784, .hidden = {64, 32}, .vae = {.latent_dim = 2}, .gen = &gen});
    optim::Adam adam(vae->parameters(), {.lr = 1e-3});
    out << "VAE 784 -> 64 -> 32 -> (mu, log sigma^2) in 2-D -> 32 -> 64 -> 784, "
        << vae->num_parameters() << " parameters; Bernoulli likelihood (binary cross-entropy "
        << "summed over the pixels) + KL, Adam 1e-3, batch 128\n";

    std::vector<double> batch_x, batch_loss, epoch_x, epoch_train, epoch_test;
    const double start_loss = mean_loss(*vae, x_test, gen);
    epoch_x.push_back(0), epoch_test.push_back(start_loss), epoch_train.push_back(NAN);
    std::int64_t seen = 0;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        const std::vector<std::int64_t> order = randperm(n_train, &gen);
        double sum = 0;
        for (std::int64_t i = 0; i < n_train; i += batch) {
            const std::int64_t b = std::min(batch, n_train - i);
            const Tensor idx = from_vector(
                std::vector<std::int64_t>(order.begin() + i, order.begin() + i + b), {b});
            const Tensor x = index_select(x_train, 0, idx);
            models::VAELoss l = vae->loss(x, vae->forward(x, &gen));
            adam.zero_grad();
            l.loss.backward();
            adam.step();
            const double v = l.loss.item();
            sum += v * b, seen += b;
            batch_x.push_back(static_cast<double>(seen) / n_train), batch_loss.push_back(v);
        }
        epoch_x.push_back(epoch), epoch_train.push_back(sum / n_train);
        epoch_test.push_back(mean_loss(*vae, x_test, gen));
        out << strf("epoch %2d  train loss %.2f  test loss %.2f nats per image\n", epoch,
                    epoch_train.back(), epoch_test.back());
    }

    NoGrad no_grad;
    const Tensor mu_test = vae->encode(x_test).first;  // (n_test, 2)
    const Tensor mu_train = vae->encode(x_train).first;
    const double separation = centroid_accuracy(mu_train, y_train, mu_test, y_test);
    out << strf("nearest class centroid in the 2-D code: %.1f%% of test images (chance 10%%)\n",
                100 * separation);

    // The latent means of the test images, one colour per class.
    plot::Figure scatter({.title = "Test images' latent means (μ), coloured by class",
                          .xlabel = "z1",
                          .ylabel = "z2",
                          .width = 720,
                          .height = 560,
                          .legend = plot::Legend::TopRight});
    const std::vector<float> mv = mu_test.to_vector<float>();
    std::vector<double> zx, zy;
    for (std::size_t i = 0; i < mv.size(); i += 2) zx.push_back(mv[i]), zy.push_back(mv[i + 1]);
    const std::vector<std::int64_t> yt = y_test.to_vector<std::int64_t>();
    scatter.axes().scatter_classes(zx, zy, std::vector<int>(yt.begin(), yt.end()),
                                   FashionMNIST::classes(), 1.5);
    r.figures.push_back(ctx.path("13_vae_latent.svg"));
    scatter.save(r.figures.back());

    // Decoded random noise: a regular grid of codes, top row z2 = +extent.
    std::vector<float> grid;
    for (int i = 0; i < kGrid; ++i)
        for (int j = 0; j < kGrid; ++j) {
            grid.push_back(static_cast<float>(-kGridExtent + 2 * kGridExtent * j / (kGrid - 1)));
            grid.push_back(static_cast<float>(kGridExtent - 2 * kGridExtent * i / (kGrid - 1)));
        }
    const Tensor decoded = vae->decode(from_vector(grid, {kGrid * kGrid, 2}));  // (225, 784)
    r.figures.push_back(ctx.path("13_vae_decoded_grid.png"));
    plot::save_png_grid(r.figures.back(), decoded.reshape({kGrid * kGrid, 28, 28}), kGrid);

    plot::Figure curve({.title = "VAE loss (nats per image): per batch and per epoch",
                        .xlabel = "epoch",
                        .ylabel = "reconstruction + KL",
                        .width = 720,
                        .height = 420});
    curve.line(batch_x, batch_loss, "training batch", {.color = "#9ecae1", .width = 1});
    curve.line(epoch_x, epoch_train, "training, epoch mean");
    curve.line(epoch_x, epoch_test, "test set");
    curve.axes().options().ylim = plot::Range{
        std::min(*std::min_element(batch_loss.begin(), batch_loss.end()), epoch_test.back()) - 5,
        std::max(epoch_test[1], epoch_train[1]) + 40};
    r.figures.push_back(ctx.path("13_vae_loss.svg"));
    curve.save(r.figures.back());

    r.metrics["test_loss"] = epoch_test.back();
    r.metrics["start_test_loss"] = start_loss;
    r.metrics["latent_centroid_accuracy"] = separation;
    // Learned: the loss fell far below its start, and the code separates classes unsupervised.
    r.ok = epoch_test.back() < 0.6 * start_loss && separation > 0.3;
    r.summary = strf(
        "VAE 784-64-32-2 on Fashion-MNIST, %d epochs: test loss %.1f nats per image (%.1f before "
        "training); the 2-D code's class centroids classify %.1f%% of test images (chance 10%%)",
        epochs, epoch_test.back(), start_loss, 100 * separation);
    out << "\n" << r.summary << "\n";
    return r;
}

}  // namespace

Entry vae_entry() {
    return {
        .name = "13_vae",
        .slide = "Variational Auto-Encoder example",
        .caption =
            "The slide's VAE on Fashion-MNIST: the encoder 784 -> 64 -> 32 gives the mean μ and "
            "log-variance of a 2-D Gaussian, a code is sampled as μ + ε ⊙ σ, and the decoder 2 -> "
            "32 -> 64 -> 784 gives each pixel's probability; the loss is the pixels' summed "
            "binary cross-entropy plus the KL divergence to N(0, I). First figure: the test "
            "images' μ, coloured by class (never shown to the model) - similar clothes land "
            "together. Second: images decoded from a regular 15 x 15 grid of codes over "
            "[-2.5, 2.5]², i.e. decoded noise from the prior, morphing from one kind of garment "
            "to the next. Third: the loss per batch fluctuates, as the slide says, while the "
            "epoch means fall.",
        .run = run_vae};
}

}  // namespace soma::gallery
