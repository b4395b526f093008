#include "soma/io/checkpoint.h"

#include <charconv>
#include <cstring>
#include <system_error>

#include "soma/autograd.h"

namespace soma::io {

namespace {

constexpr const char* kModelPrefix = "model.";
constexpr const char* kOptimPrefix = "optim.";
constexpr const char* kFormatVersion = "1";

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// Optimizer k's tensor prefix and type key: "optim." and "soma.optimizer" for the first (the
// single-optimizer layout), "optim<k>." and "soma.optimizer<k>" after it.
std::string optim_prefix(std::size_t k) {
    return k == 0 ? kOptimPrefix : "optim" + std::to_string(k) + ".";
}
std::string optim_key(std::size_t k) {
    return k == 0 ? "soma.optimizer" : "soma.optimizer" + std::to_string(k);
}

// Shortest decimal form that reads back to the same double (std::to_chars guarantees it).
std::string exact(double v) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, end);
}

class MetaReader {
public:
    MetaReader(const std::string& path, const Metadata& m) : path_(path), m_(m) {}

    bool has(const std::string& key) const { return m_.count(key) > 0; }
    const std::string& get(const std::string& key) const {
        auto it = m_.find(key);
        if (it == m_.end()) fail("load_checkpoint: '", path_, "': metadata lacks '", key, "'");
        return it->second;
    }
    template <class T>
    T number(const std::string& key) const {
        const std::string& s = get(key);
        T v{};
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size() || s.empty())
            fail("load_checkpoint: '", path_, "': metadata '", key, "' is not a valid number: '", s,
                 "'");
        return v;
    }

private:
    const std::string& path_;
    const Metadata& m_;
};

}  // namespace

void save_module(nn::Module& model, const std::string& path, const Metadata& metadata) {
    save_safetensors(path, model.state_dict(), metadata);
}

Metadata load_module(nn::Module& model, const std::string& path, bool strict) {
    SafetensorsFile file = load_safetensors(path);
    model.load_state_dict(file.tensors, strict);
    return std::move(file.metadata);
}

void save_checkpoint(const std::string& path, nn::Module& model, const optim::Optimizer* opt,
                     const CheckpointInfo& info, const Generator* rng) {
    std::vector<const optim::Optimizer*> opts;
    if (opt) opts.push_back(opt);
    save_checkpoint(path, model, opts, info, rng);
}

CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* opt,
                               Generator* rng) {
    std::vector<optim::Optimizer*> opts;
    if (opt) opts.push_back(opt);
    return load_checkpoint(path, model, opts, rng);
}

void save_checkpoint(const std::string& path, nn::Module& model,
                     const std::vector<const optim::Optimizer*>& opts, const CheckpointInfo& info,
                     const Generator* rng) {
    nn::StateDict all;
    nn::StateDict model_state = model.state_dict();  // named: items() refers into it
    for (const auto& [name, t] : model_state.items()) all.insert(kModelPrefix + name, t);
    Metadata meta;
    for (const auto& [key, value] : info.extra) {
        check(!starts_with(key, "soma."), "save_checkpoint: metadata key '", key,
              "' is reserved (keys starting with 'soma.' are soma's own)");
        meta[key] = value;
    }
    meta["soma.format"] = "checkpoint";
    meta["soma.format_version"] = kFormatVersion;
    meta["soma.epoch"] = std::to_string(info.epoch);
    meta["soma.step"] = std::to_string(info.step);
    for (std::size_t k = 0; k < opts.size(); ++k) {
        check(opts[k] != nullptr, "save_checkpoint: optimizer ", k, " is null");
        nn::StateDict optim_state = opts[k]->state_dict();
        for (const auto& [name, t] : optim_state.items()) all.insert(optim_prefix(k) + name, t);
        meta[optim_key(k)] = opts[k]->type_name();
    }
    if (rng) {
        Generator::State st = rng->state();
        for (int i = 0; i < 4; ++i)
            meta["soma.rng.s" + std::to_string(i)] = std::to_string(st.s[i]);
        meta["soma.rng.has_spare"] = std::to_string(st.has_spare ? 1 : 0);
        meta["soma.rng.spare"] = exact(st.spare);
    }
    save_safetensors(path, all, meta);
}

namespace {

// What both load_checkpoint and load_checkpoint_bytes do once the safetensors layer has parsed
// and validated the file: `path` names it in messages.
CheckpointInfo restore(SafetensorsFile& file, const std::string& path, nn::Module& model,
                       const std::vector<optim::Optimizer*>& opts, Generator* rng) {
    MetaReader meta(path, file.metadata);
    auto bad = [&](const auto&... parts) { fail("load_checkpoint: '", path, "': ", parts...); };
    if (!meta.has("soma.format") || meta.get("soma.format") != "checkpoint")
        bad("not a soma checkpoint (metadata soma.format is not 'checkpoint')");
    if (meta.get("soma.format_version") != kFormatVersion)
        bad("format version '", meta.get("soma.format_version"),
            "' is not supported (this soma reads ", kFormatVersion, ")");

    // Parse and check everything first, so that a bad file changes nothing.
    CheckpointInfo info;
    info.epoch = meta.number<std::int64_t>("soma.epoch");
    info.step = meta.number<std::int64_t>("soma.step");
    for (const auto& [key, value] : file.metadata)
        if (!starts_with(key, "soma.")) info.extra[key] = value;

    // Optimizers the file holds state for: k = 0, 1, ... while soma.optimizer<k> exists.
    std::size_t saved_opts = 0;
    while (meta.has(optim_key(saved_opts))) ++saved_opts;
    nn::StateDict model_state;
    std::vector<nn::StateDict> optim_states(saved_opts);
    for (const auto& [name, t] : file.tensors.items()) {
        if (starts_with(name, kModelPrefix)) {
            model_state.insert(name.substr(std::strlen(kModelPrefix)), t);
            continue;
        }
        bool placed = false;
        for (std::size_t k = 0; k < saved_opts && !placed; ++k)
            if (starts_with(name, optim_prefix(k).c_str())) {
                optim_states[k].insert(name.substr(optim_prefix(k).size()), t);
                placed = true;
            }
        if (!placed) bad("tensor '", name, "' belongs to neither the model nor an optimizer");
    }
    if (opts.size() > saved_opts)
        bad("the checkpoint holds state for ", saved_opts, " optimizer(s), not ", opts.size());
    for (std::size_t k = 0; k < opts.size(); ++k) {
        check(opts[k] != nullptr, "load_checkpoint: optimizer ", k, " is null");
        if (meta.get(optim_key(k)) != opts[k]->type_name())
            bad("the checkpoint holds optimizer state of type ", meta.get(optim_key(k)),
                k ? " for optimizer " + std::to_string(k) : std::string(), ", not ",
                opts[k]->type_name());
    }
    Generator::State rng_state{};
    if (rng) {
        if (!meta.has("soma.rng.s0")) bad("the checkpoint holds no random generator state");
        for (int i = 0; i < 4; ++i)
            rng_state.s[i] = meta.number<std::uint64_t>("soma.rng.s" + std::to_string(i));
        rng_state.has_spare = meta.number<int>("soma.rng.has_spare") != 0;
        rng_state.spare = meta.number<double>("soma.rng.spare");
    }

    // Module::load_state_dict checks before it copies; the optimizer's load may still refuse
    // after the model is restored, so keep the model's old values to put back.
    nn::StateDict backup;
    if (!opts.empty()) {
        NoGrad no_grad;
        nn::StateDict current = model.state_dict();
        for (const auto& [name, t] : current.items()) backup.insert(name, t.clone());
    }
    model.load_state_dict(model_state, true);
    // Optimizers that loaded before one refuses keep the file's state, the model is restored;
    // optimizer checks are thorough, so a refusal here means a corrupt file.
    try {
        for (std::size_t k = 0; k < opts.size(); ++k) opts[k]->load_state_dict(optim_states[k]);
    } catch (...) {
        if (!opts.empty()) model.load_state_dict(backup, true);
        throw;
    }
    if (rng) rng->set_state(rng_state);
    return info;
}

}  // namespace

CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model,
                               const std::vector<optim::Optimizer*>& opts, Generator* rng) {
    SafetensorsFile file = load_safetensors(path);
    return restore(file, path, model, opts, rng);
}

CheckpointInfo load_checkpoint_bytes(std::string_view bytes, const std::string& name,
                                     nn::Module& model, const std::vector<optim::Optimizer*>& opts,
                                     Generator* rng) {
    SafetensorsFile file = load_safetensors_bytes(bytes, name);
    return restore(file, name, model, opts, rng);
}

}  // namespace soma::io
