// soma train vae: the variational auto-encoder recipe on Fashion-MNIST.
//   soma train vae --model conv --latent 16 --epochs 10 --out out/vae
//   soma train vae --model mlp --hidden 512,256 --beta 4 --out out/beta-vae
//   soma sample out/vae/checkpoint.safetensors --out grid.png

#include <soma/threading.h>
#include <soma/train/generative.h>

#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct Args {
    train::VaeRunOptions o{.out_dir = "out/vae"};
    int threads = 0;
    CLI::App* app = nullptr;
};

int run(Args& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    const train::VaeRunOptions o = on_console(a.o, *a.app);
    const train::VaeRun run = train::train_vae(o);
    if (run.interrupted) return report_stopped("vae", run.checkpoint, o.epochs);
    std::cout << "\ntest loss " << run.test.get("loss") << " nats per image (reconstruction "
              << run.test.get("reconstruction") << ", kl " << run.test.get("kl") << "; "
              << run.test_images << " images, one z sample each, the " << run.tested << ")\n";
    if (!o.out_dir.empty())
        std::cout << "wrote " << o.out_dir
                  << "/{checkpoint.safetensors, best.safetensors, metrics.jsonl, curves.svg, "
                     "loss.svg, samples_epoch_NNN.png}\n";
    return 0;
}

}  // namespace

Command add_train_vae(CLI::App& train_app, const Globals& /*globals*/) {
    CLI::App* app = train_app.add_subcommand(
        "vae", "A variational auto-encoder on Fashion-MNIST (sample it with soma sample)");
    auto a = std::make_shared<Args>();
    a->app = app;
    train::VaeRunOptions& o = a->o;
    app->add_option("--dataset", o.dataset, "Data set (images): fmnist")->capture_default_str();
    app->add_option("--model", o.model, "conv (convolutional) or mlp")
        ->check(CLI::IsMember({"conv", "mlp"}))
        ->capture_default_str();
    app->add_option("--latent", o.latent, "Latent dimensions")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{4096}))
        ->capture_default_str();
    app->add_option("--hidden", o.hidden,
                    "Hidden widths, comma-separated (default: 256 for conv, 512,256 for mlp)");
    app->add_option("--beta", o.beta, "Weight of the KL term (1: the ELBO; > 1: beta-VAE)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--epochs", o.epochs, "Epochs in total (also when resuming)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--batch-size", o.batch_size, "Batch size")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
        ->capture_default_str();
    app->add_option("--lr", o.lr, "Adam's learning rate")
        ->check(finite_positive())
        ->capture_default_str();
    app->add_option("--seed", o.seed, "Seed for initialisation, noise, split and order")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    add_out_and_resume(*app, o.out_dir, o.resume);
    app->add_option("--train-size", o.train_size, "Train on this many images only (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--val-size", o.val_size, "Training images held out for validation")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{59999}))
        ->capture_default_str();
    app->add_option("--test-size", o.test_size, "Evaluate on this many test images (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--patience", o.patience,
                    "Early stopping: epochs without a better validation loss (0: off)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--select", o.select,
                    "Weights the test set sees once at the end: best (validation loss) or last")
        ->check(CLI::IsMember({"last", "best"}))
        ->capture_default_str();
    app->add_option("--data", o.root, "Fashion-MNIST directory")->capture_default_str();
    return {app, [a] { return run_training("vae", [&] { return run(*a); }); }};
}

}  // namespace soma::cli
