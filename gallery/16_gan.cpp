// 16: the GAN slide on the toy that shows its failure mode: 2-D mixtures of Gaussians (8 on the
// unit circle with std 0.01, 25 on the grid {-4, -2, 0, 2, 4}² with std 0.05), 2-D noise, and
// the mode-collapse literature's protocol: each of 2,500 generated samples belongs to its nearest
// mode and is of high quality within 3 standard deviations of it; a mode is captured when it
// holds such a sample. The same GAN is trained plainly and with PacGAN's remedy (the
// discriminator judges four samples at once); samples over training are drawn for both.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "entries.h"
#include "soma/data/mixtures.h"
#include "soma/models/gan.h"
#include "soma/models/packed_discriminator.h"
#include "soma/nn/activation.h"
#include "soma/nn/container.h"
#include "soma/nn/linear.h"
#include "soma/nn/norm.h"
#include "soma/optim/scheduler.h"
#include "soma/plot/svg.h"

namespace soma::gallery {

namespace {

constexpr std::int64_t kSamples = 2500;  // the protocol's sample count
constexpr std::int64_t kPack = 4;
constexpr std::int64_t kWidth = 128;  // every hidden layer, G and D
constexpr int kSnapshots = 4;         // sample clouds drawn per run

// in -> `layers` x (Linear(width) [-> BatchNorm1d] -> activation) [-> Linear(out) if out > 0].
// The generator's layers are ReLU with batch norm, the discriminator's leaky ReLU without.
std::shared_ptr<nn::Sequential> mlp(std::int64_t in, int layers, std::int64_t out, bool generator,
                                    Generator& gen) {
    auto net = std::make_shared<nn::Sequential>();
    std::int64_t width = in;
    for (int l = 0; l < layers; ++l) {
        net->push_back(std::make_shared<nn::Linear>(
            nn::LinearOptions{.in = width, .out = kWidth, .gen = &gen}));
        if (generator)
            net->push_back(
                std::make_shared<nn::BatchNorm1d>(nn::BatchNormOptions{.num_features = kWidth}));
        net->push_back(generator ? std::shared_ptr<nn::Module>(std::make_shared<nn::ReLU>())
                                 : std::make_shared<nn::LeakyReLU>(0.2));
        width = kWidth;
    }
    if (out > 0)
        net->push_back(
            std::make_shared<nn::Linear>(nn::LinearOptions{.in = width, .out = out, .gen = &gen}));
    return net;
}

// Three hidden layers either way. Plain: one sample -> a logit. Packed: two layers see each of
// the pack's samples alone, the third sees the pack's features side by side.
std::shared_ptr<nn::Module> discriminator(bool packed, Generator& gen) {
    if (!packed) return mlp(2, 3, 1, false, gen);
    // Built in a fixed order (the joint layers first, then the per-sample ones): the measured
    // runs drew their initial weights in this order, and function arguments have none.
    auto joint = mlp(kPack * kWidth, 1, 1, false, gen);
    auto per_sample = mlp(2, 2, 0, false, gen);
    return std::make_shared<models::PackedDiscriminator>(per_sample, joint, kPack);
}

struct ToyRun {
    data::ModeCoverage coverage;
    std::vector<int> snapshot_steps;
    std::vector<Tensor> snapshots;  // (kSamples, 2) each; the last is the final model's
};

ToyRun train_toy(const data::Mixture& mixture, bool packed, int steps, std::uint64_t seed) {
    Generator gen(seed), noise(seed + 1), data_gen(seed + 2);
    const std::int64_t pack = packed ? kPack : 1;
    // Two discriminator updates per generator update: with one, the discriminator learned the
    // modes' fine structure too slowly and fewer samples ended within 3 std of a mode.
    // The discriminator's weights are drawn before the generator's (the measured runs' order).
    auto d = discriminator(packed, gen);
    auto g = mlp(2, 3, 2, true, gen);
    models::GAN gan(
        g, d,
        {.latent_dim = 2, .lr_g = 5e-4, .lr_d = 5e-4, .d_steps = 2, .pack = pack, .gen = &noise});
    // Annealing both learning rates to near zero lets the players settle: at a constant rate the
    // generator keeps circling the modes and fewer of its points land within 3 std of one.
    optim::CosineAnnealingLR anneal_g(gan.optimizer_g(), {.t_max = steps, .eta_min = 5e-6});
    optim::CosineAnnealingLR anneal_d(gan.optimizer_d(), {.t_max = steps, .eta_min = 5e-6});
    ToyRun r;
    // Both GANs see 256 real samples per step: the packed one as 64 packs of 4.
    const std::int64_t batch = 256;
    for (int step = 1; step <= steps; ++step) {
        gan.step(mixture.sample(batch, &data_gen));
        anneal_g.step();
        anneal_d.step();
        if (step * kSnapshots % steps == 0) {
            r.snapshot_steps.push_back(step);
            // Batch norm in evaluation mode: samples from the running statistics, independent
            // of each other (in training mode each sample would depend on the whole batch).
            gan.generator->eval();
            r.snapshots.push_back(gan.sample(kSamples));
            gan.generator->train();
        }
    }
    r.coverage = data::mode_coverage(r.snapshots.back(), mixture);
    return r;
}

void draw(plot::Axes& ax, const data::Mixture& mixture, const Tensor& samples) {
    const std::vector<float> s = samples.to_vector<float>();
    std::vector<double> xs, ys, cx, cy;
    for (std::size_t i = 0; i < s.size(); i += 2) xs.push_back(s[i]), ys.push_back(s[i + 1]);
    for (std::size_t k = 0; k < mixture.centers.size(); k += 2)
        cx.push_back(mixture.centers[k]), cy.push_back(mixture.centers[k + 1]);
    ax.scatter(xs, ys, "generated", {.color = "#1f77b4", .size = 1});
    ax.scatter(cx, cy, "modes", {.color = "#d62728", .marker = plot::Marker::Cross, .size = 4});
}

// One figure per run: its sample clouds over training, side by side.
std::string draw_run(Context& ctx, const std::string& name, const std::string& title,
                     const data::Mixture& mixture, double lim, const ToyRun& run) {
    std::vector<plot::AxesOptions> panels;
    for (int step : run.snapshot_steps)
        panels.push_back({.title = strf("step %d", step),
                          .xlim = plot::Range{-lim, lim},
                          .ylim = plot::Range{-lim, lim},
                          .legend = plot::Legend::None});
    plot::Figure fig({.title = title, .width = 1200, .height = 330}, panels);
    for (std::size_t i = 0; i < run.snapshots.size(); ++i)
        draw(fig.axes(i), mixture, run.snapshots[i]);
    const std::string path = ctx.path(name);
    fig.save(path);
    return path;
}

Result run_gan(Context& ctx) {
    std::ostream& out = ctx.out();
    struct Toy {
        std::string name;
        data::Mixture mixture;
        double lim;
        int steps, quick_steps;
    };
    const std::vector<Toy> toys = {{"ring", data::gaussian_ring(8, 1.0, 0.01), 1.5, 10000, 600},
                                   {"grid", data::gaussian_grid(5, 2.0, 0.05), 5.5, 20000, 1200}};
    Result result;
    out << strf("%-5s %-9s %6s %8s %14s\n", "toy", "GAN", "steps", "modes", "high quality");
    for (const Toy& t : toys)
        for (bool packed : {false, true}) {
            const int steps = ctx.quick ? t.quick_steps : t.steps;
            const ToyRun r = train_toy(t.mixture, packed, steps, ctx.seed * 1000 + 16);
            const std::string key = t.name + (packed ? "_pac" : "_plain");
            const char* label = packed ? "PacGAN-4" : "plain";
            result.metrics[key + "_modes"] = static_cast<double>(r.coverage.modes);
            result.metrics[key + "_high_quality"] = r.coverage.high_quality;
            out << strf("%-5s %-9s %6d %4lld/%-3lld %13.1f%%\n", t.name.c_str(), label, steps,
                        static_cast<long long>(r.coverage.modes),
                        static_cast<long long>(t.mixture.modes()), 100 * r.coverage.high_quality);
            result.figures.push_back(draw_run(
                ctx, "16_gan_" + key + ".svg",
                strf("%s, %s GAN: 2,500 samples over training - %lld/%lld modes, %.0f%% high "
                     "quality at the end",
                     t.name.c_str(), label, static_cast<long long>(r.coverage.modes),
                     static_cast<long long>(t.mixture.modes()), 100 * r.coverage.high_quality),
                t.mixture, t.lim, r));
        }

    const auto& m = result.metrics;
    // Learned: with the remedy the generator reaches most modes, on the ring with most samples
    // close to one (the grid's samples gather more slowly: quick runs are short).
    result.ok = m.at("ring_pac_modes") >= 7 && m.at("grid_pac_modes") >= 18 &&
                m.at("ring_pac_high_quality") > 0.3;
    result.summary = strf(
        "GAN on 2-D mixtures: ring %g/8 modes plain, %g/8 PacGAN-4; grid %g/25 plain, %g/25 "
        "PacGAN-4 (high-quality samples: ring %.0f%% / %.0f%%, grid %.0f%% / %.0f%%)",
        m.at("ring_plain_modes"), m.at("ring_pac_modes"), m.at("grid_plain_modes"),
        m.at("grid_pac_modes"), 100 * m.at("ring_plain_high_quality"),
        100 * m.at("ring_pac_high_quality"), 100 * m.at("grid_plain_high_quality"),
        100 * m.at("grid_pac_high_quality"));
    out << "\n" << result.summary << "\n";
    return result;
}

}  // namespace

Entry gan_entry() {
    return {
        .name = "16_gan",
        .slide = "Generative Adversarial Networks",
        .caption =
            "A generator (2-D noise -> three layers of 128 ReLU units with batch norm -> a point) "
            "and a discriminator (three layers of 128 leaky-ReLU units -> a logit) play the "
            "slide's "
            "game on two mixtures of Gaussians: 8 on the unit circle (std 0.01) and 25 on a grid "
            "(std 0.05). The discriminator is trained to tell data from generated points, the "
            "generator to fool it (the non-saturating loss -log D(G(z))); Adam with betas (0.5, "
            "0.999), both learning rates annealed from 5e-4, two discriminator updates per "
            "generator "
            "update. Plain GANs tend to drop modes; "
            "PacGAN's remedy lets the discriminator judge four samples at once (its first two "
            "layers see each sample alone, the third all four), so a generator that covers too "
            "few modes is easy to spot. The protocol is the literature's: 2,500 samples, each "
            "assigned to its nearest mode, of high quality within 3 std; a mode is captured when "
            "it holds one such sample.",
        .run = run_gan};
}

}  // namespace soma::gallery
