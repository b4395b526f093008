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
    if (opt) {
        nn::StateDict optim_state = opt->state_dict();
        for (const auto& [name, t] : optim_state.items()) all.insert(kOptimPrefix + name, t);
        meta["soma.optimizer"] = opt->type_name();
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

CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* opt,
                               Generator* rng) {
    SafetensorsFile file = load_safetensors(path);
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

    nn::StateDict model_state, optim_state;
    for (const auto& [name, t] : file.tensors.items()) {
        if (starts_with(name, kModelPrefix))
            model_state.insert(name.substr(std::strlen(kModelPrefix)), t);
        else if (starts_with(name, kOptimPrefix))
            optim_state.insert(name.substr(std::strlen(kOptimPrefix)), t);
        else
            bad("tensor '", name, "' belongs to neither the model nor the optimizer");
    }
    if (opt) {
        if (!meta.has("soma.optimizer")) bad("the checkpoint holds no optimizer state");
        if (meta.get("soma.optimizer") != opt->type_name())
            bad("the checkpoint holds optimizer state of type ", meta.get("soma.optimizer"),
                ", not ", opt->type_name());
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
    if (opt) {
        NoGrad no_grad;
        nn::StateDict current = model.state_dict();
        for (const auto& [name, t] : current.items()) backup.insert(name, t.clone());
    }
    model.load_state_dict(model_state, true);
    if (opt) {
        try {
            opt->load_state_dict(optim_state);
        } catch (...) {
            model.load_state_dict(backup, true);
            throw;
        }
    }
    if (rng) rng->set_state(rng_state);
    return info;
}

}  // namespace soma::io
