#pragma once
// The `soma` command's subcommands. Each lives in its own file and registers itself with an
// add_<name>() function; main() parses the command line and runs the chosen one.

#include <soma/models/tabular_train.h>
#include <soma/train/fmnist.h>
#include <soma/train/progress.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <iostream>
#include <set>
#include <string>

namespace soma::cli {

// Options that come before the subcommand and apply to all of them.
struct Globals {
    int threads = 0;  // 0: soma's default (SOMA_NUM_THREADS or all cores)
};

// A registered subcommand: the CLI11 node (true once parsed) and what running it does.
// run() returns the process exit code.
struct Command {
    CLI::App* app;
    std::function<int()> run;
};

Command add_gallery(CLI::App& root, const Globals& globals);
Command add_train(CLI::App& root, const Globals& globals);
// The recipes, subcommands of `soma train` (train.cpp registers them).
Command add_train_fmnist(CLI::App& train_app, const Globals& globals);
Command add_eval(CLI::App& root, const Globals& globals);
Command add_eval_generative(CLI::App& root, const Globals& globals);
// `soma attack`: the robustness report of a Fashion-MNIST classifier (attack.cpp).
Command add_attack(CLI::App& root, const Globals& globals);
Command add_inspect(CLI::App& root, const Globals& globals);
Command add_predict(CLI::App& root, const Globals& globals);
Command add_g2p(CLI::App& root, const Globals& globals);
// `soma check fmnist|csv`: the soundness checks of a recipe's set-up (check.cpp).
Command add_check(CLI::App& root, const Globals& globals);
// The settings of `soma train fmnist` and `soma train csv` (data, model, optimiser), which
// `soma check` takes too, so that a training command line checks as it is.
void add_fmnist_options(CLI::App* app, train::FmnistOptions& o);
void add_csv_options(CLI::App* app, models::TabularSettings& s);
// `soma train csv`, a subcommand of `soma train` (train_app).
Command add_train_csv(CLI::App& train_app, const Globals& globals);
// `soma train g2p`, a subcommand of `soma train`.
Command add_train_g2p(CLI::App& train_app, const Globals& globals);
// `soma train vae` and `soma train gan`, subcommands of `soma train`; `soma sample` draws from
// what they trained.
Command add_train_vae(CLI::App& train_app, const Globals& globals);
Command add_train_gan(CLI::App& train_app, const Globals& globals);
Command add_sample(CLI::App& root, const Globals& globals);

// Accepts a finite number > 0 (CLI11's PositiveNumber lets inf and nan through, and its message
// prints the largest double).
const CLI::Validator& finite_positive();
// Accepts a whole number in [0, 2^64) written in decimal digits only (CLI11 reads "-1" into an
// unsigned option as 2^64 - 1 without a word).
const CLI::Validator& unsigned_integer();

// Runs a training recipe's body with SIGINT/SIGTERM stopping after the batch (fit() saves),
// every exception turned into one line on stderr and exit code 1. Returns the body's code.
int run_training(const char* name, const std::function<int()>& body);
// 130 after SIGINT, 143 after SIGTERM: what a recipe returns when its run was stopped.
int stopped_exit_code();
// The long names of the options given on `app`'s command line, as settings field names
// ("--batch-size" -> "batch_size"), for --resume's contradiction check.
std::set<std::string> given_settings(const CLI::App& app);

// A recipe's options as every `soma train NAME --resume` command runs them: progress on stdout
// (a bar in place on a terminal) and the settings given on `app`'s command line.
template <class RecipeOptions>
RecipeOptions on_console(RecipeOptions o, const CLI::App& app) {
    o.log = &std::cout;
    o.terminal = train::stdout_is_terminal();
    o.given = given_settings(app);
    return o;
}
// --out DIR (its default shown) and --resume CHECKPOINT, as every recipe takes them.
void add_out_and_resume(
    CLI::App& app, std::string& out_dir, std::string& resume,
    const std::string& out_help = "Directory for checkpoint, metrics and figures");
// After a stopped run: how to resume it ("soma train NAME --resume CHECKPOINT --epochs N"), and
// the exit code (stopped_exit_code()).
int report_stopped(const std::string& recipe, const std::string& checkpoint, std::int64_t epochs);

}  // namespace soma::cli
