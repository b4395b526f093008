// libFuzzer harness: the IDX reader over bytes in memory, plain or gzip (told apart by gzip's
// magic number, as for files). Anything but a result or a soma::Error is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "soma/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        soma::data::IdxArray a = soma::data::read_idx_bytes(bytes, "fuzz");
        if (a.dims.size() == 3) (void)soma::data::read_idx_images_bytes(bytes, "fuzz");
        if (a.dims.size() == 1) (void)soma::data::read_idx_labels_bytes(bytes, "fuzz");
    } catch (const soma::Error&) {
    }
    return 0;
}
