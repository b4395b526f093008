// libFuzzer harness: the CSV parser over text in memory, with options taken from the first
// byte, then label splitting. Anything but a result or a soma::Error is a finding.

#include <cstddef>
#include <cstdint>
#include <string>

#include "soma/data/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t flags = data[0];
    soma::data::CsvOptions options;
    options.delimiter = (flags & 1) ? ' ' : ((flags & 2) ? ';' : ',');
    options.header = flags & 4;
    options.skip_blank = !(flags & 8);
    options.skip_rows = (flags >> 4) & 3;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        soma::data::CsvTable t = soma::data::parse_csv(text, options, "fuzz.csv");
        (void)t.tensor();
        (void)soma::data::split_label(t, -1, (flags & 64) != 0);
    } catch (const soma::Error&) {
    }
    return 0;
}
