// The list of entries by number, finding one by (part of) its name, running one.

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "entries.h"
#include "soma/error.h"
#include "soma/random.h"

namespace soma::gallery {

namespace {

// Swallows everything written to it (an ostream without a buffer sets badbit and drops output).
std::ostream& null_stream() {
    static std::ostream sink(nullptr);
    return sink;
}

}  // namespace

std::string strf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    return buf;
}

std::string Context::path(const std::string& file) const {
    if (out_dir.empty() || out_dir == ".") return file;
    return (std::filesystem::path(out_dir) / file).string();
}

std::ostream& Context::out() const { return log ? *log : null_stream(); }

const std::vector<Entry>& entries() {
    // By number, mostly the lecture's order (the tricks and design slides' entries, 22-28, came
    // last). Each entry's slide, caption and program are in its own file.
    static const std::vector<Entry> all = {
        binary_xor_entry(),
        perceptron_entry(),
        backprop_entry(),
        activations_entry(),
        mlp_xor_entry(),
        recipes_entry(),
        cos2sin_entry(),
        bptt_gradients_entry(),
        char_rnn_entry(),
        conv_filters_entry(),
        fmnist_classifier_entry(),
        attention_entry(),
        vae_entry(),
        seq2seq_entry(),
        pronunciation_entry(),
        gan_entry(),
        gan_fmnist_entry(),
        fgsm_entry(),
        robust_training_entry(),
        large_margin_entry(),
        input_dimension_entry(),
        residual_nets_entry(),
        batch_norm_entry(),
        dropout_entry(),
        max_pooling_entry(),
        batches_entry(),
        double_descent_entry(),
        gpus_entry(),
    };
    return all;
}

const Entry* find(const std::string& name) {
    for (const Entry& e : entries())
        if (e.name == name) return &e;
    return nullptr;
}

std::vector<const Entry*> match(const std::string& part) {
    // An exact name wins even when it is also part of a longer one.
    if (const Entry* e = find(part)) return {e};
    std::vector<const Entry*> found;
    if (part.empty()) return found;
    for (const Entry& e : entries())
        if (e.name.find(part) != std::string::npos) found.push_back(&e);
    return found;
}

Result run(const Entry& entry, Context& ctx) {
    manual_seed(ctx.seed);  // for anything an entry draws from the default generator
    const auto start = std::chrono::steady_clock::now();
    Result result;
    try {
        if (!ctx.out_dir.empty()) std::filesystem::create_directories(ctx.out_dir);
        result = entry.run(ctx);
    } catch (const std::exception& e) {
        result = Result{};
        result.ok = false;
        result.summary = std::string("failed: ") + e.what();
    }
    result.metrics["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace soma::gallery
