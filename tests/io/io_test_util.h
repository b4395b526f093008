#pragma once
// Shared helpers for the io tests: a scratch directory and bit-exact tensor comparison.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "soma/tensor.h"

namespace soma::test {

// A fresh directory, removed with its contents at the end of the test.
class TempDir {
public:
    TempDir() {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = std::string("soma_io_") + info->test_suite_name() + "_" + info->name() +
                           "_" + std::to_string(::getpid());
        for (char& c : name)
            if (c == '/') c = '_';
        path = std::filesystem::temp_directory_path() / name;
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name) const { return (path / name).string(); }
    // Names of the entries in the directory (to catch leftover temporaries).
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(path))
            out.push_back(e.path().filename().string());
        std::sort(out.begin(), out.end());
        return out;
    }
    std::filesystem::path path;
};

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

// Same dtype, shape and bit patterns (so NaN equals NaN and -0.0 differs from 0.0).
inline ::testing::AssertionResult same_bits(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || a.shape() != b.shape())
        return ::testing::AssertionFailure()
               << a.dtype() << " " << a.shape() << " vs " << b.dtype() << " " << b.shape();
    Tensor ca = a.contiguous(), cb = b.contiguous();
    std::size_t n = static_cast<std::size_t>(a.numel()) * itemsize(a.dtype());
    if (n > 0 && std::memcmp(ca.raw_data(), cb.raw_data(), n) != 0)
        return ::testing::AssertionFailure() << "values differ: " << a << " vs " << b;
    return ::testing::AssertionSuccess();
}

}  // namespace soma::test
