// soma train: train a model from a recipe and log metrics.
//   soma train fmnist --model cnn --epochs 5 --out out/fmnist
//   soma train csv data.csv --target price     (cli/train_csv.cpp)
//   soma train fmnist --model cnn --epochs 15 --optimizer adamw --weight-decay 0.05
//       --schedule cosine --augment          (a best recipe; the README lists them)
// Ctrl-C stops after the current batch and saves a checkpoint to resume from (--resume).

#include <soma/error.h>
#include <soma/models/classifier.h>
#include <soma/threading.h>
#include <soma/train/fmnist.h>
#include <soma/train/progress.h>

#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct TrainArgs {
    train::FmnistOptions o{.out_dir = "out/fmnist"};
    int threads = 0;
};

int run_train(const TrainArgs& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    train::FmnistOptions o = a.o;
    o.log = &std::cout;
    o.terminal = train::stdout_is_terminal();
    try {
        train::clear_stop();
        train::install_sigint_handler();
        const train::FmnistRun run = train::train_fmnist(o);
        train::restore_sigint_handler();
        if (run.interrupted) {
            std::cout << "stopped; resume with: soma train fmnist --resume " << run.checkpoint
                      << " --epochs " << o.epochs << "\n";
            return 130;
        }
        std::cout << "\ntest accuracy " << 100 * run.test.accuracy << "% (" << run.test.samples
                  << " images), loss " << run.test.loss << "\n"
                  << train::format_confusion(run.test.confusion,
                                             data::datasets::FashionMNIST::classes());
        if (!o.out_dir.empty())
            std::cout << "wrote " << o.out_dir
                      << "/{checkpoint.safetensors, metrics.jsonl, curves.svg, confusion.svg}\n";
        return 0;
    } catch (const soma::Error& e) {
        train::restore_sigint_handler();
        std::cerr << "soma train: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

Command add_train(CLI::App& root, const Globals& globals) {
    CLI::App* train = root.add_subcommand("train", "Train a model from a recipe and log metrics");
    train->require_subcommand(1);
    auto a = std::make_shared<TrainArgs>();
    CLI::App* app = train->add_subcommand("fmnist", "Train a Fashion-MNIST classifier");
    const Command csv = add_train_csv(*train, globals);
    app->add_option("--model", a->o.model, "Model: mlp, mlp-wide, cnn, resnet or resnet-wide")
        ->check(CLI::IsMember(models::fmnist_model_names()))
        ->capture_default_str();
    app->add_option("--epochs", a->o.epochs, "Epochs in total (also when resuming)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--batch-size", a->o.batch_size, "Batch size (default: the model's, 64 or 128)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20));
    app->add_option("--lr", a->o.lr, "Learning rate (the peak, with a schedule)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    app->add_option("--seed", a->o.seed, "Seed for initialisation, dropout, split and order")
        ->capture_default_str();
    app->add_option("--out", a->o.out_dir, "Directory for checkpoint, metrics and figures")
        ->capture_default_str();
    app->add_option("--resume", a->o.resume, "Continue from this checkpoint")
        ->check(CLI::ExistingFile);
    app->add_option("--subset", a->o.subset, "Train on this many images only (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--val-size", a->o.val_size, "Training images held out for validation")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{59999}))
        ->capture_default_str();
    app->add_option("--test-size", a->o.test_size, "Evaluate on this many test images (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--patience", a->o.patience,
                    "Early stopping: epochs without a better validation loss (0: off)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--optimizer", a->o.optimizer, "adam, adamw or sgd (momentum 0.9, Nesterov)")
        ->check(CLI::IsMember({"adam", "adamw", "sgd"}))
        ->capture_default_str();
    app->add_option("--weight-decay", a->o.weight_decay,
                    "Weight decay (L2 for adam and sgd, decoupled for adamw)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--schedule", a->o.schedule,
                    "Learning-rate schedule: none, cosine (to 0), step (x gamma every "
                    "step-size epochs) or exponential (x gamma every epoch)")
        ->check(CLI::IsMember({"none", "cosine", "step", "exponential"}))
        ->capture_default_str();
    app->add_option("--step-size", a->o.step_size, "Epochs between steps of the step schedule")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--gamma", a->o.gamma, "Factor of the step and exponential schedules")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app->add_option("--warmup", a->o.warmup, "Epochs of linear lr warm-up from lr/10")
        ->check(CLI::NonNegativeNumber);
    app->add_flag("--augment", a->o.augment,
                  "Augment: random shifts by up to 2 pixels and horizontal flips");
    app->add_option("--label-smoothing", a->o.label_smoothing, "Label smoothing in [0, 1]")
        ->check(CLI::Range(0.0, 1.0));
    app->add_option("--data", a->o.root, "Fashion-MNIST directory")->capture_default_str();
    return {train, [a, app, csv] { return app->parsed() ? run_train(*a) : csv.run(); }};
}

}  // namespace soma::cli
