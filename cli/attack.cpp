// soma attack: the robustness report of a Fashion-MNIST classifier under FGSM and PGD, in pixel
// units on the test set, with its sanity checks, JSON, accuracy-vs-eps figure and a PNG of
// adversarial examples.
//   soma attack out/fmnist/checkpoint.safetensors
//   soma attack out/fmnist/best.safetensors --attack pgd --eps 0.1 --steps 20 --restarts 10

#include <soma/attack/fgsm.h>
#include <soma/attack/normalized.h>
#include <soma/attack/report.h>
#include <soma/autograd.h>
#include <soma/error.h>
#include <soma/models/classifier.h>
#include <soma/ops.h>
#include <soma/plot/png.h>
#include <soma/threading.h>
#include <soma/train/fmnist.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"

namespace soma::cli {

namespace {

using data::datasets::FashionMNIST;

struct AttackArgs {
    std::string path, model, attack = "all", eps = "0.05,0.1,0.2", norm = "linf", loss = "ce",
                             out = "out/attack", root = data::datasets::kFashionMnistRoot;
    std::int64_t steps = 20, restarts = 1, test_size = 0, batch_size = 500;
    double step_size = 0;
    std::uint64_t seed = 0;
    bool json = false;
    int threads = 0;
};

// "0.05,0.1,0.2" -> {0.05, 0.1, 0.2}; an error message instead when an item is not a finite
// number >= 0 (or there is none).
std::string parse_eps(const std::string& text, std::vector<double>& eps) {
    eps.clear();
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        double x = 0;
        std::size_t used = 0;
        try {
            x = std::stod(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size())
            return "'" + item + "' in '" + text + "' is not a number";
        if (!std::isfinite(x) || x < 0) return "eps must be finite and >= 0, got " + item;
        eps.push_back(x);
    }
    if (eps.empty()) return "give at least one eps, e.g. 0.05,0.1,0.2";
    return "";
}

const CLI::Validator& eps_list() {
    static const CLI::Validator v(
        [](std::string& text) {
            std::vector<double> eps;
            return parse_eps(text, eps);
        },
        "EPS,...");
    return v;
}

std::vector<attack::AttackSpec> specs(const AttackArgs& a) {
    const attack::Norm norm = attack::parse_norm(a.norm);
    const attack::Loss loss = attack::parse_loss(a.loss);
    std::vector<attack::AttackSpec> out;
    if (a.attack != "pgd") {
        attack::AttackSpec f = attack::fgsm_spec(norm);
        f.pgd.loss = loss;
        f.name = attack::default_name(f);
        out.push_back(f);
    }
    if (a.attack != "fgsm") {
        attack::AttackSpec p = attack::pgd_spec(a.steps, a.restarts, norm, loss);
        p.pgd.step_size = a.step_size;
        out.push_back(p);
    }
    return out;
}

// Up to 8 test images the model classifies correctly, attacked again on their own with the
// strongest attack (the last spec: PGD when there is one) at the middle eps, written as three
// rows: clean, adversarial, and the perturbation amplified to fill [0, 1] (0.5 + delta / (2
// eps), gray where nothing changed). With `print`, both predicted labels, which the PNG cannot
// show.
void write_examples(nn::Module& model, const data::TensorDataset& test,
                    const attack::RobustnessOptions& o, const std::string& path, bool print) {
    std::vector<double> eps = o.eps;
    std::sort(eps.begin(), eps.end());
    const double e = eps[eps.size() / 2];
    const attack::AttackSpec& spec = o.attacks.back();

    attack::EvalModeGuard eval(model);
    std::vector<std::int64_t> picked;
    const std::int64_t scan = std::min<std::int64_t>(test.size(), 256);
    {
        NoGrad no_grad;
        const auto pred =
            argmax(model(test.inputs().narrow(0, 0, scan)), 1).to_vector<std::int64_t>();
        const auto labels = test.targets().narrow(0, 0, scan).to_vector<std::int64_t>();
        for (std::int64_t i = 0; i < scan && picked.size() < 8; ++i)
            if (pred[i] == labels[i]) picked.push_back(i);
    }
    if (picked.empty()) return;
    const data::Example batch = test.get_batch(picked);
    Tensor adv;
    if (spec.fgsm) {
        adv = attack::fgsm(model, batch.input, batch.target, e,
                           {.norm = spec.pgd.norm, .loss = spec.pgd.loss, .range = spec.pgd.range});
    } else {
        Generator gen(o.seed);
        attack::PgdOptions p = spec.pgd;
        p.eps = e;
        p.generator = &gen;
        adv = attack::pgd(model, batch.input, batch.target, p);
    }
    NoGrad no_grad;
    const Tensor delta = adv - batch.input;  // (n, 1, 28, 28)
    // L-inf: |delta| <= eps per pixel; L2 spreads eps over the image, so scale by the largest
    // change instead, or the perturbation would be invisible.
    double scale = e;
    if (spec.pgd.norm == attack::Norm::L2) scale = max(abs(delta)).item<float>();
    const Tensor shown = scale > 0 ? delta / (2 * scale) + 0.5 : zeros_like(delta) + 0.5;
    plot::save_png_grid(path, cat({batch.input, adv, shown}, 0), static_cast<int>(picked.size()),
                        {.scale = 3});

    if (!print) return;
    const auto clean = argmax(model(batch.input), 1).to_vector<std::int64_t>();
    const auto attacked = argmax(model(adv), 1).to_vector<std::int64_t>();
    const auto& names = FashionMNIST::classes();
    std::printf("\n%s: columns = test images", path.c_str());
    for (std::int64_t i : picked) std::printf(" %lld", static_cast<long long>(i));
    std::printf("; rows = clean, %s at eps %g, perturbation (gray = none)\n", spec.name.c_str(), e);
    for (std::size_t k = 0; k < picked.size(); ++k)
        std::printf("  %-2zu image %-5lld clean: %-12s adversarial: %s%s\n", k + 1,
                    static_cast<long long>(picked[k]), names[clean[k]].c_str(),
                    names[attacked[k]].c_str(), clean[k] != attacked[k] ? "  (flipped)" : "");
}

int run_attack(AttackArgs a) {
    if (a.threads > 0) set_num_threads(a.threads);
    try {
        attack::RobustnessOptions o;
        const std::string bad = parse_eps(a.eps, o.eps);
        check(bad.empty(), "--eps: ", bad);
        o.attacks = specs(a);
        o.seed = a.seed;

        auto net = train::load_fmnist_model(a.path, a.model);
        // The checkpoint's classifier expects normalised images; the attack speaks pixels.
        attack::Normalized model(net, train::kFmnistMean, train::kFmnistStd);
        const FashionMNIST split(a.root, data::datasets::Split::Test);
        std::int64_t n = split.size();
        check(a.test_size <= n, "--test-size ", a.test_size, ": the test set has ", n, " images");
        if (a.test_size > 0) n = a.test_size;
        auto test = std::make_shared<data::TensorDataset>(split.images().narrow(0, 0, n),
                                                          split.labels().narrow(0, 0, n));
        const data::DataLoader loader(test, {.batch_size = a.batch_size});

        // Before the attacks, which may take a while, rather than after.
        std::filesystem::create_directories(a.out);
        const auto start = std::chrono::steady_clock::now();
        const attack::RobustnessReport r = attack::robustness_report(model, loader, o);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        const std::string json = a.out + "/robustness.json", svg = a.out + "/robustness.svg",
                          png = a.out + "/adversarial.png";
        r.save_json(json);
        r.save_svg(svg, "Fashion-MNIST " + a.model + ": accuracy under attack");
        if (a.json) {
            // Only the JSON on stdout, so that it parses; the PNG is still written.
            std::cout << r.to_json();
            write_examples(model, *test, o, png, false);
            return 0;
        }
        std::printf("%s (%s), Fashion-MNIST test images in pixel units [0, 1]\n", a.path.c_str(),
                    a.model.c_str());
        std::cout << r.format();
        std::printf("(%.1f s)\n", seconds);
        write_examples(model, *test, o, png, true);
        std::printf("wrote %s, %s, %s\n", json.c_str(), svg.c_str(), png.c_str());
        return 0;
    } catch (const soma::Error& e) {
        std::cerr << "soma attack: " << e.what() << "\n";
        return 1;
    } catch (const std::filesystem::filesystem_error& e) {
        std::cerr << "soma attack: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

Command add_attack(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app = root.add_subcommand(
        "attack",
        "Robustness of a Fashion-MNIST classifier under FGSM and PGD (pixel units), with the "
        "sanity checks that catch a broken attack or masked gradients");
    auto a = std::make_shared<AttackArgs>();
    app->add_option("checkpoint", a->path, "A checkpoint of soma train fmnist (.safetensors)")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("--model", a->model, "Model (default: the one named in the file)")
        ->check(CLI::IsMember(models::fmnist_model_names()));
    app->add_option("--attack", a->attack, "fgsm, pgd or all (both)")
        ->check(CLI::IsMember({"fgsm", "pgd", "all"}))
        ->capture_default_str();
    app->add_option("--eps", a->eps, "Radii, comma-separated, in pixel units")
        ->check(eps_list())
        ->capture_default_str();
    app->add_option("--steps", a->steps, "PGD steps")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000}))
        ->capture_default_str();
    app->add_option("--restarts", a->restarts, "PGD random restarts (the worst case is kept)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{10000}))
        ->capture_default_str();
    app->add_option("--step-size", a->step_size, "PGD step size (default: 2.5 eps / steps)")
        ->check(finite_positive());
    app->add_option("--norm", a->norm, "The ball: linf or l2")
        ->check(CLI::IsMember({"linf", "l2"}))
        ->capture_default_str();
    app->add_option("--loss", a->loss, "The loss the attack ascends: ce or margin (CW)")
        ->check(CLI::IsMember({"ce", "margin"}))
        ->capture_default_str();
    app->add_option("--seed", a->seed, "Seed of PGD's random starts")
        ->check(unsigned_integer())
        ->capture_default_str();
    app->add_option("--test-size", a->test_size, "Attack the first n test images (0: all)")
        ->check(CLI::NonNegativeNumber);
    app->add_option("--batch-size", a->batch_size, "Images per attack batch")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
        ->capture_default_str();
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    app->add_option("--out", a->out,
                    "Directory for robustness.json, robustness.svg and "
                    "adversarial.png")
        ->capture_default_str();
    app->add_option("--data", a->root, "Fashion-MNIST directory")->capture_default_str();
    app->add_flag("--json", a->json, "Print the report as JSON instead of text");
    return {app, [a] { return run_attack(*a); }};
}

}  // namespace soma::cli
