#pragma once
// The generative recipes, as `soma train vae`, `soma train gan` and `soma sample` run them:
//
//   train::VaeRun v = train::train_vae({.model = "conv", .epochs = 10, .out_dir = "out/vae"});
//   v.test.get("loss");                     // ELBO loss per test image, once, at the end
//   train::GanRun g = train::train_gan({.dataset = "ring", .out_dir = "out/ring"});
//   g.coverage->modes;                      // modes captured by 2,500 samples
//   train::GenerativeModel m = train::load_generative("out/vae/checkpoint.safetensors");
//   Tensor x = m.sample(64, gen);           // (64, 1, 28, 28) in [0, 1], or (64, 2) points
//
// Both run on train::fit, so they get its progress lines, metrics.jsonl, curves.svg, atomic
// checkpoints, --resume (exact, also mid-epoch) and Ctrl-C handling. The checkpoint's metadata
// names the kind ("vae" or "gan") and every setting below (dataset, model, latent, hidden, ...),
// which is what load_generative rebuilds the model from.
//
// VAE: Fashion-MNIST images in [0, 1] with a Bernoulli likelihood; a seeded split holds out
// val_size training images. Training, early stopping and best.safetensors see the validation
// split only; the test split is evaluated once, at the end, on the weights `select` names (the
// best validation loss by default): the loss is the negative ELBO per image with one z sample
// per image, in nats. Files besides fit()'s: loss.svg (the training loss per batch and the
// train/validation loss per epoch; after a resume the per-batch line starts where the run
// resumed) and samples_epoch_NNN.png (64 decoded draws from the prior, the same draws every
// epoch).
//
// GAN: models::GAN with separate Adam optimisers (betas 0.5, 0.999). Data: Fashion-MNIST
// scaled to [-1, 1], or train_size points of a 2-D Gaussian mixture drawn once from the seed:
// ring (8 modes on the unit circle, std 0.01) or grid (5x5 modes spaced 2 apart, std 0.05),
// PacGAN's settings. Networks: mlp (models::mlp_generator / mlp_discriminator, the
// discriminator's widths the generator's reversed) or, for images, conv (DCGAN). There is no
// validation split: fit()'s curves show the training losses and D's mean beliefs (d_real,
// d_fake). Files: samples_epoch_NNN.png for images (fixed noise); for the mixtures, at the end,
// samples.svg (2,500 samples over the modes) and the mode coverage in the result.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "soma/data/fashion_mnist.h"
#include "soma/data/mixtures.h"
#include "soma/models/gan.h"
#include "soma/models/vae.h"
#include "soma/random.h"
#include "soma/train/engine.h"
#include "soma/train/settings.h"

namespace soma::train {

struct VaeRunOptions {
    std::string dataset = "fmnist";  // the only one: images
    std::string model = "conv";      // conv (models::conv_vae) or mlp (models::mlp_vae)
    std::int64_t latent = 16;
    // Hidden widths, comma-separated ("512,256"); conv takes one. Empty: 256 (conv), 512,256 (mlp).
    std::string hidden{};
    double beta = 1;           // weight of the KL term (1: the ELBO)
    std::int64_t epochs = 10;  // the total, counting those done before a resume
    std::int64_t batch_size = 128;
    double lr = 1e-3;  // Adam
    std::uint64_t seed = 1;
    std::int64_t train_size = 0;   // train on the first n training images only (0: all)
    std::int64_t val_size = 5000;  // held out of the 60,000 for validation
    std::int64_t test_size = 0;    // evaluate on the first n test images (0: all 10,000)
    std::int64_t patience = 0;     // early stopping on the validation loss (0: off)
    std::string select = "best";   // the weights the test set sees: best (validation) or last
    std::string out_dir{};         // empty: nothing is written
    std::string resume{};          // a checkpoint of train_vae; its settings win (see `given`)
    std::string root = data::datasets::kFashionMnistRoot;
    std::ostream* log = nullptr;  // progress and per-epoch lines; null: silent
    bool terminal = false;        // draw a progress bar in place
    std::function<void(const EpochState&)> on_batch = nullptr;
    // With resume: the settings set on purpose (command-line flags, by field name); unset: those
    // that differ from the defaults above. One that contradicts the checkpoint is an error.
    std::optional<std::set<std::string>> given{};

    void fields(FieldVisitor& v);
};

struct VaeRun {
    std::shared_ptr<models::VAE> model;  // with the weights the test set saw
    std::vector<EpochRecord> history;
    Metrics test;  // loss, reconstruction, kl: per test image (not if interrupted)
    std::int64_t test_images = 0;
    std::string tested;  // "last epoch (N)" or "best validation loss (epoch N)"
    bool interrupted = false, early_stopped = false;
    std::int64_t best_epoch = 0;
    std::string checkpoint;  // the last one written ("" without out_dir)
};

VaeRun train_vae(const VaeRunOptions& options);

struct GanRunOptions {
    std::string dataset = "ring";  // ring, grid or fmnist
    std::string model = "mlp";     // mlp, or conv (DCGAN, fmnist only)
    std::int64_t latent = 64;
    // The generator's hidden widths, comma-separated (mlp only). Empty: 128,128 (ring, grid),
    // 256,512 (fmnist).
    std::string hidden{};
    std::int64_t pack = 1;  // PacGAN: samples the discriminator judges together
    std::int64_t d_steps = 1;
    double label_smoothing = 0;
    std::int64_t epochs = 20;  // the total, counting those done before a resume
    std::int64_t batch_size = 64;
    double lr = 0;  // Adam's, both networks; 0: 1e-3 (ring, grid), 2e-4 (fmnist, DCGAN's)
    std::uint64_t seed = 1;
    // Mixtures: points drawn per epoch's data set (0: 25,600). fmnist: the first n training
    // images (0: all 60,000).
    std::int64_t train_size = 0;
    std::int64_t eval_samples = 2500;  // mixtures: samples that measure the mode coverage
    std::string out_dir{};
    std::string resume{};
    std::string root = data::datasets::kFashionMnistRoot;
    std::ostream* log = nullptr;
    bool terminal = false;
    std::function<void(const EpochState&)> on_batch = nullptr;
    std::optional<std::set<std::string>> given{};

    void fields(FieldVisitor& v);
};

struct GanRun {
    std::shared_ptr<models::GAN> model;
    std::vector<EpochRecord> history;
    std::optional<data::ModeCoverage> coverage;  // mixtures, at the end (not if interrupted)
    std::int64_t total_modes = 0;                // the mixture's
    bool interrupted = false;
    std::string checkpoint;
};

GanRun train_gan(const GanRunOptions& options);

// The mixture a GAN dataset names: "ring" or "grid" (throws for anything else).
data::Mixture gan_mixture(const std::string& dataset);

// A scatter plot (SVG) of (n, 2) samples with the mixture's modes as crosses.
void save_points_svg(const std::string& path, const Tensor& points, const data::Mixture& mixture,
                     const std::string& title);

// A model of train_vae or train_gan, rebuilt from one of their checkpoints (or best.safetensors).
struct GenerativeModel {
    std::string kind;     // "vae" or "gan"
    std::string dataset;  // fmnist, ring or grid
    std::string model;    // conv or mlp
    std::shared_ptr<models::VAE> vae;
    std::shared_ptr<models::GAN> gan;

    bool images() const { return dataset == "fmnist"; }
    // n samples from noise drawn from `gen`, in eval mode under NoGrad: (n, 1, 28, 28) images
    // in [0, 1] (a VAE's decoded means, a GAN's output mapped from [-1, 1]) or (n, 2) points.
    Tensor sample(std::int64_t n, Generator& gen);
};

// Throws soma::Error naming the file when it is not such a checkpoint.
GenerativeModel load_generative(const std::string& path);

// "512,256" -> {512, 256}; throws soma::Error naming `what` for an empty list, a width that is
// not a positive whole number, or stray characters.
std::vector<std::int64_t> parse_widths(const std::string& text, const std::string& what);

}  // namespace soma::train
