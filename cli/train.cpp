// soma train: the recipes (one subcommand each, e.g. `soma train fmnist`), and what every one
// shares: stop handlers, error messages, exit codes, and which settings the user gave.

#include <soma/autograd.h>
#include <soma/error.h>
#include <soma/train/engine.h>
#include <soma/train/progress.h>

#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <iostream>

#include "commands.h"

namespace soma::cli {

int run_training(const char* name, const std::function<int()>& body) {
    train::clear_stop();
    train::install_stop_handlers();
    int rc = 0;
    try {
        rc = body();
    } catch (const std::exception& e) {
        std::cerr << "soma train " << name << ": " << e.what() << "\n";
        rc = 1;
    }
    train::restore_stop_handlers();
    return rc;
}

const CLI::Validator& finite_positive() {
    static const CLI::Validator v(
        [](std::string& text) -> std::string {
            double x = 0;
            try {
                std::size_t used = 0;
                x = std::stod(text, &used);
                if (used != text.size()) return "'" + text + "' is not a number";
            } catch (const std::exception&) {
                return "'" + text + "' is not a number";
            }
            if (!std::isfinite(x) || x <= 0) return "must be a finite number > 0, got " + text;
            return "";
        },
        "NUMBER > 0");
    return v;
}

const CLI::Validator& unsigned_integer() {
    static const CLI::Validator v(
        [](std::string& text) -> std::string {
            std::uint64_t x = 0;
            const char* end = text.data() + text.size();
            auto [ptr, ec] = std::from_chars(text.data(), end, x);
            if (text.empty() || ec != std::errc() || ptr != end)
                return "must be a whole number in [0, 2^64), got '" + text + "'";
            return "";
        },
        "UINT");
    return v;
}

int stopped_exit_code() { return train::stop_signal() == SIGTERM ? 143 : 130; }

void add_out_and_resume(CLI::App& app, std::string& out_dir, std::string& resume,
                        const std::string& out_help) {
    app.add_option("--out", out_dir, out_help)->capture_default_str();
    app.add_option("--resume", resume,
                   "Continue from this checkpoint (its settings win; a flag that contradicts "
                   "them is an error)")
        ->check(CLI::ExistingFile);
}

int report_stopped(const std::string& recipe, const std::string& checkpoint, std::int64_t epochs) {
    std::cout << "stopped; resume with: soma train " << recipe << " --resume " << checkpoint
              << " --epochs " << epochs << "\n";
    return stopped_exit_code();
}

std::set<std::string> given_settings(const CLI::App& app) {
    std::set<std::string> given;
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->count() == 0 || opt->get_lnames().empty()) continue;
        std::string name = opt->get_lnames().front();
        for (char& c : name)
            if (c == '-') c = '_';
        given.insert(name);
    }
    return given;
}

Command add_train(CLI::App& root, const Globals& globals) {
    CLI::App* app = root.add_subcommand(
        "train", "Train a model from a recipe (checkpoints, metrics and curves in --out)");
    app->require_subcommand(1);
    auto detect_anomaly = std::make_shared<bool>(false);
    app->add_flag("--detect-anomaly", *detect_anomaly,
                  "Stop at the first op whose output or gradient holds NaN/Inf, naming it "
                  "(slower: every value is checked)");
    std::vector<Command> recipes = {add_train_fmnist(*app, globals), add_train_csv(*app, globals),
                                    add_train_g2p(*app, globals), add_train_vae(*app, globals),
                                    add_train_gan(*app, globals)};
    // `soma train fmnist --detect-anomaly` reaches the flag above.
    for (const Command& c : recipes) c.app->fallthrough();
    app->footer(
        "Every recipe runs on one engine: a progress bar, metrics.jsonl, curves.svg, an atomic "
        "checkpoint per epoch (--resume continues it exactly), early stopping on the "
        "validation split (--patience); Ctrl-C or SIGTERM stops after the current batch and "
        "saves; --detect-anomaly names the op that first produced NaN/Inf. Exit codes: 0 done, 1 "
        "error, 2 usage, 130/143 stopped by SIGINT/SIGTERM.");
    return {app, [recipes, detect_anomaly] {
                autograd::set_detect_anomaly(*detect_anomaly);
                for (const Command& c : recipes)
                    if (c.app->parsed()) return c.run();
                return 2;
            }};
}

}  // namespace soma::cli
