// soma eval: evaluate a saved checkpoint on a dataset.

#include "commands.h"

namespace soma::cli {

Command add_eval(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand("eval", "Evaluate a saved checkpoint on a dataset");
    return {app, [] { return not_implemented("eval"); }};
}

}  // namespace soma::cli
