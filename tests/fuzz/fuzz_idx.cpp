// libFuzzer harness: the IDX reader. It reads through zlib from a path, so each input is
// written to a file in /dev/shm (memory) first; plain and gzip inputs both reach the parser.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "soma/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/dev/shm/soma_fuzz_idx_" + std::to_string(::getpid());
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        soma::data::IdxArray a = soma::data::read_idx(path);
        if (a.dims.size() == 3) (void)soma::data::read_idx_images(path);
        if (a.dims.size() == 1) (void)soma::data::read_idx_labels(path);
    } catch (const soma::Error&) {
    }
    return 0;
}
