// main() of the per-entry programs: CMake builds this file once per gallery/NN_name.cpp, with
// SOMA_GALLERY_ENTRY="NN_name", into build/examples/NN_name. The program runs that one entry
// with its detailed log on stdout, as `soma gallery NN_name` would without the HTML page.
//
// Usage: NN_name [--out DIR] [--seed S] [--quick] [ARG...]
// Exit code: 0 when the outcome holds, 1 when it does not.

#include <cstdlib>
#include <iostream>
#include <string>

#include "gallery.h"

int main(int argc, char** argv) {
    using namespace soma::gallery;
    const std::string name = SOMA_GALLERY_ENTRY;
    const Entry* entry = find(name);
    if (!entry) {
        std::cerr << name << ": no such gallery entry\n";
        return 2;
    }
    Context ctx;
    ctx.log = &std::cout;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if ((a == "--out" || a == "--seed") && i + 1 < argc) {
            const std::string v = argv[++i];
            if (a == "--out")
                ctx.out_dir = v;
            else
                ctx.seed = std::strtoull(v.c_str(), nullptr, 10);
        } else if (a == "--quick") {
            ctx.quick = true;
        } else if (a == "--help" || a == "-h") {
            std::cout << name << ": " << entry->slide << "\nusage: " << argv[0]
                      << " [--out DIR] [--seed S] [--quick] [ARG...]\n";
            return 0;
        } else {
            ctx.args.push_back(a);
        }
    }
    const Result r = run(*entry, ctx);
    std::cout.flush();
    if (!r.ok) {
        std::cerr << name << ": " << r.summary << "\n";
        return 1;
    }
    return 0;
}
