#pragma once
// Files for models: a module's weights (save_module / load_module), and training checkpoints
// (model + optimizer state + progress + RNG state) to resume a run exactly.
//
// These live in io rather than as nn::save/nn::load because nn sits below io in the layering
// (ARCHITECTURE.md): modules know nothing of files.
//
// Both are plain safetensors files, readable by any safetensors reader (`soma inspect` too).
// A checkpoint holds
//   model.<name>   every entry of model.state_dict() (parameters and buffers)
//   optim.<name>   every entry of optimizer.state_dict() (step, lr, moments), if one is given;
//                  with several optimizers (a GAN's two), the second's under optim1.<name>, ...
// and in __metadata__ (decimal strings): soma.format = "checkpoint", soma.format_version,
// soma.epoch, soma.step, soma.optimizer (its type_name; soma.optimizer1, ... for more), soma.rng.s0
// .. soma.rng.s3 (the xoshiro256** words), soma.rng.has_spare and soma.rng.spare (the cached normal
// deviate), plus the caller's own entries (keys must not start with "soma.").

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "soma/io/safetensors.h"
#include "soma/nn/module.h"
#include "soma/optim/optimizer.h"
#include "soma/random.h"

namespace soma::io {

// Writes model.state_dict() (atomically) under its own names; the metadata goes along.
void save_module(nn::Module& model, const std::string& path, const Metadata& metadata = {});
// Loads such a file into the model (Module::load_state_dict: strict by default, shapes must
// match; values are converted to the parameters' dtypes). Returns the file's metadata.
Metadata load_module(nn::Module& model, const std::string& path, bool strict = true);

struct CheckpointInfo {
    std::int64_t epoch = 0;
    std::int64_t step = 0;
    Metadata extra = {};  // the caller's own entries, e.g. {"best_loss", "0.031"}
};

// One atomic safetensors file. `opt` and `rng` may be null (not saved).
void save_checkpoint(const std::string& path, nn::Module& model, const optim::Optimizer* opt,
                     const CheckpointInfo& info = {}, const Generator* rng = nullptr);

// Restores what save_checkpoint saved into the given objects, bit for bit, and returns the
// epoch, step and extra entries. Model names and shapes must match strictly. Passing an
// optimizer or generator the file has no state for is an error (one the file has but the caller
// does not want is ignored); so is an optimizer of another type. Everything is validated before
// any object is changed.
CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model,
                               optim::Optimizer* opt = nullptr, Generator* rng = nullptr);

// The same for any number of optimizers, saved and restored in order (the first one's state is
// where the single-optimizer functions keep it).
void save_checkpoint(const std::string& path, nn::Module& model,
                     const std::vector<const optim::Optimizer*>& opts, const CheckpointInfo& info,
                     const Generator* rng = nullptr);
CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model,
                               const std::vector<optim::Optimizer*>& opts,
                               Generator* rng = nullptr);

// The same over the bytes of a checkpoint file in memory; `name` stands for the file in messages.
CheckpointInfo load_checkpoint_bytes(std::string_view bytes, const std::string& name,
                                     nn::Module& model, const std::vector<optim::Optimizer*>& opts,
                                     Generator* rng = nullptr);

}  // namespace soma::io
