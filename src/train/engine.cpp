// train::fit: the epoch loop, its files (checkpoint, best weights, metrics, curves) and resume.

#include "soma/train/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "soma/autograd.h"
#include "soma/io/checkpoint.h"
#include "soma/ops.h"
#include "soma/random.h"
#include "soma/train/progress.h"

namespace soma::train {

namespace {

using nlohmann::ordered_json;

// Checkpoint metadata keys of the engine (the recipe's settings use plain names).
constexpr const char* kHistoryKey = "fit.history";
constexpr const char* kStateKey = "fit.state";

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

bool is_percent(const std::string& name) { return name.find("accuracy") != std::string::npos; }

// "train loss 0.4121 accuracy 85.12%"
std::string describe(const std::string& prefix, const Metrics& m) {
    std::string s = prefix;
    for (const auto& [name, v] : m.items())
        s += " " + name + " " + (is_percent(name) ? fixed(100 * v, 2) + "%" : fixed(v, 4));
    return s;
}

// "nan", "inf" or "-inf" (std::to_string may say "-nan").
std::string value_text(double v) {
    if (std::isnan(v)) return "nan";
    return v > 0 ? "inf" : "-inf";
}

// The first metric that is NaN or infinite, or null.
const std::pair<std::string, double>* non_finite(const Metrics& m) {
    for (const auto& item : m.items())
        if (!std::isfinite(item.second)) return &item;
    return nullptr;
}

// Everything the engine needs to resume besides the model, optimisers and generator.
struct EngineState {
    EpochState epoch;
    double best = 0;  // the monitored value's best so far, in "smaller is better" form
    bool have_best = false;
    std::int64_t bad_epochs = 0, best_epoch = 0;
};

std::string state_to_json(const EngineState& s) {
    ordered_json sums = ordered_json::object();
    for (const auto& [name, v] : s.epoch.sums.items()) sums[name] = v;
    return ordered_json{{"batch", s.epoch.batch},
                        {"samples", s.epoch.samples},
                        {"sums", sums},
                        {"seconds", s.epoch.seconds},
                        {"best", s.best},
                        {"have_best", s.have_best},
                        {"bad_epochs", s.bad_epochs},
                        {"best_epoch", s.best_epoch}}
        .dump();
}

EngineState state_from_json(const std::string& text, const std::string& source) {
    EngineState s;
    try {
        const ordered_json j = ordered_json::parse(text);
        s.epoch.batch = j.at("batch").get<std::int64_t>();
        s.epoch.samples = j.at("samples").get<std::int64_t>();
        for (const auto& [name, v] : j.at("sums").items()) s.epoch.sums.set(name, v.get<double>());
        s.epoch.seconds = j.at("seconds").get<double>();
        s.best = j.at("best").get<double>();
        s.have_best = j.at("have_best").get<bool>();
        s.bad_epochs = j.at("bad_epochs").get<std::int64_t>();
        s.best_epoch = j.at("best_epoch").get<std::int64_t>();
    } catch (const ordered_json::exception& e) {
        fail(source, ": malformed training state in the checkpoint (", e.what(), ")");
    }
    check(s.epoch.batch >= 0 && s.epoch.samples >= 0, source,
          ": malformed training state in the checkpoint (negative counts)");
    return s;
}

const std::string& metadata_entry(const io::Metadata& m, const char* key,
                                  const std::string& source) {
    auto it = m.find(key);
    check(it != m.end(), source, " is not a checkpoint of train::fit (no '", key, "' entry)");
    return it->second;
}

class Fitter {
public:
    Fitter(Trainee& t, const data::DataLoader& train, const data::DataLoader* val,
           const FitOptions& o)
        : t_(t), train_(train), val_(val), o_(o) {
        check(t.model, "fit: the trainee has no model");
        check(bool(t.train_step), "fit: the trainee has no train_step");
        check(!val || t.eval_step, "fit: a validation loader needs an eval_step");
        check(o.epochs >= 1, "fit: epochs must be >= 1, got ", o.epochs);
        check(o.patience >= 0, "fit: patience must be >= 0, got ", o.patience);
        for (optim::Optimizer* opt : t.optimizers) check(opt, "fit: an optimizer is null");
        for (optim::LRScheduler* s : t.schedulers) check(s, "fit: a scheduler is null");
        if (!o.out_dir.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(o.out_dir, ec);
            check(!ec, "fit: cannot create the output folder '", o.out_dir, "': ", ec.message());
        }
    }

    FitResult run() {
        std::int64_t start_epoch = 0;
        if (!o_.resume.empty()) start_epoch = resume();
        // Schedules are functions of the epoch: replaying the finished epochs' steps puts this
        // one where an uninterrupted run's would be.
        for (std::int64_t e = 0; e < start_epoch; ++e)
            for (optim::LRScheduler* s : t_.schedulers) s->step();
        if (o_.log) *o_.log << o_.title << "\n";

        for (std::int64_t epoch = start_epoch; epoch < o_.epochs; ++epoch) {
            if (epoch != start_epoch) state_.epoch = EpochState{};
            if (!train_epoch(epoch)) {
                save(epoch);
                result_.interrupted = true;
                if (o_.log)
                    *o_.log << "interrupted at epoch " << epoch + 1 << ", batch "
                            << state_.epoch.batch
                            << (o_.out_dir.empty() ? "" : "; checkpoint " + result_.checkpoint)
                            << "\n";
                break;
            }
            const bool stop = end_epoch(epoch);
            if (stop) {
                result_.early_stopped = true;
                if (o_.log)
                    *o_.log << "early stop: " << o_.monitor << " has not improved for "
                            << o_.patience << " epochs (best at epoch " << state_.best_epoch
                            << ")\n";
                break;
            }
        }
        result_.best_epoch = state_.best_epoch;
        return result_;
    }

private:
    std::string path(const char* file) const {
        return (std::filesystem::path(o_.out_dir) / file).string();
    }

    std::int64_t resume() {
        const io::Metadata meta = io::load_safetensors(o_.resume).metadata;
        result_.history = history_from_json(metadata_entry(meta, kHistoryKey, o_.resume));
        state_ = state_from_json(metadata_entry(meta, kStateKey, o_.resume), o_.resume);
        // The schedules replay from the base lrs the optimisers were built with, not from the
        // checkpoint's (with more epochs than the interrupted run had, a cosine's lrs differ).
        std::vector<double> base_lrs;
        for (optim::Optimizer* opt : t_.optimizers) base_lrs.push_back(opt->lr());
        const io::CheckpointInfo info =
            io::load_checkpoint(o_.resume, *t_.model, t_.optimizers, &default_generator());
        if (!t_.schedulers.empty())
            for (std::size_t k = 0; k < base_lrs.size(); ++k) t_.optimizers[k]->set_lr(base_lrs[k]);
        check(info.epoch >= 0 && info.epoch == std::int64_t(result_.history.size()), o_.resume,
              ": the checkpoint's epoch (", info.epoch, ") does not match its history (",
              result_.history.size(), " epochs)");
        if (state_.best_epoch > 0 && !o_.out_dir.empty())
            result_.best_weights = path("best.safetensors");
        if (o_.log)
            *o_.log << "resuming from " << o_.resume << " at epoch " << info.epoch + 1 << ", batch "
                    << state_.epoch.batch << "\n";
        return info.epoch;
    }

    // Trains batches state_.epoch.batch, ... of `epoch`; false when a stop was requested.
    bool train_epoch(std::int64_t epoch) {
        EpochState& st = state_.epoch;
        const std::string label =
            "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o_.epochs);
        std::ostream null_os(nullptr);
        ProgressBar bar(o_.log ? *o_.log : null_os, o_.terminal, label, train_.dataset().size(),
                        st.samples);
        samples_before_ = st.samples;
        t_.model->train();
        const auto t0 = std::chrono::steady_clock::now();
        bool complete = true;
        if (st.batch < train_.size())
            for (const data::Example& b : train_.epoch(epoch, st.batch)) {
                if (stop_requested()) {
                    complete = false;
                    break;
                }
                // The epoch's last batch is the one the record's gradient statistics describe.
                const bool last = st.batch + 1 == train_.size();
                if (last) weights_before_ = weight_snapshot();
                const StepResult r = t_.train_step(b);
                if (last) layer_stats_ = layer_statistics();
                if (first_batches_ == 0) first_epoch_ = epoch;
                if (first_batches_ < kFirstBatches && epoch == first_epoch_ && !r.metrics.empty()) {
                    first_sum_ += r.metrics.items()[0].second;
                    ++first_batches_;
                }
                if (const auto* bad = non_finite(r.metrics)) {
                    bar.finish();  // the message starts on a line of its own
                    throw Diverged("training diverged at epoch " + std::to_string(epoch + 1) +
                                   ", batch " + std::to_string(st.batch + 1) + " (optimizer step " +
                                   std::to_string(steps() + 1) + "): " + bad->first + " is " +
                                   value_text(bad->second) + last_checkpoint_note());
                }
                st.add(r);
                ++st.batch;
                bar.update(st.samples,
                           r.metrics.empty() ? 0.0 : st.mean(r.metrics.items()[0].first));
                if (o_.on_batch) o_.on_batch(st);
            }
        bar.finish();
        session_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        st.seconds += session_;
        return complete;
    }

    // Validation, the record, early stopping, schedules and files; true to stop early.
    bool end_epoch(std::int64_t epoch) {
        const EpochState& st = state_.epoch;
        EpochRecord r{.epoch = epoch + 1, .values = {}};
        for (const auto& [name, sum] : st.sums.items())
            r.values.set("train_" + name, st.mean(name));
        if (val_) {
            const Metrics v = evaluate(*t_.model, t_.eval_step, *val_);
            if (const auto* bad = non_finite(v))
                throw Diverged("validation diverged after epoch " + std::to_string(epoch + 1) +
                               ": " + bad->first + " is " + value_text(bad->second) +
                               last_checkpoint_note());
            for (const auto& [name, value] : v.items()) r.values.set("val_" + name, value);
        }
        if (!t_.optimizers.empty()) r.values.set("lr", t_.optimizers[0]->lr());
        for (const auto& [name, value] : layer_stats_.items()) r.values.set(name, value);
        layer_stats_ = Metrics();
        r.values.set("seconds", st.seconds);
        r.values.set("samples_per_s", session_ > 0 ? (st.samples - samples_before_) / session_ : 0);
        result_.history.push_back(r);

        const bool stop = monitor(r);
        for (optim::LRScheduler* s : t_.schedulers) s->step();  // the checkpoint has the next lr
        if (o_.log) {
            std::string line = "epoch " + std::to_string(epoch + 1) + "/" +
                               std::to_string(o_.epochs) + ":" + describe(" train", st_means()) +
                               " |";
            if (val_) line += describe(" val", val_means(r)) + " |";
            *o_.log << line << ' ' << fixed(st.seconds, 1) << " s, "
                    << fixed(r.get("samples_per_s"), 0) << " samples/s\n"
                    << std::flush;
        }
        warn_if_plateau(epoch);
        state_.epoch = EpochState{};
        save(epoch + 1);
        if (!o_.out_dir.empty()) {
            write_metrics(path("metrics.jsonl"), result_.history);
            save_curves_svg(path("curves.svg"), result_.history, o_.title);
        }
        if (o_.on_epoch) o_.on_epoch(result_.history);
        return stop;
    }

    Metrics st_means() const {
        Metrics m;
        for (const auto& [name, sum] : state_.epoch.sums.items())
            m.set(name, state_.epoch.mean(name));
        return m;
    }
    static Metrics val_means(const EpochRecord& r) {
        Metrics m;
        for (const auto& [name, v] : r.values.items())
            if (name.rfind("val_", 0) == 0) m.set(name.substr(4), v);
        return m;
    }

    // Early stopping and the best weights; true to stop.
    bool monitor(const EpochRecord& r) {
        if (!r.values.has(o_.monitor)) {
            check(o_.patience == 0, "fit: early stopping monitors '", o_.monitor,
                  "', which the epoch records lack (they have: ", names(r), ")");
            return false;
        }
        const double v = o_.monitor_max ? -r.get(o_.monitor) : r.get(o_.monitor);
        if (!state_.have_best || v < state_.best) {
            state_.best = v;
            state_.have_best = true;
            state_.bad_epochs = 0;
            state_.best_epoch = r.epoch;
            if (!o_.out_dir.empty()) {
                result_.best_weights = path("best.safetensors");
                io::Metadata m = o_.settings;  // so that the file says what model it holds
                m["fit.best_epoch"] = std::to_string(r.epoch);
                m["fit.monitor"] = o_.monitor;
                io::save_module(*t_.model, result_.best_weights, m);
            }
            return false;
        }
        ++state_.bad_epochs;
        return o_.patience > 0 && state_.bad_epochs >= o_.patience;
    }

    static std::string names(const EpochRecord& r) {
        std::string s;
        for (const auto& [name, v] : r.values.items()) s += (s.empty() ? "" : ", ") + name;
        return s;
    }

    std::int64_t steps() const { return t_.optimizers.empty() ? 0 : t_.optimizers[0]->steps(); }

    std::string last_checkpoint_note() const {
        if (result_.checkpoint.empty()) return "; nothing was saved";
        return "; the last checkpoint, " + result_.checkpoint + ", is from epoch " +
               std::to_string(result_.history.size()) + " and can be resumed (try a lower lr)";
    }

    // The checkpoint of the state after `epoch` epochs (mid-epoch when state_.epoch.batch > 0).
    void save(std::int64_t epoch) {
        if (o_.out_dir.empty()) return;
        io::Metadata m = o_.settings;
        m[kHistoryKey] = history_to_json(result_.history);
        m[kStateKey] = state_to_json(state_);
        std::vector<const optim::Optimizer*> opts(t_.optimizers.begin(), t_.optimizers.end());
        result_.checkpoint = path("checkpoint.safetensors");
        io::save_checkpoint(result_.checkpoint, *t_.model, opts,
                            {.epoch = epoch, .step = steps(), .extra = m}, &default_generator());
    }

    // The weights (parameters of 2+ dimensions), copied before the epoch's last step.
    std::vector<std::pair<std::string, Tensor>> weight_snapshot() const {
        NoGrad no_grad;
        std::vector<std::pair<std::string, Tensor>> out;
        for (auto& [name, p] : t_.model->named_parameters())
            if (p.dim() >= 2) out.emplace_back(name, p.clone());
        return out;
    }

    // Each weight's gradient norm and relative update over the step just taken.
    Metrics layer_statistics() {
        NoGrad no_grad;
        Metrics m;
        auto params = t_.model->named_parameters();
        for (auto& [name, before] : weights_before_) {
            const auto it = std::find_if(params.begin(), params.end(),
                                         [&](const auto& e) { return e.first == name; });
            if (it == params.end()) continue;
            const Tensor& p = it->second;
            if (p.grad().defined()) m.set("grad_norm/" + name, l2_norm(p.grad()));
            const double w = l2_norm(before);
            if (w > 0) m.set("update_ratio/" + name, l2_norm(sub(p, before)) / w);
        }
        weights_before_.clear();
        return m;
    }

    static double l2_norm(const Tensor& t) {
        return std::sqrt(sum(mul(t, t)).to(kFloat64).item<double>());
    }

    // The lecture's "monitor your progress": a loss whose epoch mean is not below the mean of
    // the run's first batches (3% allows for their noise), a whole epoch later, means nothing is
    // learned; say so once.
    void warn_if_plateau(std::int64_t epoch) {
        if (!o_.warn_plateau || plateau_warned_ || !o_.log || first_batches_ == 0 ||
            state_.epoch.sums.empty() || epoch <= first_epoch_)
            return;
        const double initial = first_sum_ / double(first_batches_);
        const std::string name = state_.epoch.sums.items()[0].first;
        const double mean = state_.epoch.mean(name);
        if (!(initial > 0) || mean < 0.97 * initial) return;  // 3%: batch-to-batch noise
        plateau_warned_ = true;
        *o_.log << "warning: the training " << name << " (" << mean << " in epoch " << epoch + 1
                << ") has not fallen below its initial value (" << initial
                << ", the first batches): nothing is being learned; check the learning rate, the "
                   "labels and the gradients (soma check runs the soundness checks)\n";
    }

    Trainee& t_;
    const data::DataLoader& train_;
    const data::DataLoader* val_;
    const FitOptions& o_;
    FitResult result_;
    EngineState state_;
    std::int64_t samples_before_ = 0;
    double session_ = 0;
    std::vector<std::pair<std::string, Tensor>> weights_before_;
    Metrics layer_stats_;
    // The loss of the first batches this session ran: the plateau warning's yardstick.
    static constexpr std::int64_t kFirstBatches = 10;
    std::int64_t first_batches_ = 0, first_epoch_ = 0;
    double first_sum_ = 0;
    bool plateau_warned_ = false;
};

}  // namespace

double EpochState::mean(const std::string& name) const {
    return samples ? sums.get(name) / double(samples) : 0.0;
}

void EpochState::add(const StepResult& r) {
    for (const auto& [name, v] : r.metrics.items()) sums.add(name, v * double(r.samples));
    samples += r.samples;
}

FitResult fit(Trainee& trainee, const data::DataLoader& train_loader,
              const data::DataLoader* val_loader, const FitOptions& options) {
    return Fitter(trainee, train_loader, val_loader, options).run();
}

io::Metadata checkpoint_settings(const std::string& path) {
    io::Metadata m = io::load_safetensors(path).metadata;
    metadata_entry(m, kHistoryKey, path);
    for (auto it = m.begin(); it != m.end();)
        it = it->first.rfind("soma.", 0) == 0 || it->first.rfind("fit.", 0) == 0 ? m.erase(it)
                                                                                 : std::next(it);
    return m;
}

Metrics evaluate(nn::Module& model, const EvalStep& step, const data::DataLoader& loader) {
    const bool was_training = model.is_training();
    model.eval();
    autograd::NoGrad no_grad;
    EpochState sums;
    for (const data::Example& b : loader.epoch(0)) sums.add(step(b));
    model.train(was_training);
    Metrics out;
    for (const auto& [name, s] : sums.sums.items()) out.set(name, sums.mean(name));
    return out;
}

}  // namespace soma::train
