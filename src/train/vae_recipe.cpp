// The VAE recipe on train::fit: Fashion-MNIST in [0, 1], Adam on the negative ELBO, sample
// grids and a per-batch loss curve after every epoch, the test split once at the end.

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "generative_detail.h"
#include "soma/data/split.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/optim/adam.h"
#include "soma/plot/svg.h"

namespace soma::train {

void VaeRunOptions::fields(FieldVisitor& v) {
    v.field("dataset", dataset);
    v.field("model", model);
    v.field("latent", latent);
    v.field("hidden", hidden);
    v.field("beta", beta);
    v.field("epochs", epochs, Field::MayChange);
    v.field("batch_size", batch_size);
    v.field("lr", lr);
    v.field("seed", seed);
    v.field("train_size", train_size);
    v.field("val_size", val_size);
    v.field("test_size", test_size, Field::MayChange);
    v.field("patience", patience, Field::MayChange);
    v.field("select", select, Field::MayChange);
}

namespace {

using data::datasets::Split;

constexpr std::int64_t kEvalBatch = 1000, kGridImages = 64;

Metrics metrics_of(const models::VAELoss& l) {
    return {
        {"loss", l.loss.item()}, {"reconstruction", l.reconstruction.item()}, {"kl", l.kl.item()}};
}

// The training loss per batch, at x = epochs done + the fraction of this one (the x of
// fit()'s per-epoch records is the epoch's number, so both share the axis).
struct BatchCurve {
    std::vector<double> x, y;
    std::int64_t epochs_done = 0, batches_per_epoch = 1;
    double last = 0;  // the loss of the batch just trained
};

void save_loss_svg(const std::string& path, const BatchCurve& curve,
                   const std::vector<EpochRecord>& history, const std::string& title) {
    plot::Figure fig({.title = title, .xlabel = "epoch", .ylabel = "loss (nats per image)"});
    fig.line(curve.x, curve.y, "train, per batch", {.color = "#9ecae1", .width = 1});
    std::vector<double> epochs, train, val;
    for (const EpochRecord& r : history) {
        epochs.push_back(double(r.epoch));
        train.push_back(r.get("train_loss"));
        val.push_back(r.values.has("val_loss") ? r.get("val_loss") : NAN);
    }
    fig.line(epochs, train, "train, per epoch", {.color = "#1f77b4"});
    fig.line(epochs, val, "validation, per epoch", {.color = "#ff7f0e", .dashed = true});
    fig.save(path);
}

// The epoch count of a checkpoint (0 for none): where a resumed run's batch curve starts.
std::int64_t epochs_done(const std::string& resume) {
    if (resume.empty()) return 0;
    const io::Metadata meta = io::load_safetensors(resume).metadata;
    auto it = meta.find("soma.epoch");
    return it == meta.end() ? 0 : std::stoll(it->second);
}

std::string describe(const VaeRunOptions& o) {
    char lr[32], beta[32];
    std::snprintf(lr, sizeof lr, "%g", o.lr);
    std::snprintf(beta, sizeof beta, "%g", o.beta);
    return "vae " + o.model + " on " + o.dataset + " (latent " + std::to_string(o.latent) +
           ", hidden " + o.hidden + ", beta " + beta + "), batch " + std::to_string(o.batch_size) +
           ", adam lr " + lr + ", seed " + std::to_string(o.seed);
}

}  // namespace

VaeRun train_vae(const VaeRunOptions& options) {
    VaeRunOptions o = options;
    if (!o.resume.empty()) {
        detail::check_kind(io::load_safetensors(o.resume).metadata, "vae", o.resume);
        const std::set<std::string> given = o.given ? *o.given : non_default_fields(o);
        resolve_resumed(fields_of(o), checkpoint_settings(o.resume), given, o.resume);
    }
    detail::resolve(o);

    auto full = detail::fmnist_images(Split::Train, o.root);
    check(o.val_size < full->size(), "train_vae: val_size ", o.val_size, " must be below ",
          full->size());
    auto split = data::train_validation_split(full, o.val_size, o.seed);
    auto train_set = detail::first(split.train, o.train_size);
    auto test_set = detail::first(detail::fmnist_images(Split::Test, o.root), o.test_size);
    const data::DataLoader train_loader(
        train_set, {.batch_size = o.batch_size, .shuffle = true, .seed = o.seed});
    const data::DataLoader val_loader(split.validation, {.batch_size = kEvalBatch});

    manual_seed(o.seed);
    VaeRun run;
    run.model = detail::build_vae(o);
    models::VAE& vae = *run.model;
    optim::Adam opt(vae.parameters(), {.lr = o.lr});

    BatchCurve curve;
    curve.epochs_done = epochs_done(o.resume);
    curve.batches_per_epoch = train_loader.size();
    // Validation draws its z from a generator of its own, restarted every epoch: every epoch's
    // val_loss then sees the same noise, so model selection compares weights, not draws.
    Generator val_gen(o.seed + 1);
    GenerativeModel sampler{
        .kind = "vae", .dataset = o.dataset, .model = o.model, .vae = run.model, .gan = nullptr};

    Trainee trainee{.model = &vae,
                    .optimizers = {&opt},
                    .schedulers = {},
                    .train_step =
                        [&](const data::Example& b) {
                            opt.zero_grad();
                            const models::VAELoss l = vae.loss(b.input, vae.forward(b.input));
                            const Metrics m = metrics_of(l);
                            curve.last = m.get("loss");
                            if (std::isfinite(curve.last)) {
                                l.loss.backward();
                                opt.step();
                            }
                            return StepResult{b.input.size(0), m};
                        },
                    .eval_step =
                        [&](const data::Example& b) {
                            return StepResult{
                                b.input.size(0),
                                metrics_of(vae.loss(b.input, vae.forward(b.input, &val_gen)))};
                        }};

    FitOptions fit_options{
        .epochs = o.epochs,
        .out_dir = o.out_dir,
        .resume = o.resume,
        .monitor = "val_loss",
        .patience = o.patience,
        .settings = to_metadata(fields_of(o)),
        .title = describe(o) + ": " + std::to_string(vae.num_parameters()) + " parameters, " +
                 std::to_string(train_set->size()) + " training / " +
                 std::to_string(split.validation->size()) + " validation / " +
                 std::to_string(test_set->size()) + " test images",
        .log = o.log,
        .terminal = o.terminal,
        .on_batch =
            [&](const EpochState& st) {
                curve.x.push_back(double(curve.epochs_done) +
                                  double(st.batch) / double(curve.batches_per_epoch));
                curve.y.push_back(curve.last);
                if (o.on_batch) o.on_batch(st);
            },
        .on_epoch = nullptr};
    fit_options.settings[detail::kKindKey] = "vae";
    fit_options.on_epoch = [&](const std::vector<EpochRecord>& history) {
        val_gen.seed(o.seed + 1);
        ++curve.epochs_done;
        if (o.out_dir.empty()) return;
        const std::filesystem::path dir(o.out_dir);
        save_loss_svg((dir / "loss.svg").string(), curve, history, describe(o));
        // The same 64 codes decoded after every epoch, so the grids show the model changing.
        Generator grid_gen(o.seed + 2);
        detail::save_image_grid(detail::samples_png(o.out_dir, history.back().epoch),
                                sampler.sample(kGridImages, grid_gen));
    };

    FitResult fit_result = fit(trainee, train_loader, &val_loader, fit_options);
    run.history = std::move(fit_result.history);
    run.interrupted = fit_result.interrupted;
    run.early_stopped = fit_result.early_stopped;
    run.best_epoch = fit_result.best_epoch;
    run.checkpoint = fit_result.checkpoint;
    if (run.interrupted) return run;

    run.tested = "last epoch (" + std::to_string(run.history.size()) + ")";
    if (o.select == "best") {
        if (run.best_epoch != std::int64_t(run.history.size())) {
            check(!fit_result.best_weights.empty(),
                  "train_vae: select = best needs an out_dir (the best weights are kept there)");
            io::load_module(vae, fit_result.best_weights);
        }
        run.tested = "best validation loss (epoch " + std::to_string(run.best_epoch) + ")";
    }
    Generator test_gen(o.seed + 3);
    run.test = evaluate(
        vae,
        [&](const data::Example& b) {
            return StepResult{b.input.size(0),
                              metrics_of(vae.loss(b.input, vae.forward(b.input, &test_gen)))};
        },
        data::DataLoader(test_set, {.batch_size = kEvalBatch}));
    run.test_images = test_set->size();
    return run;
}

}  // namespace soma::train
