// soma eval: evaluate a saved checkpoint on a dataset.
//   soma eval out/fmnist/checkpoint.safetensors

#include <soma/error.h>
#include <soma/models/classifier.h>
#include <soma/threading.h>
#include <soma/train/fmnist.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"

namespace soma::cli {

namespace {

struct EvalArgs {
    std::string path, model, root = data::datasets::kFashionMnistRoot;
    std::int64_t test_size = 0;
    int threads = 0;
};

int run_eval(EvalArgs a) {
    if (a.threads > 0) set_num_threads(a.threads);
    try {
        const train::EvalResult r = train::evaluate_fmnist(a.path, a.model, a.root, a.test_size);
        std::printf("%s (%s): test accuracy %.2f%% on %lld images, loss %.4f\n", a.path.c_str(),
                    a.model.c_str(), 100 * r.accuracy, static_cast<long long>(r.samples), r.loss);
        std::cout << train::format_confusion(r.confusion, data::datasets::FashionMNIST::classes());
        return 0;
    } catch (const soma::Error& e) {
        std::cerr << "soma eval: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

Command add_eval(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand("eval", "Evaluate a saved checkpoint on a dataset");
    auto a = std::make_shared<EvalArgs>();
    app->add_option("checkpoint", a->path, "A checkpoint of soma train (.safetensors)")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("--model", a->model, "Model (default: the one named in the file)")
        ->check(CLI::IsMember(models::fmnist_model_names()));
    app->add_option("--test-size", a->test_size, "Evaluate on this many test images (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    app->add_option("--data", a->root, "Fashion-MNIST directory")->capture_default_str();
    return {app, [a] { return run_eval(*a); }};
}

}  // namespace soma::cli
