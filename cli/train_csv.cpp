// soma train csv: the lecture's regressor or classifier recipe on a table of your own.
//   soma train csv houses.csv --target price --hidden 64,64 --epochs 200 --out out/houses
//   soma train csv houses.csv --target price --resume out/houses/checkpoint.safetensors --epochs
//   300 soma predict out/houses/best.safetensors new_houses.csv
// Categorical columns are one-hot encoded, numeric ones standardised with the training rows'
// statistics (data/table.h has the rules for missing values and unseen categories); the task
// is detected from the target column unless --task says.

#include <soma/models/tabular_train.h>
#include <soma/threading.h>
#include <soma/train/progress.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct Args {
    models::TabularSettings s;
    models::TabularOptions o{.out_dir = "out/csv"};
    int threads = 0;
    CLI::App* app = nullptr;
};

int run(Args& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    models::TabularOptions o = a.o;
    o.log = &std::cout;
    o.terminal = train::stdout_is_terminal();
    std::set<std::string> given = given_settings(*a.app);
    given.insert("file");  // the positional file must be the checkpoint's
    o.given = given;
    const models::TabularRun run = models::train_tabular(a.s, o);
    if (run.interrupted) {
        std::cout << "stopped; resume with: soma train csv " << a.s.file << " --target "
                  << a.s.target << " --resume " << run.checkpoint << "\n";
        return stopped_exit_code();
    }
    if (run.val_rows > 0) {
        const bool acc = run.metric_name == "accuracy";
        std::printf("validation %s %.6g on %lld rows (%s: %.6g); weights of the %s\n",
                    run.metric_name.c_str(), run.val_metric, static_cast<long long>(run.val_rows),
                    acc ? "always the most frequent class" : "always the training mean",
                    run.baseline, run.weights.c_str());
    }
    if (!o.out_dir.empty()) {
        std::cout << "wrote " << o.out_dir << "/{checkpoint.safetensors, "
                  << (run.best_weights.empty() ? "" : "best.safetensors, ")
                  << "metrics.jsonl, curves.svg}\n";
        const std::string& model = run.best_weights.empty() ? run.checkpoint : run.best_weights;
        std::cout << "predict with: soma predict " << model << " FILE.csv\n";
    }
    return 0;
}

}  // namespace

void add_csv_options(CLI::App* app, models::TabularSettings& s) {
    app->add_option("file", s.file, "The table: CSV with a header row (plain or .gz)")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("--target", s.target, "The column to predict")->required();
    app->add_option("--task", s.task, "regression, classification or auto (from the target)")
        ->check(CLI::IsMember({"auto", "regression", "classification"}))
        ->capture_default_str();
    app->add_option("--ignore", s.ignore, "Columns to leave out, comma-separated (e.g. ids)");
    app->add_option("--hidden", s.hidden, "Hidden layer widths, comma-separated")
        ->capture_default_str();
    app->add_option("--dropout", s.dropout, "Dropout after each hidden layer")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    app->add_flag("--batch-norm", s.batch_norm, "Batch normalisation in each hidden layer");
    app->add_flag("--residual", s.residual, "Residual connections around the hidden layers");
    app->add_option("--epochs", s.epochs, "Epochs in total (also when resuming)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--lr", s.lr, "Adam's learning rate")
        ->check(finite_positive())
        ->capture_default_str();
    app->add_option("--weight-decay", s.weight_decay, "Adam's weight decay (L2)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app->add_option("--batch-size", s.batch_size, "Rows per batch")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
        ->capture_default_str();
    app->add_option("--val-fraction", s.val_fraction, "Rows held out for validation, in [0, 1)")
        ->check(CLI::Range(0.0, 0.99))
        ->capture_default_str();
    app->add_option("--seed", s.seed, "Seed for the split, initialisation, dropout and order")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--patience", s.patience,
                    "Early stopping: epochs without a better validation loss (0: off)")
        ->check(CLI::NonNegativeNumber);
}

Command add_train_csv(CLI::App& train_app, const Globals& /*globals*/) {
    CLI::App* app = train_app.add_subcommand(
        "csv", "The regressor or classifier recipe on a CSV file with a header row");
    auto a = std::make_shared<Args>();
    a->app = app;
    models::TabularSettings& s = a->s;
    add_csv_options(app, s);
    add_out_and_resume(*app, a->o.out_dir, a->o.resume,
                       "Directory for checkpoint, best weights and metrics");
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    return {app, [a] { return run_training("csv", [&] { return run(*a); }); }};
}

}  // namespace soma::cli
