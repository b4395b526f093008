// libFuzzer harness: the checkpoint loader over bytes in memory. The first byte says what to
// restore (bits 0-1: how many optimizers, 0 to 2; bit 2: the generator), the rest is the file.
// Anything but a restored checkpoint or a soma::Error is a finding; so is a refused file that
// changed the model (the loader promises to validate before it changes anything).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "checkpoint_target.h"
#include "soma/io/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t flags = data[0];
    const std::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);
    CheckpointTarget target;
    const soma::Tensor before = target.model->state_dict().items().front().second.clone();
    try {
        (void)soma::io::load_checkpoint_bytes(file, "fuzz", *target.model,
                                              target.optimizers(std::min(flags & 3, 2)),
                                              (flags & 4) ? &target.rng : nullptr);
    } catch (const soma::Error&) {
        const soma::Tensor after = target.model->state_dict().items().front().second;
        if (after.to_vector<double>() != before.to_vector<double>()) std::abort();
    }
    return 0;
}
