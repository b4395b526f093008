// The Fashion-MNIST recipe: data, model, the epoch loop with checkpoints and reports.

#include "soma/train/fmnist.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <ostream>

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
#include "soma/train/progress.h"

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

// The optimizer the options name, with their lr and weight decay.
std::unique_ptr<optim::Optimizer> make_optimizer(const FmnistOptions& o,
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

std::string num(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::int64_t get_int(const io::Metadata& m, const std::string& key) {
    auto it = m.find(key);
    check(it != m.end(), "train_fmnist: checkpoint lacks '", key, "'");
    return std::stoll(it->second);
}
double get_double(const io::Metadata& m, const std::string& key) {
    auto it = m.find(key);
    check(it != m.end(), "train_fmnist: checkpoint lacks '", key, "'");
    return std::strtod(it->second.c_str(), nullptr);
}

}  // namespace

FmnistRun train_fmnist(const FmnistOptions& options) {
    FmnistOptions o = options;
    std::ostream* log = o.log;

    // A resumed run takes its settings from the checkpoint, so the data and model match.
    io::Metadata saved;
    if (!o.resume.empty()) {
        saved = io::load_safetensors(o.resume).metadata;
        check(saved.count("model") && saved.count("history"), "train_fmnist: '", o.resume,
              "' is not a checkpoint of soma train fmnist");
        o.model = saved.at("model");
        o.seed = std::uint64_t(std::stoull(saved.at("seed")));
        o.batch_size = get_int(saved, "batch_size");
        o.subset = get_int(saved, "subset");
        o.val_size = get_int(saved, "val_size");
        o.test_size = get_int(saved, "test_size");
        o.lr = get_double(saved, "lr");
        o.optimizer = saved.at("optimizer");
        o.weight_decay = get_double(saved, "weight_decay");
        o.schedule = saved.at("schedule");
        o.step_size = get_int(saved, "step_size");
        o.gamma = get_double(saved, "gamma");
        o.warmup = get_int(saved, "warmup");
        o.augment = get_int(saved, "augment") != 0;
        o.label_smoothing = get_double(saved, "label_smoothing");
    }
    if (o.batch_size <= 0) o.batch_size = models::fmnist_default_batch_size(o.model);
    check(o.epochs >= 1, "train_fmnist: epochs must be >= 1, got ", o.epochs);
    check(o.lr > 0, "train_fmnist: lr must be > 0, got ", o.lr);
    check(o.weight_decay >= 0, "train_fmnist: weight_decay must be >= 0, got ", o.weight_decay);
    check(o.step_size >= 1, "train_fmnist: step_size must be >= 1, got ", o.step_size);
    check(o.gamma > 0, "train_fmnist: gamma must be > 0, got ", o.gamma);
    check(o.warmup >= 0 && o.warmup < o.epochs, "train_fmnist: warmup must be in [0, epochs), got ",
          o.warmup);
    check(o.label_smoothing >= 0 && o.label_smoothing <= 1,
          "train_fmnist: label_smoothing must be in [0, 1], got ", o.label_smoothing);

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
    const DataLoader test_loader = eval_loader(test_set);

    manual_seed(o.seed);
    FmnistRun run;
    run.model_name = o.model;
    run.model = models::fmnist_model(o.model);
    const std::unique_ptr<optim::Optimizer> optimizer = make_optimizer(o, run.model->parameters());
    optim::Optimizer& opt = *optimizer;
    EarlyStopping early(o.patience);

    std::int64_t start_epoch = 0;
    EpochState resumed;
    double resumed_seconds = 0;
    if (!o.resume.empty()) {
        const io::CheckpointInfo info =
            io::load_checkpoint(o.resume, *run.model, &opt, &default_generator());
        start_epoch = info.epoch;
        // The schedule below starts from the base lr, not the checkpoint's: with more --epochs
        // than the interrupted run had, a cosine's lrs are not that run's.
        opt.set_lr(o.lr);
        run.history = history_from_json(saved.at("history"));
        early.restore(get_double(saved, "best_val_loss"), get_int(saved, "bad_epochs"));
        resumed = {.batch = get_int(saved, "batch"),
                   .samples = get_int(saved, "samples"),
                   .correct = get_int(saved, "correct"),
                   .loss_sum = get_double(saved, "loss_sum")};
        resumed_seconds = get_double(saved, "epoch_seconds");
        if (log)
            *log << "resuming " << o.model << " from " << o.resume << " at epoch "
                 << start_epoch + 1 << ", batch " << resumed.batch << "\n";
    }

    // Schedules are functions of the epoch: replaying the finished epochs' steps puts this one
    // where an uninterrupted run's would be.
    const std::unique_ptr<optim::LRScheduler> schedule = make_schedule(o, opt);
    if (schedule)
        for (std::int64_t e = 0; e < start_epoch; ++e) schedule->step();

    if (!o.out_dir.empty()) std::filesystem::create_directories(o.out_dir);
    auto path = [&](const char* f) { return (std::filesystem::path(o.out_dir) / f).string(); };
    auto save = [&](std::int64_t epoch, const EpochState& st, double seconds) {
        if (o.out_dir.empty()) return;
        io::Metadata m = {{"model", o.model},
                          {"seed", std::to_string(o.seed)},
                          {"batch_size", std::to_string(o.batch_size)},
                          {"subset", std::to_string(o.subset)},
                          {"val_size", std::to_string(o.val_size)},
                          {"test_size", std::to_string(o.test_size)},
                          {"lr", num(o.lr)},
                          {"optimizer", o.optimizer},
                          {"weight_decay", num(o.weight_decay)},
                          {"schedule", o.schedule},
                          {"step_size", std::to_string(o.step_size)},
                          {"gamma", num(o.gamma)},
                          {"warmup", std::to_string(o.warmup)},
                          {"augment", o.augment ? "1" : "0"},
                          {"label_smoothing", num(o.label_smoothing)},
                          {"history", history_to_json(run.history)},
                          {"best_val_loss", num(early.best())},
                          {"bad_epochs", std::to_string(early.bad_epochs())},
                          {"batch", std::to_string(st.batch)},
                          {"samples", std::to_string(st.samples)},
                          {"correct", std::to_string(st.correct)},
                          {"loss_sum", num(st.loss_sum)},
                          {"epoch_seconds", num(seconds)}};
        run.checkpoint = path("checkpoint.safetensors");
        io::save_checkpoint(run.checkpoint, *run.model, &opt,
                            {.epoch = epoch, .step = opt.steps(), .extra = m},
                            &default_generator());
    };

    if (log) {
        *log << "fmnist " << o.model << ": " << run.model->num_parameters() << " parameters, "
             << train_set->size() << " training / " << split.validation->size() << " validation / "
             << test_set->size() << " test images, batch " << o.batch_size << ", " << o.optimizer
             << " lr " << o.lr;
        if (o.weight_decay > 0) *log << ", weight decay " << o.weight_decay;
        if (o.schedule != "none") *log << ", " << o.schedule << " schedule";
        if (o.schedule == "step") *log << " (x" << o.gamma << " every " << o.step_size << ")";
        if (o.schedule == "exponential") *log << " (x" << o.gamma << " per epoch)";
        if (o.warmup > 0) *log << ", " << o.warmup << " warm-up epochs";
        if (o.augment) *log << ", augmented";
        if (o.label_smoothing > 0) *log << ", label smoothing " << o.label_smoothing;
        *log << ", seed " << o.seed << "\n";
    }

    bool have_test = false;
    for (std::int64_t epoch = start_epoch; epoch < o.epochs; ++epoch) {
        EpochState st = epoch == start_epoch ? resumed : EpochState{};
        const double before = epoch == start_epoch ? resumed_seconds : 0;
        const std::string label =
            "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs);
        std::ostream null_os(nullptr);
        ProgressBar bar(log ? *log : null_os, o.terminal, label, train_set->size(), st.samples);
        const std::int64_t samples_before = st.samples;
        const auto t0 = std::chrono::steady_clock::now();
        const bool complete = train_epoch(
            *run.model, opt, train_loader, epoch, st,
            [&](const EpochState& s) {
                bar.update(s.samples, s.loss());
                if (o.on_batch) o.on_batch(s);
            },
            o.label_smoothing);
        bar.finish();
        const double session =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!complete) {
            save(epoch, st, before + session);
            run.interrupted = true;
            if (log)
                *log << "interrupted at epoch " << epoch + 1 << ", batch " << st.batch
                     << (o.out_dir.empty() ? "" : "; checkpoint " + run.checkpoint) << "\n";
            break;
        }
        const EvalResult val = evaluate(*run.model, val_loader, kClasses);
        run.test = evaluate(*run.model, test_loader, kClasses);
        have_test = true;
        EpochRecord r{.epoch = epoch + 1,
                      .train_loss = st.loss(),
                      .train_accuracy = st.accuracy(),
                      .val_loss = val.loss,
                      .val_accuracy = val.accuracy,
                      .test_loss = run.test.loss,
                      .test_accuracy = run.test.accuracy,
                      .lr = opt.lr(),
                      .seconds = before + session,
                      .samples_per_s = session > 0 ? (st.samples - samples_before) / session : 0};
        run.history.push_back(r);
        const bool stop = early.update(val.loss);
        if (schedule) schedule->step();  // before the checkpoint, which records the next lr
        if (log) {
            char buf[256];
            std::snprintf(buf, sizeof buf,
                          "epoch %lld/%lld: train loss %.4f acc %.2f%% | val loss %.4f acc %.2f%% "
                          "| test acc %.2f%% | %.1f s, %.0f samples/s\n",
                          static_cast<long long>(r.epoch), static_cast<long long>(o.epochs),
                          r.train_loss, 100 * r.train_accuracy, r.val_loss, 100 * r.val_accuracy,
                          100 * r.test_accuracy, r.seconds, r.samples_per_s);
            *log << buf << std::flush;
        }
        save(epoch + 1, EpochState{}, 0);
        if (!o.out_dir.empty()) {
            write_metrics(path("metrics.jsonl"), run.history);
            save_curves_svg(path("curves.svg"), run.history, "Fashion-MNIST " + o.model);
        }
        if (stop) {
            run.early_stopped = true;
            if (log)
                *log << "early stop: validation loss has not improved for " << o.patience
                     << " epochs (best " << early.best() << ")\n";
            break;
        }
    }
    if (!have_test) run.test = evaluate(*run.model, test_loader, kClasses);
    if (!o.out_dir.empty() && !run.interrupted)
        save_confusion_svg(path("confusion.svg"), run.test.confusion,
                           "Fashion-MNIST " + o.model + ": confusion on the test set");
    return run;
}

EvalResult evaluate_fmnist(const std::string& path, std::string& model_name,
                           const std::string& root, std::int64_t test_size) {
    const io::Metadata meta = io::load_safetensors(path).metadata;
    if (model_name.empty()) {
        auto it = meta.find("model");
        check(it != meta.end(), "evaluate_fmnist: '", path,
              "' does not name its model in the metadata; pass one (--model)");
        model_name = it->second;
    } else if (auto it = meta.find("model"); it != meta.end()) {
        check(it->second == model_name, "evaluate_fmnist: '", path, "' holds a ", it->second,
              " model, not ", model_name);
    }
    auto model = models::fmnist_model(model_name);
    auto fmt = meta.find("soma.format");
    if (fmt != meta.end() && fmt->second == "checkpoint")
        io::load_checkpoint(path, *model);
    else
        io::load_module(*model, path);
    auto test_set = first(fmnist_normalized(Split::Test, root), test_size);
    return evaluate(*model, eval_loader(test_set), kClasses);
}

}  // namespace soma::train
