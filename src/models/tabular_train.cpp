// Training a recipe model on a CSV table, on train::fit (models/tabular_train.h).

#include "soma/models/tabular_train.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <ostream>

#include "models/tabular_parts.h"
#include "soma/autograd.h"
#include "soma/data/dataloader.h"
#include "soma/error.h"
#include "soma/io/checkpoint.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"

namespace soma::models {

namespace tabular_detail {

void check_settings(const TabularSettings& s) {
    check(!s.file.empty(), "train csv: no file given");
    check(!s.target.empty(), "train csv: no target column given (--target)");
    check(s.task == "auto" || s.task == "regression" || s.task == "classification",
          "train csv: task must be auto, regression or classification, got '", s.task, "'");
    check(s.epochs >= 1, "train csv: epochs must be >= 1, got ", s.epochs);
    check(s.batch_size >= 1, "train csv: batch size must be >= 1, got ", s.batch_size);
    check(s.lr > 0 && std::isfinite(s.lr), "train csv: lr must be positive, got ", s.lr);
    check(s.weight_decay >= 0, "train csv: weight decay must be >= 0, got ", s.weight_decay);
    check(s.val_fraction >= 0 && s.val_fraction < 1,
          "train csv: val fraction must be in [0, 1), got ", s.val_fraction);
    check(s.patience >= 0, "train csv: patience must be >= 0, got ", s.patience);
}

// A permutation drawn from `seed`; its first round(n * fraction) rows validate.
Split split_rows(std::int64_t n, double fraction, std::uint64_t seed) {
    Generator gen(seed);
    const std::vector<std::int64_t> perm = randperm(n, &gen);
    const auto n_val = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * fraction));
    check(n - n_val >= 1, "train csv: no training rows left (", n, " rows, val fraction ", fraction,
          ")");
    check(fraction == 0 || n_val >= 1, "train csv: ", n, " rows are too few for a validation ",
          "fraction of ", fraction, " (none would validate)");
    Split s;
    s.val.assign(perm.begin(), perm.begin() + n_val);
    s.train.assign(perm.begin() + n_val, perm.end());
    return s;
}

data::TextTable select_rows(const data::TextTable& t, const std::vector<std::int64_t>& rows) {
    data::TextTable out{.source = t.source, .columns = t.columns, .rows = {}, .lines = {}};
    for (std::int64_t r : rows) {
        out.rows.push_back(t.rows[r]);
        out.lines.push_back(t.lines[r]);
    }
    return out;
}

}  // namespace tabular_detail

using namespace tabular_detail;

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

train::DeclareFields declare(TabularSettings& s) { return train::fields_of(s); }

// The settings that differ from the defaults: what a caller without a command line "gave".
std::set<std::string> non_default(TabularSettings s) {
    s.tabular = TabularSettings{}.tabular;  // computed, never given
    return train::non_default_fields(s);
}

// The validation metric of the model in the target's units (eval mode, no gradients).
double metric_of(TabularModel& m, const Tensor& x, const Tensor& y) {
    NoGrad no_grad;
    m.net->eval();
    Tensor out = m.net->forward(x);
    if (m.encoding.task == data::Task::Classification) return accuracy(argmax(out, 1), y);
    return rmse(m.encoding.unstandardise(out), m.encoding.unstandardise(y));
}

// The trivial model's metric on the validation targets: predict the training mean (the
// standardised 0), or the training rows' most frequent class.
double baseline_of(const TabularModel& m, const Tensor& y_train, const Tensor& y_val) {
    if (m.encoding.task == data::Task::Regression)
        return rmse(m.encoding.unstandardise(zeros_like(y_val)), m.encoding.unstandardise(y_val));
    std::map<std::int64_t, std::int64_t> counts;
    for (std::int64_t c : y_train.to_vector<std::int64_t>()) ++counts[c];
    const auto top = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) {
                         return a.second < b.second;
                     })->first;
    return accuracy(full_like(y_val, static_cast<double>(top)), y_val);
}

data::DataLoader loader(const Tensor& x, const Tensor& y, std::int64_t batch, bool shuffle,
                        std::uint64_t seed) {
    return data::DataLoader(std::make_shared<data::TensorDataset>(x, y),
                            {.batch_size = batch, .shuffle = shuffle, .seed = seed});
}

}  // namespace

void TabularSettings::fields(train::FieldVisitor& v) {
    v.field("file", file);
    v.field("target", target);
    v.field("task", task);
    v.field("ignore", ignore);
    v.field("hidden", hidden);
    v.field("dropout", dropout);
    v.field("batch_norm", batch_norm);
    v.field("residual", residual);
    v.field("lr", lr);
    v.field("weight_decay", weight_decay);
    v.field("batch_size", batch_size);
    v.field("val_fraction", val_fraction);
    v.field("seed", seed);
    v.field("epochs", epochs, train::Field::MayChange);
    v.field("patience", patience, train::Field::MayChange);
    v.field(kTabularKey, tabular);
}

std::vector<std::int64_t> parse_widths(const std::string& text) {
    std::vector<std::int64_t> widths;
    for (const std::string& item : parse_names(text)) {
        std::size_t used = 0;
        long long w = 0;
        try {
            w = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        check(used == item.size() && w > 0, "hidden: '", item,
              "' is not a positive width (expected e.g. 64,64)");
        widths.push_back(w);
    }
    return widths;
}

std::vector<std::string> parse_names(const std::string& text) {
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start <= text.size() && !trim(text).empty()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = trim(text.substr(start, comma - start));
        check(!item.empty(), "'", text, "': empty item in a comma-separated list");
        names.push_back(item);
        start = comma + 1;
    }
    return names;
}

TabularRun train_tabular(const TabularSettings& settings, const TabularOptions& options) {
    TabularSettings s = settings;
    // A resumed run takes its settings (the preprocessing among them) from the checkpoint, so
    // the split, the encoding and the model match; a setting given on purpose that contradicts
    // it is an error naming both values.
    if (!options.resume.empty())
        train::resolve_resumed(declare(s), train::checkpoint_settings(options.resume),
                               options.given ? *options.given : non_default(s), options.resume);
    check_settings(s);
    const data::TextTable table = data::read_table(s.file);
    const Split split = split_rows(table.size(), s.val_fraction, s.seed);

    TabularRun run;
    if (s.tabular.empty()) {
        data::TableOptions topt{.target = s.target, .ignore = parse_names(s.ignore)};
        if (s.task != "auto") topt.task = data::parse_task(s.task);
        const data::TableEncoding enc = data::fit_encoding(table, split.train, topt);
        manual_seed(s.seed);  // initialisation (and, below, the dropout masks)
        run.model = TabularModel::create(enc, {.hidden = parse_widths(s.hidden),
                                               .dropout = s.dropout,
                                               .batch_norm = s.batch_norm,
                                               .residual = s.residual});
        s.tabular = run.model.to_json();
    } else {
        manual_seed(s.seed);  // the checkpoint restores the weights and the generator
        run.model = TabularModel::from_json(s.tabular, options.resume);
    }
    TabularModel& m = run.model;
    const data::TableEncoding& enc = m.encoding;
    run.train_rows = static_cast<std::int64_t>(split.train.size());
    run.val_rows = static_cast<std::int64_t>(split.val.size());
    run.metric_name = enc.task == data::Task::Classification ? "accuracy" : "rmse";

    const data::TextTable train_table = select_rows(table, split.train),
                          val_table = select_rows(table, split.val);
    // x: (N, enc.width()) float32; y: (N, 1) float32 standardised, or (N) int64 classes.
    Tensor x_train = enc.transform(train_table), y_train = enc.targets(train_table);
    Tensor x_val, y_val;
    if (run.val_rows > 0) x_val = enc.transform(val_table), y_val = enc.targets(val_table);

    optim::Adam opt(m.net->parameters(), {.lr = s.lr, .weight_decay = s.weight_decay});
    const bool classify = enc.task == data::Task::Classification;
    const train::LossFn rmse_fn = [](const Tensor& out, const data::Example& b) {
        return Regressor::loss(out, b.target);
    };
    train::Trainee trainee{.model = m.net.get(),
                           .optimizers = {&opt},
                           .schedulers = {},
                           .train_step = classify ? train::classification_step(*m.net, {&opt})
                                                  : train::loss_step(*m.net, {&opt}, rmse_fn),
                           .eval_step = classify ? train::classification_eval(*m.net)
                                                 : train::eval_loss(*m.net, rmse_fn)};
    const data::DataLoader train_loader = loader(x_train, y_train, s.batch_size, true, s.seed);
    std::unique_ptr<data::DataLoader> val_loader;
    if (run.val_rows > 0)
        val_loader = std::make_unique<data::DataLoader>(loader(x_val, y_val, 1024, false, 0));

    const std::string title =
        "soma train csv " + s.file + ": " + data::task_name(enc.task) + " of '" + enc.target + "'";
    if (options.log)
        *options.log << s.file << ": " << table.size() << " rows (" << run.train_rows << " train, "
                     << run.val_rows << " validation), " << enc.inputs.size()
                     << " input columns -> " << enc.width() << " features; "
                     << data::task_name(enc.task) << " of '" << enc.target << "'"
                     << (classify ? " (" + std::to_string(enc.classes.size()) + " classes)" : "")
                     << "\n"
                     << *m.net << "\n";
    train::FitResult fit = train::fit(trainee, train_loader, val_loader.get(),
                                      {.epochs = s.epochs,
                                       .out_dir = options.out_dir,
                                       .resume = options.resume,
                                       .monitor = "val_loss",
                                       .patience = s.patience,
                                       .settings = train::to_metadata(declare(s)),
                                       .title = title,
                                       .log = options.log,
                                       .terminal = options.terminal,
                                       .on_batch = options.on_batch});
    run.history = std::move(fit.history);
    run.interrupted = fit.interrupted;
    run.early_stopped = fit.early_stopped;
    run.best_epoch = fit.best_epoch;
    run.checkpoint = fit.checkpoint;
    run.best_weights = fit.best_weights;
    if (run.interrupted || run.val_rows == 0) return run;

    // The validation metric, exactly (not a mean over batches), on the best validation loss's
    // weights where fit() kept them: those are the weights `soma predict` should use.
    const auto epochs_run = static_cast<std::int64_t>(run.history.size());
    run.weights = "last epoch (" + std::to_string(epochs_run) + ")";
    if (!run.best_weights.empty()) {
        if (run.best_epoch != epochs_run) io::load_module(*m.net, run.best_weights);
        run.weights = "best validation loss (epoch " + std::to_string(run.best_epoch) + ")";
    }
    run.val_metric = metric_of(m, x_val, y_val);
    run.baseline = baseline_of(m, y_train, y_val);
    return run;
}

}  // namespace soma::models
