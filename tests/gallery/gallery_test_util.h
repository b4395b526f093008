#pragma once
// Runs a gallery entry in quick mode with seed 0, as the gallery tests do, and checks that
// every figure it reports exists.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "gallery/gallery.h"

namespace soma::gallery {

struct EntryRun {
    Result result;
    std::string log;
};

inline EntryRun run_quick(const std::string& name, const std::string& out_dir) {
    const Entry* e = find(name);
    EXPECT_NE(e, nullptr) << name;
    if (!e) return {};
    std::ostringstream log;
    Context ctx{.out_dir = out_dir, .seed = 0, .quick = true, .log = &log};
    Result r = run(*e, ctx);
    for (const std::string& f : r.figures)
        EXPECT_TRUE(std::filesystem::exists(f)) << name << ": figure " << f << " missing";
    return {r, log.str()};
}

}  // namespace soma::gallery
