// soma bench: run the benchmark workloads and print one JSON object per line.

#include "commands.h"

namespace soma::cli {

Command add_bench(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand("bench", "Run the benchmark workloads (JSON lines)");
    return {app, [] { return not_implemented("bench"); }};
}

}  // namespace soma::cli
