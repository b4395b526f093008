// The GAN recipe on train::fit: a step that updates both networks (models::GAN::step), sample
// grids after every epoch for images, the mode coverage and a scatter plot at the end for the
// 2-D mixtures.

#include <cstdio>
#include <filesystem>

#include "generative_detail.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/ops.h"
#include "soma/plot/svg.h"

namespace soma::train {

void GanRunOptions::fields(FieldVisitor& v) {
    v.field("dataset", dataset);
    v.field("model", model);
    v.field("latent", latent);
    v.field("hidden", hidden);
    v.field("pack", pack);
    v.field("d_steps", d_steps);
    v.field("label_smoothing", label_smoothing);
    v.field("epochs", epochs, Field::MayChange);
    v.field("batch_size", batch_size);
    v.field("lr", lr);
    v.field("seed", seed);
    v.field("train_size", train_size);
    v.field("eval_samples", eval_samples, Field::MayChange);
}

namespace {

constexpr std::int64_t kMixturePoints = 25600, kGridImages = 64;

// The training set: Fashion-MNIST images (scaled to [-1, 1] by the loader) or points of the
// mixture, drawn once from the seed (the labels are unused zeros).
std::shared_ptr<const data::Dataset> training_set(const GanRunOptions& o) {
    if (o.dataset == "fmnist")
        return detail::first(detail::fmnist_images(data::datasets::Split::Train, o.root),
                             o.train_size);
    const std::int64_t n = o.train_size > 0 ? o.train_size : kMixturePoints;
    Generator gen(o.seed);
    Tensor points = gan_mixture(o.dataset).sample(n, &gen);  // (n, 2)
    return std::make_shared<data::TensorDataset>(points, zeros({n}));
}

data::Example to_tanh_range(data::Example b, Generator& /*unused*/) {
    b.input = b.input * 2.0 - 1.0;  // [0, 1] -> [-1, 1], the generator's Tanh range
    return b;
}

std::string describe(const GanRunOptions& o) {
    char lr[32];
    std::snprintf(lr, sizeof lr, "%g", o.lr);
    std::string s = "gan " + o.model + " on " + o.dataset + " (latent " + std::to_string(o.latent) +
                    (o.model == "mlp" ? ", hidden " + o.hidden : std::string()) + ")";
    if (o.pack > 1) s += ", pack " + std::to_string(o.pack);
    if (o.d_steps > 1) s += ", " + std::to_string(o.d_steps) + " D steps";
    if (o.label_smoothing > 0) s += ", label smoothing " + std::to_string(o.label_smoothing);
    return s + ", batch " + std::to_string(o.batch_size) + ", adam lr " + lr + ", seed " +
           std::to_string(o.seed);
}

}  // namespace

void save_points_svg(const std::string& path, const Tensor& points, const data::Mixture& mix,
                     const std::string& title) {
    check(points.dim() == 2 && points.size(1) == 2, "save_points_svg: points must be (n, 2), got ",
          points.shape());
    const Tensor s = points.to(kFloat64).contiguous();
    plot::Figure fig({.title = title, .xlabel = "x1", .ylabel = "x2", .width = 520, .height = 480});
    fig.axes().scatter(s.select(1, 0), s.select(1, 1), "generated",
                       {.color = "#1f77b4", .marker = plot::Marker::Circle, .size = 1.5});
    std::vector<double> cx, cy;
    for (std::size_t i = 0; i + 1 < mix.centers.size(); i += 2)
        cx.push_back(mix.centers[i]), cy.push_back(mix.centers[i + 1]);
    fig.scatter(cx, cy, "modes", {.color = "#d62728", .marker = plot::Marker::Cross, .size = 5});
    fig.save(path);
}

GanRun train_gan(const GanRunOptions& options) {
    GanRunOptions o = options;
    if (!o.resume.empty()) {
        detail::check_kind(io::load_safetensors(o.resume).metadata, "gan", o.resume);
        const std::set<std::string> given = o.given ? *o.given : non_default_fields(o);
        resolve_resumed(fields_of(o), checkpoint_settings(o.resume), given, o.resume);
    }
    detail::resolve(o);
    const bool images = o.dataset == "fmnist";

    auto train_set = training_set(o);
    // Whole batches only: the discriminator packs them, and every step sees as many real as
    // generated samples.
    const data::DataLoader loader(train_set, {.batch_size = o.batch_size,
                                              .shuffle = true,
                                              .drop_last = true,
                                              .seed = o.seed,
                                              .transform = images ? to_tanh_range : nullptr});
    check(loader.size() >= 1, "train_gan: train_size ", train_set->size(),
          " is smaller than one batch (", o.batch_size, ")");

    manual_seed(o.seed);
    GanRun run;
    run.model = detail::build_gan(o);
    models::GAN& gan = *run.model;
    GenerativeModel sampler{
        .kind = "gan", .dataset = o.dataset, .model = o.model, .vae = nullptr, .gan = run.model};

    Trainee trainee{.model = &gan,
                    .optimizers = {&gan.optimizer_g(), &gan.optimizer_d()},
                    .schedulers = {},
                    .train_step =
                        [&](const data::Example& b) {
                            const models::GANStepStats s = gan.step(b.input);
                            return StepResult{b.input.size(0),
                                              {{"d_loss", s.d_loss},
                                               {"g_loss", s.g_loss},
                                               {"d_real", s.d_real},
                                               {"d_fake", s.d_fake}}};
                        },
                    .eval_step = nullptr};
    FitOptions fit_options{
        .epochs = o.epochs,
        .out_dir = o.out_dir,
        .resume = o.resume,
        .monitor = "val_loss",  // none: there is no validation split
        .patience = 0,
        .settings = to_metadata(fields_of(o)),
        .title = describe(o) + ": " + std::to_string(gan.generator->num_parameters()) +
                 " generator / " + std::to_string(gan.discriminator->num_parameters()) +
                 " discriminator parameters, " + std::to_string(loader.size() * o.batch_size) +
                 (images ? " images" : " points") + " per epoch",
        .log = o.log,
        .terminal = o.terminal,
        .on_batch = o.on_batch,
        .warn_plateau = false,  // the players' losses hover by design
        .on_epoch = nullptr};
    fit_options.settings[detail::kKindKey] = "gan";
    if (images && !o.out_dir.empty())
        fit_options.on_epoch = [&](const std::vector<EpochRecord>& history) {
            Generator grid_gen(o.seed + 2);  // the same noise every epoch
            detail::save_image_grid(detail::samples_png(o.out_dir, history.back().epoch),
                                    sampler.sample(kGridImages, grid_gen));
        };

    FitResult fit_result = fit(trainee, loader, nullptr, fit_options);
    run.history = std::move(fit_result.history);
    run.interrupted = fit_result.interrupted;
    run.checkpoint = fit_result.checkpoint;
    if (run.interrupted || images) return run;

    const data::Mixture mixture = gan_mixture(o.dataset);
    Generator eval_gen(o.seed + 3);
    const Tensor samples = sampler.sample(o.eval_samples, eval_gen);  // (eval_samples, 2)
    run.coverage = data::mode_coverage(samples, mixture);
    run.total_modes = mixture.modes();
    if (!o.out_dir.empty()) {
        char title[160];
        std::snprintf(title, sizeof title, "%s GAN: %lld/%lld modes, %.1f%% high quality",
                      o.dataset.c_str(), static_cast<long long>(run.coverage->modes),
                      static_cast<long long>(run.total_modes), 100 * run.coverage->high_quality);
        save_points_svg((std::filesystem::path(o.out_dir) / "samples.svg").string(), samples,
                        mixture, title);
    }
    return run;
}

}  // namespace soma::train
