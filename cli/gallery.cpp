// soma gallery: run every lecture example and collect its figures into one HTML page.

#include "gallery/gallery.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"

namespace soma::cli {

namespace {

struct GalleryArgs {
    std::vector<std::string> names;
    std::string out = "out/gallery";  // not "gallery": in the repository that holds the sources
    std::uint64_t seed = 0;
    bool list = false;
    bool quick = false;
};

int run_gallery(const GalleryArgs& args) {
    namespace g = soma::gallery;
    if (args.list) {
        std::size_t width = 0;
        for (const g::Entry& e : g::entries()) width = std::max(width, e.name.size());
        for (const g::Entry& e : g::entries())
            std::printf("%-*s  %s\n", int(width), e.name.c_str(), e.slide.c_str());
        return 0;
    }
    std::vector<const g::Entry*> chosen;
    for (const std::string& name : args.names) {
        const std::vector<const g::Entry*> found = g::match(name);
        if (found.size() != 1) {
            // Unknown: every entry is a candidate; ambiguous: those that contain the name.
            std::cerr << "soma gallery: " << (found.empty() ? "no" : "more than one")
                      << " entry matches '" << name << "'; candidates:\n";
            if (found.empty())
                for (const g::Entry& e : g::entries()) std::cerr << "  " << e.name << "\n";
            for (const g::Entry* e : found) std::cerr << "  " << e->name << "\n";
            return 2;
        }
        chosen.push_back(found[0]);
    }
    if (chosen.empty())
        for (const g::Entry& e : g::entries()) chosen.push_back(&e);

    std::vector<g::Report> reports;
    int failed = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const g::Entry* e : chosen) {
        std::ostringstream log;
        g::Context ctx{.out_dir = args.out, .seed = args.seed, .quick = args.quick, .log = &log};
        g::Result r = g::run(*e, ctx);
        failed += !r.ok;
        std::printf("%-15s %5.1fs  %s%s\n", e->name.c_str(), r.metrics["seconds"],
                    r.ok ? "" : "FAILED: ", r.summary.c_str());
        std::fflush(stdout);
        reports.push_back({e, std::move(r), log.str()});
    }
    g::write_index(args.out, reports);
    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu example(s) in %.1fs, %d failed; figures: %s/index.html\n", reports.size(),
                total, failed, args.out.c_str());
    return failed ? 1 : 0;
}

}  // namespace

Command add_gallery(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app =
        root.add_subcommand("gallery", "Run the lecture examples; collect figures in HTML");
    auto args = std::make_shared<GalleryArgs>();
    app->add_option("names", args->names,
                    "Examples to run, each by its name or a unique part of it (\"cos2sin\", "
                    "\"07\"); default: all; see --list");
    app->add_option("--out", args->out, "Folder for the figures and index.html")
        ->capture_default_str();
    app->add_option("--seed", args->seed, "Random seed")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_flag("--list", args->list, "List the examples and their slides, run nothing");
    app->add_flag("--quick", args->quick, "Fewer training steps (as in the tests)");
    return {app, [args] { return run_gallery(*args); }};
}

}  // namespace soma::cli
