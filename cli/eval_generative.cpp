// soma eval-generative: Fréchet distance and classifier score of generated Fashion-MNIST
// images, on the features of soma's own CNN classifier, beside the floor real images reach.
//   soma eval-generative samples.safetensors --classifier runs/fmnist_cnn/checkpoint.safetensors
//   soma eval-generative --real train --n 10000 --classifier ... --json

#include <soma/error.h>
#include <soma/threading.h>
#include <soma/train/fmnist_generative.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"

namespace soma::cli {

namespace {

using data::datasets::Split;

struct EvalGenerativeArgs {
    std::string samples, classifier, reference = "test", real,
                                     root = data::datasets::kFashionMnistRoot;
    std::int64_t n = 0;
    bool json = false;
    int threads = 0;
};

// A JSON string literal (paths may hold quotes, backslashes or control characters).
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

void print_json(const EvalGenerativeArgs& a, const std::string& source,
                const train::GenerativeReport& r) {
    std::printf(
        "{\"samples\": %s, \"classifier\": %s, \"reference\": %s, \"n\": %lld, "
        "\"reference_size\": %lld, \"frechet\": %.6f, \"score\": %.6f, \"confident\": %.6f",
        quoted(source).c_str(), quoted(a.classifier).c_str(), quoted(a.reference).c_str(),
        static_cast<long long>(r.samples), static_cast<long long>(r.reference_size), r.frechet,
        r.score.score, r.score.confident);
    if (r.floor_size > 0)
        std::printf(", \"floor_n\": %lld, \"floor_frechet\": %.6f",
                    static_cast<long long>(r.floor_size), r.floor_frechet);
    std::printf(", \"test_score\": %.6f, \"test_confident\": %.6f, \"test_pixel_entropy\": %.4f}\n",
                r.test_score.score, r.test_score.confident, r.test_pixel_entropy);
}

void print_text(const EvalGenerativeArgs& a, const std::string& source,
                const train::GenerativeReport& r) {
    const char* other = a.reference == "test" ? "training" : "test";
    std::printf("%s: %lld images; features and classes from the cnn of %s\n", source.c_str(),
                static_cast<long long>(r.samples), a.classifier.c_str());
    std::printf("  Frechet distance vs the %s set (%lld images): %.4f\n", a.reference.c_str(),
                static_cast<long long>(r.reference_size), r.frechet);
    std::printf("  classifier score: %.4f (of 10), confident (p > 0.9): %.1f%%\n", r.score.score,
                100 * r.score.confident);
    std::printf("floor (real images):\n");
    if (r.floor_size > 0)
        std::printf("  Frechet distance of %lld %s images vs the %s set: %.4f\n",
                    static_cast<long long>(r.floor_size), other, a.reference.c_str(),
                    r.floor_frechet);
    std::printf("  classifier score of the test images: %.4f, confident: %.1f%%\n",
                r.test_score.score, 100 * r.test_score.confident);
    std::printf(
        "  summed pixel entropy of the test images (no summed-BCE VAE gets below): %.2f "
        "nats per image\n",
        r.test_pixel_entropy);
}

int run_eval_generative(const EvalGenerativeArgs& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    try {
        check(a.samples.empty() != a.real.empty(),
              "give either a samples file or --real (real images as the samples), not both");
        check(a.real.empty() || a.real != a.reference, "--real ", a.real, " would compare the ",
              a.reference, " set with itself; use the other split");
        Tensor images;
        std::string source;
        if (!a.real.empty()) {
            const Split split = a.real == "train" ? Split::Train : Split::Test;
            images = train::fmnist_images(split, a.n > 0 ? a.n : 10000, a.root);
            source = "real " + std::string(a.real == "train" ? "training" : "test") + " images";
        } else {
            images = train::load_samples(a.samples);
            check(a.n <= images.size(0), "--n ", a.n, ": '", a.samples, "' holds only ",
                  images.size(0), " images");
            if (a.n > 0) images = images.narrow(0, 0, a.n);
            source = a.samples;
        }
        const train::GenerativeReport r = train::evaluate_generative(
            images, {.classifier = a.classifier,
                     .reference = a.reference == "train" ? Split::Train : Split::Test,
                     .floor = a.real.empty(),
                     .root = a.root});
        if (a.json)
            print_json(a, source, r);
        else
            print_text(a, source, r);
        return 0;
    } catch (const soma::Error& e) {
        std::cerr << "soma eval-generative: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

Command add_eval_generative(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand(
        "eval-generative",
        "Frechet distance and classifier score of generated Fashion-MNIST images, on the "
        "features of soma's CNN classifier, and the floor real images reach");
    auto a = std::make_shared<EvalGenerativeArgs>();
    app->add_option("samples", a->samples,
                    "A safetensors file with a tensor 'samples' (n, 1, 28, 28), values in [0, 1]")
        ->check(CLI::ExistingFile);
    app->add_option("--classifier", a->classifier,
                    "A checkpoint of `soma train fmnist --model cnn`")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("--reference", a->reference, "The real images compared with")
        ->check(CLI::IsMember({"test", "train"}))
        ->capture_default_str();
    app->add_option("--real", a->real,
                    "Measure real images of this split instead of a file (the floor alone)")
        ->check(CLI::IsMember({"test", "train"}));
    app->add_option("--n", a->n, "Use the first n samples (0: all; with --real, 10000)")
        ->check(CLI::NonNegativeNumber);
    app->add_flag("--json", a->json, "Print one JSON object instead of text");
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    app->add_option("--data", a->root, "Fashion-MNIST directory")->capture_default_str();
    return {app, [a] { return run_eval_generative(*a); }};
}

}  // namespace soma::cli
