// soma train: train a model from a recipe and log metrics.

#include "commands.h"

namespace soma::cli {

Command add_train(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand("train", "Train a model from a recipe and log metrics");
    return {app, [] { return not_implemented("train"); }};
}

}  // namespace soma::cli
