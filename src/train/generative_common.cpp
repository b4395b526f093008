// The generative recipes' shared parts: settings, data, models, sample grids.

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>

#include "generative_detail.h"
#include "soma/data/split.h"
#include "soma/error.h"
#include "soma/models/generative_nets.h"
#include "soma/plot/png.h"

namespace soma::train {

std::vector<std::int64_t> parse_widths(const std::string& text, const std::string& what) {
    std::vector<std::int64_t> widths;
    const char* p = text.data();
    const char* end = p + text.size();
    check(p != end, what, ": needs at least one width (e.g. 256,256), got ''");
    while (true) {
        std::int64_t w = 0;
        auto [next, ec] = std::from_chars(p, end, w);
        check(ec == std::errc() && w > 0 && (next == end || *next == ','), what,
              ": widths must be positive whole numbers separated by commas, got '", text, "'");
        widths.push_back(w);
        if (next == end) return widths;
        p = next + 1;
    }
}

data::Mixture gan_mixture(const std::string& dataset) {
    // PacGAN's (Lin et al. 2018) two mixtures.
    if (dataset == "ring") return data::gaussian_ring(8, 1.0, 0.01);
    if (dataset == "grid") return data::gaussian_grid(5, 2.0, 0.05);
    fail("gan_mixture: no mixture called '", dataset, "' (known: ring, grid)");
}

namespace detail {

void check_kind(const io::Metadata& meta, const std::string& expected, const std::string& path) {
    auto it = meta.find(kKindKey);
    check(it != meta.end(), path, " is not a checkpoint of soma train vae or gan (no '", kKindKey,
          "' entry in its metadata)");
    check(it->second == expected, path, " holds a ", it->second, " model, not a ", expected);
}

std::shared_ptr<const data::datasets::FashionMNIST> fmnist_images(data::datasets::Split split,
                                                                  const std::string& root) {
    // Decoding takes most of a second: runs in one process (tests) share what was loaded.
    static std::mutex mutex;
    static std::map<std::pair<std::string, data::datasets::Split>,
                    std::shared_ptr<const data::datasets::FashionMNIST>>
        cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[{root, split}];
    if (!slot) slot = std::make_shared<data::datasets::FashionMNIST>(root, split);
    return slot;
}

std::shared_ptr<const data::Dataset> first(std::shared_ptr<const data::Dataset> d, std::int64_t n) {
    if (n <= 0 || n >= d->size()) return d;
    std::vector<std::int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    return std::make_shared<data::Subset>(std::move(d), std::move(idx));
}

namespace {

void check_common(const char* name, std::int64_t latent, std::int64_t epochs,
                  std::int64_t batch_size, double lr, std::int64_t train_size) {
    check(latent >= 1, name, ": latent must be >= 1, got ", latent);
    check(epochs >= 1, name, ": epochs must be >= 1, got ", epochs);
    check(batch_size >= 1, name, ": batch_size must be >= 1, got ", batch_size);
    check(std::isfinite(lr) && lr > 0, name, ": lr must be > 0, got ", lr);
    check(train_size >= 0, name, ": train_size must be >= 0, got ", train_size);
}

}  // namespace

void resolve(VaeRunOptions& o) {
    check(o.dataset == "fmnist",
          "train_vae: the VAE recipe is for images: dataset must be fmnist, ", "got '", o.dataset,
          "'");
    check(o.model == "conv" || o.model == "mlp", "train_vae: model must be conv or mlp, got '",
          o.model, "'");
    if (o.hidden.empty()) o.hidden = o.model == "conv" ? "256" : "512,256";
    const auto widths = parse_widths(o.hidden, "train_vae: hidden");
    check(o.model == "mlp" || widths.size() == 1,
          "train_vae: the conv model takes one hidden width, got '", o.hidden, "'");
    check_common("train_vae", o.latent, o.epochs, o.batch_size, o.lr, o.train_size);
    check(std::isfinite(o.beta) && o.beta >= 0, "train_vae: beta must be >= 0, got ", o.beta);
    check(o.val_size >= 1, "train_vae: val_size must be >= 1, got ", o.val_size);
    check(o.test_size >= 0 && o.patience >= 0, "train_vae: test_size and patience must be >= 0");
    check(o.select == "last" || o.select == "best", "train_vae: select must be last or best, got '",
          o.select, "'");
}

void resolve(GanRunOptions& o) {
    check(o.dataset == "ring" || o.dataset == "grid" || o.dataset == "fmnist",
          "train_gan: dataset must be ring, grid or fmnist, got '", o.dataset, "'");
    check(o.model == "mlp" || o.model == "conv", "train_gan: model must be mlp or conv, got '",
          o.model, "'");
    check(o.model == "mlp" || o.dataset == "fmnist",
          "train_gan: the conv (DCGAN) model is for images: use --dataset fmnist or --model mlp");
    if (o.model == "conv")
        check(o.hidden.empty(), "train_gan: the conv (DCGAN) model has fixed widths; --hidden '",
              o.hidden, "' is for mlp");
    else if (o.hidden.empty())
        o.hidden = o.dataset == "fmnist" ? "256,512" : "128,128";
    if (o.model == "mlp") parse_widths(o.hidden, "train_gan: hidden");
    // The mixtures' small networks learn the modes' 0.01-wide peaks much sooner at 1e-3 (8/8
    // modes after 20 epochs; at 2e-4 none was within 3 std yet).
    if (o.lr == 0) o.lr = o.dataset == "fmnist" ? 2e-4 : 1e-3;
    check_common("train_gan", o.latent, o.epochs, o.batch_size, o.lr, o.train_size);
    check(o.pack >= 1, "train_gan: pack must be >= 1, got ", o.pack);
    check(o.batch_size % o.pack == 0, "train_gan: batch_size (", o.batch_size,
          ") must be a multiple of pack (", o.pack, ")");
    check(o.d_steps >= 1, "train_gan: d_steps must be >= 1, got ", o.d_steps);
    check(o.label_smoothing >= 0 && o.label_smoothing < 1,
          "train_gan: label_smoothing must be in [0, 1), got ", o.label_smoothing);
    check(o.eval_samples >= 1, "train_gan: eval_samples must be >= 1, got ", o.eval_samples);
}

std::shared_ptr<models::VAE> build_vae(const VaeRunOptions& o) {
    const models::VAEOptions vae{.latent_dim = o.latent, .beta = o.beta};
    const auto widths = parse_widths(o.hidden, "train_vae: hidden");
    if (o.model == "conv") return models::conv_vae({.hidden = widths[0], .vae = vae});
    return models::mlp_vae({.input_dim = 28 * 28, .hidden = widths, .vae = vae});
}

std::shared_ptr<models::GAN> build_gan(const GanRunOptions& o) {
    std::shared_ptr<nn::Module> g, d;
    if (o.model == "conv") {
        g = models::dcgan_generator(o.latent);
        d = models::dcgan_discriminator(o.pack);
    } else {
        const bool images = o.dataset == "fmnist";
        const auto widths = parse_widths(o.hidden, "train_gan: hidden");
        g = models::mlp_generator({.latent_dim = o.latent,
                                   .hidden = widths,
                                   .out_shape = images ? std::vector<std::int64_t>{1, 28, 28}
                                                       : std::vector<std::int64_t>{2},
                                   .tanh = images});
        const models::MlpDiscriminatorOptions d_options{.in_features = images ? 28 * 28 : 2,
                                                        .hidden = {widths.rbegin(), widths.rend()},
                                                        .pack = o.pack};
        d = o.pack > 1 ? models::packed_mlp_discriminator(d_options)
                       : models::mlp_discriminator(d_options);
    }
    return std::make_shared<models::GAN>(g, d,
                                         models::GANOptions{.latent_dim = o.latent,
                                                            .lr_g = o.lr,
                                                            .lr_d = o.lr,
                                                            .label_smoothing = o.label_smoothing,
                                                            .d_steps = o.d_steps,
                                                            .pack = o.pack});
}

std::string samples_png(const std::string& out_dir, std::int64_t epoch) {
    char name[40];
    std::snprintf(name, sizeof name, "samples_epoch_%03lld.png", static_cast<long long>(epoch));
    return (std::filesystem::path(out_dir) / name).string();
}

void save_image_grid(const std::string& path, const Tensor& images) {
    plot::save_png_grid(path, images, 8, {.scale = 2});
}

}  // namespace detail
}  // namespace soma::train
