// Finding scikit-learn's bundled data sets (extracted from Debian's python3-sklearn by
// scripts/setup.sh, without installing the package).

#include <cstdlib>
#include <filesystem>

#include "entries.h"

namespace soma::gallery {

std::string sklearn_data_dir() {
    namespace fs = std::filesystem;
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("SOMA_SKLEARN_DATA"); env && *env) return env;
    candidates.push_back("/var/cache/soma/sklearn");
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
        candidates.push_back(std::string(xdg) + "/soma/sklearn");
    if (const char* home = std::getenv("HOME"); home && *home)
        candidates.push_back(std::string(home) + "/.cache/soma/sklearn");
    candidates.push_back("/usr/lib/python3/dist-packages/sklearn/datasets/data");
    for (const std::string& dir : candidates) {
        std::error_code ec;
        if (fs::exists(fs::path(dir) / "iris.csv", ec)) return dir;
    }
    return "";
}

}  // namespace soma::gallery
