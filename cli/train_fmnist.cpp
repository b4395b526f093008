// soma train fmnist: the classifier recipe on Fashion-MNIST.
//   soma train fmnist --model cnn --epochs 5 --out out/fmnist
//   soma train fmnist --model cnn --epochs 30 --optimizer adamw --weight-decay 0.05
//       --schedule cosine --augment          (a best recipe; the README lists them)
//   soma train fmnist --resume out/fmnist/checkpoint.safetensors --epochs 30
//   soma train fmnist --model cnn --adversarial pgd --eps 0.1 --attack-steps 10   (robust)

#include <soma/models/classifier.h>
#include <soma/threading.h>
#include <soma/train/fmnist.h>
#include <soma/train/progress.h>

#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct Args {
    train::FmnistOptions o{.out_dir = "out/fmnist"};
    int threads = 0;
    CLI::App* app = nullptr;
};

int run(Args& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    const train::FmnistOptions o = on_console(a.o, *a.app);
    const train::FmnistRun run = train::train_fmnist(o);
    if (run.interrupted) return report_stopped("fmnist", run.checkpoint, o.epochs);
    std::cout << "\ntest accuracy " << 100 * run.test.accuracy << "% (" << run.test.samples
              << " images, the " << run.tested << "), loss " << run.test.loss << "\n"
              << train::format_confusion(run.test.confusion,
                                         data::datasets::FashionMNIST::classes());
    if (!o.out_dir.empty())
        std::cout << "wrote " << o.out_dir
                  << "/{checkpoint.safetensors, best.safetensors, metrics.jsonl, curves.svg, "
                     "confusion.svg}\n";
    return 0;
}

}  // namespace

void add_fmnist_options(CLI::App* app, train::FmnistOptions& o) {
    app->add_option("--model", o.model, "Model: mlp, mlp-wide, cnn, resnet or resnet-wide")
        ->check(CLI::IsMember(models::fmnist_model_names()))
        ->capture_default_str();
    app->add_option("--epochs", o.epochs, "Epochs in total (also when resuming)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--batch-size", o.batch_size, "Batch size (default: the model's, 64 or 128)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20));
    app->add_option("--lr", o.lr, "Learning rate (the peak, with a schedule)")
        ->check(finite_positive())
        ->capture_default_str();
    app->add_option("--seed", o.seed, "Seed for initialisation, dropout, split and order")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--subset", o.subset, "Train on this many images only (0: all)")
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
                    "Weights the test set sees once at the end: last (epoch) or best "
                    "(validation loss)")
        ->check(CLI::IsMember({"last", "best"}))
        ->capture_default_str();
    app->add_option("--optimizer", o.optimizer, "adam, adamw or sgd (momentum 0.9, Nesterov)")
        ->check(CLI::IsMember({"adam", "adamw", "sgd"}))
        ->capture_default_str();
    app->add_option("--weight-decay", o.weight_decay,
                    "Weight decay (L2 for adam and sgd, decoupled for adamw)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--schedule", o.schedule,
                    "Learning-rate schedule: none, cosine (to 0), step (x gamma every "
                    "step-size epochs) or exponential (x gamma every epoch)")
        ->check(CLI::IsMember({"none", "cosine", "step", "exponential"}))
        ->capture_default_str();
    app->add_option("--step-size", o.step_size, "Epochs between steps of the step schedule")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--gamma", o.gamma, "Factor of the step and exponential schedules")
        ->check(finite_positive())
        ->capture_default_str();
    app->add_option("--warmup", o.warmup, "Epochs of linear lr warm-up from lr/10")
        ->check(CLI::NonNegativeNumber);
    app->add_flag("--augment", o.augment,
                  "Augment: random shifts by up to 2 pixels and horizontal flips");
    app->add_option("--label-smoothing", o.label_smoothing, "Label smoothing in [0, 1]")
        ->check(CLI::Range(0.0, 1.0));
    app->add_option("--adversarial", o.adversarial,
                    "Robust training: none, pgd (Madry et al.), fgsm or trades; each batch is "
                    "attacked in an L-inf ball of radius --eps (pixels in [0, 1])")
        ->check(CLI::IsMember({"none", "pgd", "fgsm", "trades"}))
        ->capture_default_str();
    app->add_option("--eps", o.eps, "Radius of the training attack, in pixels")
        ->check(finite_positive())
        ->capture_default_str();
    app->add_option("--attack-steps", o.attack_steps, "Steps of the training attack (pgd, trades)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000}))
        ->capture_default_str();
    app->add_option("--attack-step-size", o.attack_step_size,
                    "Step size of the training attack in pixels (0: 2.5 eps / steps)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--clean-weight", o.clean_weight,
                    "pgd, fgsm: the clean loss's share of the training loss, in [0, 1]")
        ->check(CLI::Range(0.0, 1.0));
    app->add_option("--trades-beta", o.trades_beta, "trades: the weight of the KL term")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--data", o.root, "Fashion-MNIST directory")->capture_default_str();
}

Command add_train_fmnist(CLI::App& train_app, const Globals& /*globals*/) {
    CLI::App* app = train_app.add_subcommand("fmnist", "The classifier recipe on Fashion-MNIST");
    auto a = std::make_shared<Args>();
    a->app = app;
    train::FmnistOptions& o = a->o;
    add_fmnist_options(app, o);
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    add_out_and_resume(*app, o.out_dir, o.resume);
    return {app, [a] { return run_training("fmnist", [&] { return run(*a); }); }};
}

}  // namespace soma::cli
