// soma check: the lecture's soundness checks before a long run, on the set-up a training command
// with the same settings would use (`train` replaced by `check`, without --out and --resume):
//   soma check fmnist --model cnn --lr 0.001
//   soma check csv houses.csv --target price --hidden 64,64
// One line per check (passed, warned or FAILED, with the number and what to do); exit code 0
// when nothing failed, 1 when a check failed or the set-up could not be built, 2 for usage.

#include <soma/io/atomic_file.h>
#include <soma/models/classifier.h>
#include <soma/models/tabular_check.h>
#include <soma/threading.h>
#include <soma/train/check.h>
#include <soma/train/fmnist_check.h>

#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct Args {
    train::FmnistOptions fmnist;
    models::TabularSettings csv;
    train::CheckOptions check;
    std::string json;  // where to write the report as JSON ("" for nowhere)
    int threads = 0;
};

int report(const Args& a, const train::CheckSubject& subject) {
    train::CheckOptions o = a.check;
    o.log = &std::cout;
    const train::CheckReport r = train::check(subject, o);
    const std::string text = r.to_text();
    std::cout << text.substr(text.rfind('\n', text.size() - 2) + 1);  // the summary line
    if (!a.json.empty()) {
        io::write_file_atomic(a.json, r.to_json());
        std::cout << "wrote " << a.json << "\n";
    }
    return r.passed() ? 0 : 1;
}

// The options every `soma check` recipe shares.
void add_check_options(CLI::App* app, Args& a) {
    app->add_option("--check-seed", a.check.seed, "Seed of the checks' sample and runs")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--overfit-steps", a.check.overfit_steps, "Steps 'overfit one batch' may take")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--chance-steps", a.check.chance_steps,
                    "Training steps of 'learns beyond chance', per model")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}))
        ->capture_default_str();
    app->add_option("--json", a.json, "Also write the report as JSON to this file");
    app->add_option("--threads", a.threads, "Threads (0: the default)")->check(CLI::Range(0, 1024));
}

// Runs a check recipe: every error (a bad file, an impossible setting) is one line on stderr and
// exit code 1.
int guarded(const char* name, const std::function<int()>& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        std::cerr << "soma check " << name << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

Command add_check(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand(
        "check", "Soundness checks of a training set-up, in seconds, before a long run");
    app->require_subcommand(1);
    auto a = std::make_shared<Args>();

    CLI::App* fmnist = app->add_subcommand("fmnist", "Check the Fashion-MNIST classifier recipe");
    add_fmnist_options(fmnist, a->fmnist);
    CLI::App* csv = app->add_subcommand("csv", "Check the CSV regressor or classifier recipe");
    add_csv_options(csv, a->csv);
    for (CLI::App* sub : {fmnist, csv}) add_check_options(sub, *a);
    app->footer(
        "Data (labels, NaN/Inf, input scale, test examples in training), model (initial loss, "
        "output form, activations and dead ReLUs, deterministic evaluation), gradients (finite "
        "differences in float64, gradient flow, zeroed gradients, update size) and training "
        "(overfit one batch, learns beyond chance against a shuffled-label twin). Exit codes: 0 "
        "passed (warnings allowed), 1 a check failed or an error, 2 usage.");
    return {app, [a, fmnist, csv] {
                if (a->threads > 0) set_num_threads(a->threads);
                if (fmnist->parsed())
                    return guarded("fmnist", [&] {
                        train::FmnistOptions o = a->fmnist;
                        if (o.batch_size <= 0)
                            o.batch_size = models::fmnist_default_batch_size(o.model);
                        a->check.batch_size = o.batch_size;
                        return report(*a, train::fmnist_check_subject(o));
                    });
                if (csv->parsed())
                    return guarded("csv", [&] {
                        a->check.batch_size = a->csv.batch_size;
                        return report(*a, models::tabular_check_subject(a->csv));
                    });
                return 2;
            }};
}

}  // namespace soma::cli
