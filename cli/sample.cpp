// soma sample: draws from a model of `soma train vae` or `soma train gan`.
//   soma sample out/vae/checkpoint.safetensors --n 64 --out grid.png
//   soma sample out/vae/best.safetensors --n 10000 --out samples.safetensors --seed 2
//   soma sample out/gan-ring/checkpoint.safetensors --n 2500 --out points.csv   (or .svg)
//
// .safetensors holds one tensor, "samples": images (n, 1, 28, 28) float32 in [0, 1] (what
// `soma eval-generative` reads), or points (n, 2); its metadata names the source and the seed.

#include <soma/error.h>
#include <soma/io/atomic_file.h>
#include <soma/io/safetensors.h>
#include <soma/plot/png.h>
#include <soma/train/generative.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "commands.h"

namespace soma::cli {

namespace {

struct Args {
    std::string checkpoint, out = "samples.png";
    std::int64_t n = 64, cols = 8;
    std::uint64_t seed = 1;
};

std::string extension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

void write_csv(const std::string& path, const Tensor& points) {
    const std::vector<float> v = points.contiguous().to_vector<float>();
    std::string text = "x1,x2\n";
    char line[64];
    for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
        std::snprintf(line, sizeof line, "%.9g,%.9g\n", v[i], v[i + 1]);
        text += line;
    }
    io::write_file_atomic(path, text);
}

int run(const Args& a) {
    const std::string ext = extension(a.out);
    check(ext == ".png" || ext == ".safetensors" || ext == ".csv" || ext == ".svg",
          "--out must end in .png, .safetensors, .csv or .svg, got '", a.out, "'");
    train::GenerativeModel m = train::load_generative(a.checkpoint);
    const std::string what = m.kind + " " + m.model + " on " + m.dataset;
    check(m.images() || ext != ".png", a.checkpoint, " holds a ", what,
          " model: points, not images; write .csv, .svg or .safetensors");
    check(!m.images() || (ext != ".csv" && ext != ".svg"), a.checkpoint, " holds a ", what,
          " model: images; write .png or .safetensors");

    Generator gen(a.seed);
    const Tensor samples = m.sample(a.n, gen);  // (n, 1, 28, 28) in [0, 1] or (n, 2)
    std::optional<data::Mixture> mixture;
    std::optional<data::ModeCoverage> coverage;
    if (!m.images()) {
        mixture = train::gan_mixture(m.dataset);
        coverage = data::mode_coverage(samples, *mixture);
    }
    if (ext == ".png") {
        plot::save_png_grid(a.out, samples, static_cast<int>(a.cols), {.scale = 2});
    } else if (ext == ".safetensors") {
        nn::StateDict tensors;
        tensors.insert("samples", samples.contiguous());
        io::save_safetensors(a.out, tensors,
                             {{"source", a.checkpoint},
                              {"kind", m.kind},
                              {"model", m.model},
                              {"dataset", m.dataset},
                              {"seed", std::to_string(a.seed)}});
    } else if (ext == ".csv") {
        write_csv(a.out, samples);
    } else {
        train::save_points_svg(a.out, samples, *mixture,
                               what + ": " + std::to_string(a.n) + " samples, " +
                                   std::to_string(coverage->modes) + "/" +
                                   std::to_string(mixture->modes()) + " modes");
    }
    std::cout << "wrote " << a.n << " samples of the " << what << " model (" << a.checkpoint
              << ", seed " << a.seed << ") to " << a.out << "\n";
    if (coverage)
        std::cout << "mode coverage: " << coverage->modes << "/" << mixture->modes() << " modes, "
                  << 100 * coverage->high_quality << "% high quality\n";
    return 0;
}

}  // namespace

Command add_sample(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand(
        "sample",
        "Draw samples from a model of soma train vae or gan (PNG grid, safetensors, "
        "CSV or SVG scatter)");
    auto a = std::make_shared<Args>();
    app->add_option("checkpoint", a->checkpoint,
                    "A checkpoint.safetensors or best.safetensors of soma train vae/gan")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("--n", a->n, "Number of samples")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 24))
        ->capture_default_str();
    app->add_option("--out", a->out,
                    "Output: .png (image grid), .safetensors (tensor 'samples'), .csv or .svg "
                    "(2-D points)")
        ->capture_default_str();
    app->add_option("--seed", a->seed, "Seed of the noise")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--cols", a->cols, "Images per row of the PNG grid")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1024}))
        ->capture_default_str();
    return {app, [a] {
                try {
                    return run(*a);
                } catch (const std::exception& e) {
                    std::cerr << "soma sample: " << e.what() << "\n";
                    return 1;
                }
            }};
}

}  // namespace soma::cli
