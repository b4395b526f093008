// libFuzzer harness: the safetensors reader over bytes in memory. Any input must either load
// or raise soma::Error; a crash, a sanitizer report, another exception or a hang is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "soma/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        soma::io::SafetensorsFile f = soma::io::load_safetensors_bytes(
            std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
        // Touch what was loaded, so that a tensor claiming more bytes than it has is read.
        for (const auto& [name, t] : f.tensors.items())
            if (t.numel() > 0) (void)t.to_vector<double>();
    } catch (const soma::Error&) {
    }
    return 0;
}
