// soma train gan: a GAN on a 2-D Gaussian mixture (mode coverage) or on Fashion-MNIST.
//   soma train gan --dataset ring --epochs 20 --out out/gan-ring
//   soma train gan --dataset grid --pack 2 --out out/gan-grid        (PacGAN)
//   soma train gan --dataset fmnist --model conv --epochs 5 --out out/dcgan

#include <soma/threading.h>
#include <soma/train/generative.h>

#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct Args {
    train::GanRunOptions o{.out_dir = "out/gan"};
    int threads = 0;
    CLI::App* app = nullptr;
};

int run(Args& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    const train::GanRunOptions o = on_console(a.o, *a.app);
    const train::GanRun run = train::train_gan(o);
    if (run.interrupted) return report_stopped("gan", run.checkpoint, o.epochs);
    if (run.coverage)
        std::cout << "\nmode coverage: " << run.coverage->modes << "/" << run.total_modes
                  << " modes captured, " << 100 * run.coverage->high_quality
                  << "% of samples high quality (within 3 std of a mode)\n";
    if (!o.out_dir.empty())
        std::cout << "wrote " << o.out_dir << "/{checkpoint.safetensors, metrics.jsonl, curves.svg"
                  << (run.coverage ? ", samples.svg}" : ", samples_epoch_NNN.png}") << "\n";
    return 0;
}

}  // namespace

Command add_train_gan(CLI::App& train_app, const Globals& /*globals*/) {
    CLI::App* app = train_app.add_subcommand(
        "gan", "A GAN on a 2-D Gaussian mixture or Fashion-MNIST (sample it with soma sample)");
    auto a = std::make_shared<Args>();
    a->app = app;
    train::GanRunOptions& o = a->o;
    app->add_option("--dataset", o.dataset,
                    "ring (8 modes), grid (25 modes) or fmnist (images in [-1, 1])")
        ->check(CLI::IsMember({"ring", "grid", "fmnist"}))
        ->capture_default_str();
    app->add_option("--model", o.model, "mlp, or conv (DCGAN; fmnist only)")
        ->check(CLI::IsMember({"mlp", "conv"}))
        ->capture_default_str();
    app->add_option("--latent", o.latent, "Noise dimensions")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{4096}))
        ->capture_default_str();
    app->add_option("--hidden", o.hidden,
                    "The generator's hidden widths, comma-separated; the discriminator's are "
                    "reversed (mlp; default 128,128 for ring/grid, 256,512 for fmnist)");
    app->add_option("--pack", o.pack, "Samples the discriminator judges together (PacGAN)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{64}))
        ->capture_default_str();
    app->add_option("--d-steps", o.d_steps, "Discriminator updates per generator update")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100}))
        ->capture_default_str();
    app->add_option("--label-smoothing", o.label_smoothing,
                    "One-sided label smoothing: the real target is 1 - this, in [0, 1)")
        ->check(CLI::Range(0.0, 0.99));
    app->add_option("--epochs", o.epochs, "Epochs in total (also when resuming)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--batch-size", o.batch_size, "Batch size (a multiple of --pack)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
        ->capture_default_str();
    app->add_option("--lr", o.lr,
                    "Adam's learning rate, both networks (default: 1e-3 for ring/grid, 2e-4 for "
                    "fmnist)")
        ->check(finite_positive());
    app->add_option("--seed", o.seed, "Seed for data, initialisation, noise and order")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    add_out_and_resume(*app, o.out_dir, o.resume);
    app->add_option("--train-size", o.train_size,
                    "Points drawn from the mixture (0: 25,600), or the first n images (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--eval-samples", o.eval_samples, "Samples that measure the mode coverage")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 24))
        ->capture_default_str();
    app->add_option("--data", o.root, "Fashion-MNIST directory")->capture_default_str();
    return {app, [a] { return run_training("gan", [&] { return run(*a); }); }};
}

}  // namespace soma::cli
