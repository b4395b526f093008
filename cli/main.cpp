// soma: the command-line tool. `soma --help` lists the subcommands.

#include <soma/threading.h>
#include <soma/version.h>

#include <iostream>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
    using namespace soma::cli;
    CLI::App app{"soma: a gallery of artificial neural network modules, in C++", "soma"};
    app.set_version_flag("--version", "soma " SOMA_VERSION_STRING);
    Globals globals;
    app.add_option("--threads", globals.threads, "Threads for soma and BLAS (0: all cores)")
        ->check(CLI::Range(0, 1024));

    std::vector<Command> commands = {
        add_gallery(app, globals), add_train(app, globals),   add_eval(app, globals),
        add_inspect(app, globals), add_predict(app, globals), add_g2p(app, globals),
        add_sample(app, globals),
    };
    commands.push_back(add_eval_generative(app, globals));
    commands.push_back(add_attack(app, globals));
    commands.push_back(add_check(app, globals));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Prints --help, --version or the usage error; every usage error exits with 2.
        return app.exit(e) == 0 ? 0 : 2;
    }

    // Every subcommand reports its own errors; this is the last net, so that no input ends in
    // std::terminate: one line on stderr and exit code 1.
    try {
        if (globals.threads > 0) soma::set_num_threads(globals.threads);
        for (const Command& c : commands) {
            if (c.app->parsed()) return c.run();
        }
    } catch (const std::exception& e) {
        std::cerr << "soma: " << e.what() << "\n";
        return 1;
    }
    std::cout << app.help();  // no subcommand given
    return 2;
}
