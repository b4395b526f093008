// soma inspect: show the tensors and metadata of a safetensors file or checkpoint.

#include <soma/io/safetensors.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"

namespace soma::cli {

namespace {

std::string number(double v) {
    if (std::isnan(v)) return "nan";  // printf may say "-nan"
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// min, max and mean as printed; "-" for an empty tensor. NaNs propagate, as in torch.
// int64 extremes are exact (a double would round 2^63 - 1); means are always floating.
std::vector<std::string> stats(const Tensor& t) {
    if (t.numel() == 0) return {"-", "-", "-"};
    if (t.dtype() == kInt64) {
        std::vector<std::int64_t> v = t.to_vector<std::int64_t>();
        auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        double sum = 0;
        for (std::int64_t x : v) sum += double(x);
        return {std::to_string(*lo), std::to_string(*hi), number(sum / double(v.size()))};
    }
    std::vector<double> v = t.to_vector<double>();
    double lo = v[0], hi = v[0], sum = 0;
    for (double x : v) {
        if (std::isnan(x) || x < lo) lo = x;
        if (std::isnan(x) || x > hi) hi = x;
        sum += x;
    }
    return {number(lo), number(hi), number(sum / double(v.size()))};
}

int inspect(const std::string& path) {
    io::SafetensorsFile file;
    try {
        file = io::load_safetensors(path);
    } catch (const Error& e) {
        std::cerr << "soma inspect: " << e.what() << "\n";
        return 1;
    }

    std::vector<std::vector<std::string>> rows = {{"name", "dtype", "shape", "min", "max", "mean"}};
    std::int64_t elements = 0, bytes = 0;
    for (const auto& [name, t] : file.tensors.items()) {
        std::vector<std::string> row = {name, io::safetensors_dtype(t.dtype()), t.shape().str()};
        for (auto& s : stats(t)) row.push_back(s);
        rows.push_back(row);
        elements += t.numel();
        bytes += t.numel() * std::int64_t(itemsize(t.dtype()));
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
        for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());

    std::cout << path << "\n";
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            std::string pad(width[c] - row[c].size(), ' ');
            // Text left-aligned, numbers right-aligned.
            line += "  " + (c < 3 ? row[c] + pad : pad + row[c]);
        }
        while (line.back() == ' ') line.pop_back();
        std::cout << line << "\n";
    }
    if (!file.metadata.empty()) {
        std::cout << "metadata:\n";
        for (const auto& [key, value] : file.metadata)
            std::cout << "  " << key << ": " << value << "\n";
    }
    std::cout << file.tensors.size() << " tensors, " << elements << " elements, " << bytes
              << " bytes of data\n";
    return 0;
}

}  // namespace

Command add_inspect(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app =
        root.add_subcommand("inspect", "List the tensors and metadata of a safetensors file");
    auto path = std::make_shared<std::string>();
    // No ExistingFile check: the reader's own message (and exit code 1) covers missing files.
    app->add_option("file", *path, "A .safetensors file (weights or a soma checkpoint)")
        ->required();
    return {app, [path] { return inspect(*path); }};
}

}  // namespace soma::cli
