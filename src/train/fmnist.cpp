// The Fashion-MNIST recipe on train::fit: settings, data, model, optimiser and schedule; the
// test set once at the end.

#include "soma/train/fmnist.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <ostream>

#include "soma/attack/adversarial_training.h"
#include "soma/attack/normalized.h"
#include "soma/autograd.h"
#include "soma/data/split.h"
#include "soma/data/transforms.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/models/classifier.h"
#include "soma/optim/adam.h"
#include "soma/optim/scheduler.h"
#include "soma/optim/sgd.h"
#include "soma/random.h"
#include "train/fmnist_parts.h"

namespace soma::train {

namespace {

using data::DataLoader;
using data::Dataset;
using data::datasets::FashionMNIST;
using data::datasets::Split;

constexpr std::int64_t kClasses = 10, kEvalBatch = 1000;

}  // namespace

// Decoding the gzip'd files takes most of a second, so runs in one process (tests, the
// gallery) share what was loaded; datasets are immutable, hence safe to share.
std::shared_ptr<const data::TensorDataset> fmnist_normalized(Split split, const std::string& root) {
    static std::mutex mutex;
    static std::map<std::pair<std::string, Split>, std::shared_ptr<const data::TensorDataset>>
        cache;
    std::lock_guard<std::mutex> lock(mutex);
    auto& slot = cache[{root, split}];
    if (!slot) {
        FashionMNIST raw(root, split);
        autograd::NoGrad no_grad;
        slot = std::make_shared<data::TensorDataset>(
            data::normalize(raw.images(), {kFmnistMean}, {kFmnistStd}), raw.labels());
    }
    return slot;
}

namespace {

std::shared_ptr<const Dataset> first(std::shared_ptr<const Dataset> d, std::int64_t n) {
    if (n <= 0 || n >= d->size()) return d;
    std::vector<std::int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    return std::make_shared<data::Subset>(std::move(d), std::move(idx));
}

DataLoader eval_loader(std::shared_ptr<const Dataset> d) {
    return DataLoader(std::move(d), {.batch_size = kEvalBatch});
}

}  // namespace

// The optimizer the options name, with their lr and weight decay.
std::unique_ptr<optim::Optimizer> fmnist_detail::make_optimizer(const FmnistOptions& o,
                                                                std::vector<Tensor> params) {
    if (o.optimizer == "adam")
        return std::make_unique<optim::Adam>(
            std::move(params), optim::AdamOptions{.lr = o.lr, .weight_decay = o.weight_decay});
    if (o.optimizer == "adamw")
        return std::make_unique<optim::AdamW>(
            std::move(params), optim::AdamWOptions{.lr = o.lr, .weight_decay = o.weight_decay});
    if (o.optimizer == "sgd")
        return std::make_unique<optim::SGD>(
            std::move(params),
            optim::SGDOptions{
                .lr = o.lr, .momentum = 0.9, .weight_decay = o.weight_decay, .nesterov = true});
    fail("train_fmnist: unknown optimizer '", o.optimizer, "' (known: adam, adamw, sgd)");
}

namespace {

// The schedule the options name, stepped once per epoch; null for a constant lr.
std::unique_ptr<optim::LRScheduler> make_schedule(const FmnistOptions& o, optim::Optimizer& opt) {
    std::unique_ptr<optim::LRScheduler> main;
    if (o.schedule == "cosine")
        main = std::make_unique<optim::CosineAnnealingLR>(
            opt, optim::CosineAnnealingLROptions{
                     .t_max = std::max<std::int64_t>(1, o.epochs - o.warmup)});
    else if (o.schedule == "step")
        main = std::make_unique<optim::StepLR>(
            opt, optim::StepLROptions{.step_size = o.step_size, .gamma = o.gamma});
    else if (o.schedule == "exponential")
        main = std::make_unique<optim::ExponentialLR>(opt, o.gamma);
    else
        check(o.schedule == "none", "train_fmnist: unknown schedule '", o.schedule,
              "' (known: none, cosine, step, exponential)");
    if (o.warmup == 0) return main;
    return std::make_unique<optim::LinearWarmup>(
        opt, optim::LinearWarmupOptions{.steps = o.warmup, .start_factor = 0.1}, std::move(main));
}

// Random shifts by up to 2 pixels (the border filled with the normalised black) and mirror
// images: garments stay garments under both.
data::Example augment(data::Example b, Generator& gen) {
    b.input = data::random_crop(b.input, 28, 28, 2, gen, -kFmnistMean / kFmnistStd);
    b.input = data::random_horizontal_flip(b.input, 0.5, gen);
    return b;
}

}  // namespace

void FmnistOptions::fields(FieldVisitor& v) {
    v.field("model", model);
    v.field("epochs", epochs, Field::MayChange);
    v.field("batch_size", batch_size);
    v.field("lr", lr);
    v.field("seed", seed);
    v.field("subset", subset);
    v.field("val_size", val_size);
    v.field("test_size", test_size, Field::MayChange);
    v.field("patience", patience, Field::MayChange);
    v.field("optimizer", optimizer);
    v.field("weight_decay", weight_decay);
    v.field("schedule", schedule);
    v.field("step_size", step_size);
    v.field("gamma", gamma);
    v.field("warmup", warmup);
    v.field("augment", augment);
    v.field("label_smoothing", label_smoothing);
    v.field("select", select, Field::MayChange);
    v.field("adversarial", adversarial);
    v.field("eps", eps);
    v.field("attack_steps", attack_steps);
    v.field("attack_step_size", attack_step_size);
    v.field("clean_weight", clean_weight);
    v.field("trades_beta", trades_beta);
}

namespace {

// 0.001 -> "0.001": short for people, exact enough for a log line.
std::string format_number(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

DeclareFields declare(FmnistOptions& o) { return fields_of(o); }

// The robust-training settings, from pixels to the normalised units the model is trained in.
attack::AdversarialTraining adversarial_options(const FmnistOptions& o) {
    attack::PgdOptions pixels{
        .eps = o.eps, .steps = o.attack_steps, .step_size = o.attack_step_size};
    return {.method = o.adversarial,
            .attack = attack::to_normalized_units(pixels, kFmnistMean, kFmnistStd),
            .clean_weight = o.clean_weight,
            .beta = o.trades_beta};
}

}  // namespace

void fmnist_detail::check_options(const FmnistOptions& o) {
    check(o.epochs >= 1, "train_fmnist: epochs must be >= 1, got ", o.epochs);
    check(o.batch_size >= 1, "train_fmnist: batch_size must be >= 1, got ", o.batch_size);
    check(std::isfinite(o.lr) && o.lr > 0, "train_fmnist: lr must be > 0, got ", o.lr);
    check(o.weight_decay >= 0, "train_fmnist: weight_decay must be >= 0, got ", o.weight_decay);
    check(o.step_size >= 1, "train_fmnist: step_size must be >= 1, got ", o.step_size);
    check(o.gamma > 0, "train_fmnist: gamma must be > 0, got ", o.gamma);
    check(o.warmup >= 0 && o.warmup < o.epochs, "train_fmnist: warmup must be in [0, epochs), got ",
          o.warmup);
    check(o.label_smoothing >= 0 && o.label_smoothing <= 1,
          "train_fmnist: label_smoothing must be in [0, 1], got ", o.label_smoothing);
    check(o.subset >= 0 && o.test_size >= 0 && o.patience >= 0,
          "train_fmnist: subset, test_size and patience must be >= 0");
    check(o.select == "last" || o.select == "best",
          "train_fmnist: select must be last or best, got '", o.select, "'");
    if (o.adversarial != "none") attack::validate(adversarial_options(o));
}

namespace {

std::string describe(const FmnistOptions& o) {
    std::string s = "fmnist " + o.model + ", batch " + std::to_string(o.batch_size) + ", " +
                    o.optimizer + " lr " + format_number(o.lr);
    if (o.weight_decay > 0) s += ", weight decay " + format_number(o.weight_decay);
    if (o.schedule != "none") s += ", " + o.schedule + " schedule";
    if (o.schedule == "step")
        s += " (x" + format_number(o.gamma) + " every " + std::to_string(o.step_size) + ")";
    if (o.schedule == "exponential") s += " (x" + format_number(o.gamma) + " per epoch)";
    if (o.warmup > 0) s += ", " + std::to_string(o.warmup) + " warm-up epochs";
    if (o.augment) s += ", augmented";
    if (o.label_smoothing > 0) s += ", label smoothing " + format_number(o.label_smoothing);
    if (o.adversarial != "none") {
        s += ", " + o.adversarial + " training at eps " + format_number(o.eps);
        if (o.adversarial != "fgsm") s += " (" + std::to_string(o.attack_steps) + " steps)";
    }
    return s + ", seed " + std::to_string(o.seed);
}

}  // namespace

FmnistRun train_fmnist(const FmnistOptions& options) {
    FmnistOptions o = options;
    // A resumed run takes its settings from the checkpoint, so the data and model match; a
    // setting given on purpose that contradicts it is an error naming both values.
    if (!o.resume.empty()) {
        const std::set<std::string> given = o.given ? *o.given : non_default_fields(o);
        resolve_resumed(declare(o), checkpoint_settings(o.resume), given, o.resume);
    }
    if (o.batch_size <= 0) o.batch_size = models::fmnist_default_batch_size(o.model);
    fmnist_detail::check_options(o);

    auto full = fmnist_normalized(Split::Train, o.root);
    check(o.val_size > 0 && o.val_size < full->size(), "train_fmnist: val_size ", o.val_size,
          " must be in [1, ", full->size(), ")");
    auto split = data::train_validation_split(full, o.val_size, o.seed);
    auto train_set = first(split.train, o.subset);
    auto test_set = first(fmnist_normalized(Split::Test, o.root), o.test_size);
    const DataLoader train_loader(train_set, {.batch_size = o.batch_size,
                                              .shuffle = true,
                                              .seed = o.seed,
                                              .transform = o.augment ? augment : nullptr});
    const DataLoader val_loader = eval_loader(split.validation);

    manual_seed(o.seed);
    FmnistRun run;
    run.model_name = o.model;
    run.model = models::fmnist_model(o.model);
    const std::unique_ptr<optim::Optimizer> optimizer =
        fmnist_detail::make_optimizer(o, run.model->parameters());
    const std::unique_ptr<optim::LRScheduler> schedule = make_schedule(o, *optimizer);
    const bool robust = o.adversarial != "none";
    Trainee trainee{
        .model = run.model.get(),
        .optimizers = {optimizer.get()},
        .schedulers = {},
        .train_step =
            robust ? attack::adversarial_step(*run.model, {optimizer.get()}, adversarial_options(o))
                   : classification_step(*run.model, {optimizer.get()}, o.label_smoothing),
        .eval_step = robust ? attack::adversarial_eval(*run.model, adversarial_options(o))
                            : classification_eval(*run.model)};
    if (schedule) trainee.schedulers.push_back(schedule.get());

    const std::string title = describe(o) + ": " + std::to_string(run.model->num_parameters()) +
                              " parameters, " + std::to_string(train_set->size()) + " training / " +
                              std::to_string(split.validation->size()) + " validation / " +
                              std::to_string(test_set->size()) + " test images";
    FitResult fit_result = fit(trainee, train_loader, &val_loader,
                               {.epochs = o.epochs,
                                .out_dir = o.out_dir,
                                .resume = o.resume,
                                .monitor = robust ? "val_robust_accuracy" : "val_loss",
                                .monitor_max = robust,
                                .patience = o.patience,
                                .settings = to_metadata(declare(o)),
                                .title = title,
                                .log = o.log,
                                .terminal = o.terminal,
                                .on_batch = o.on_batch});
    run.history = std::move(fit_result.history);
    run.interrupted = fit_result.interrupted;
    run.early_stopped = fit_result.early_stopped;
    run.best_epoch = fit_result.best_epoch;
    run.checkpoint = fit_result.checkpoint;
    if (run.interrupted) return run;

    // The test set, once, on the weights the options select.
    run.tested = "last epoch (" + std::to_string(run.history.size()) + ")";
    if (o.select == "best" && run.best_epoch != std::int64_t(run.history.size())) {
        check(!fit_result.best_weights.empty(),
              "train_fmnist: select = best needs an out_dir (the best weights are kept there)");
        io::load_module(*run.model, fit_result.best_weights);
    }
    if (o.select == "best")
        run.tested =
            std::string(robust ? "best validation robust accuracy" : "best validation loss") +
            " (epoch " + std::to_string(run.best_epoch) + ")";
    run.test = evaluate_classifier(*run.model, eval_loader(test_set), kClasses);
    if (!o.out_dir.empty())
        save_confusion_svg((std::filesystem::path(o.out_dir) / "confusion.svg").string(),
                           run.test.confusion,
                           "Fashion-MNIST " + o.model + ": confusion on the test set");
    return run;
}

std::shared_ptr<nn::Sequential> load_fmnist_model(const std::string& path,
                                                  std::string& model_name) {
    const io::Metadata meta = io::load_safetensors(path).metadata;
    if (model_name.empty()) {
        auto it = meta.find("model");
        check(it != meta.end(), "load_fmnist_model: '", path,
              "' does not name its model in the metadata; pass one (--model)");
        model_name = it->second;
    } else if (auto it = meta.find("model"); it != meta.end()) {
        check(it->second == model_name, "load_fmnist_model: '", path, "' holds a ", it->second,
              " model, not ", model_name);
    }
    auto model = models::fmnist_model(model_name);
    auto fmt = meta.find("soma.format");
    if (fmt != meta.end() && fmt->second == "checkpoint")
        io::load_checkpoint(path, *model);
    else
        io::load_module(*model, path);
    return model;
}

EvalResult evaluate_fmnist(const std::string& path, std::string& model_name,
                           const std::string& root, std::int64_t test_size) {
    auto model = load_fmnist_model(path, model_name);
    auto test_set = first(fmnist_normalized(Split::Test, root), test_size);
    return evaluate_classifier(*model, eval_loader(test_set), kClasses);
}

}  // namespace soma::train
