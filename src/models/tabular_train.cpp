// Training a recipe model on a CSV table (models/tabular_train.h).

#include "soma/models/tabular_train.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <ostream>

#include "soma/autograd.h"
#include "soma/data/dataloader.h"
#include "soma/error.h"
#include "soma/ops.h"
#include "soma/optim/adam.h"

namespace soma::models {

namespace {

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

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

struct Split {
    std::vector<std::int64_t> train, val;
};

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

// The validation metric of `net` in the target's units (eval mode, no gradients).
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

Tensor loss_of(const TabularModel& m, const Tensor& output, const Tensor& target) {
    return m.encoding.task == data::Task::Classification ? Classifier::loss(output, target)
                                                         : Regressor::loss(output, target);
}

}  // namespace

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

TabularRun train_tabular(const TabularSettings& s, const TabularOptions& options) {
    check_settings(s);
    const data::TextTable table = data::read_table(s.file);
    const Split split = split_rows(table.size(), s.val_fraction, s.seed);
    data::TableOptions topt{.target = s.target, .ignore = parse_names(s.ignore)};
    if (s.task != "auto") topt.task = data::parse_task(s.task);
    const data::TableEncoding enc = data::fit_encoding(table, split.train, topt);

    const data::TextTable train_table = select_rows(table, split.train),
                          val_table = select_rows(table, split.val);
    Tensor x_train = enc.transform(train_table), y_train = enc.targets(train_table);  // (N, w)
    Tensor x_val, y_val;
    if (!split.val.empty()) x_val = enc.transform(val_table), y_val = enc.targets(val_table);

    manual_seed(s.seed);  // initialisation and dropout masks
    TabularRun run{.model = TabularModel::create(enc, {.hidden = parse_widths(s.hidden),
                                                       .dropout = s.dropout,
                                                       .batch_norm = s.batch_norm,
                                                       .residual = s.residual}),
                   .train_rows = static_cast<std::int64_t>(split.train.size()),
                   .val_rows = static_cast<std::int64_t>(split.val.size())};
    TabularModel& m = run.model;
    run.metric_name = enc.task == data::Task::Classification ? "accuracy" : "rmse";
    if (options.log)
        *options.log << s.file << ": " << table.size() << " rows (" << run.train_rows << " train, "
                     << run.val_rows << " validation), " << enc.inputs.size()
                     << " input columns -> " << enc.width() << " features; "
                     << data::task_name(enc.task) << " of '" << enc.target << "'"
                     << (enc.task == data::Task::Classification
                             ? " (" + std::to_string(enc.classes.size()) + " classes)"
                             : "")
                     << "\n"
                     << *m.net << "\n";

    // TODO(engine): replace with train::fit
    optim::Adam opt(m.net->parameters(), {.lr = s.lr, .weight_decay = s.weight_decay});
    data::DataLoader loader(
        std::make_shared<data::TensorDataset>(x_train, y_train),
        {.batch_size = s.batch_size, .shuffle = true, .seed = s.seed, .prefetch = false});
    double best = std::numeric_limits<double>::infinity();
    std::int64_t bad_epochs = 0;
    nn::StateDict best_weights;
    const std::int64_t every = std::max<std::int64_t>(1, s.epochs / 10);
    for (std::int64_t epoch = 0; epoch < s.epochs; ++epoch) {
        m.net->train();
        double loss_sum = 0;
        std::int64_t seen = 0;
        for (const data::Example& b : loader.epoch(epoch)) {
            opt.zero_grad();
            Tensor loss = loss_of(m, m.net->forward(b.input), b.target);
            loss.backward();
            opt.step();
            loss_sum += loss.item() * static_cast<double>(b.input.size(0));
            seen += b.input.size(0);
        }
        run.epochs = epoch + 1;
        double val_loss = 0;
        if (!split.val.empty()) {
            NoGrad no_grad;
            m.net->eval();
            val_loss = loss_of(m, m.net->forward(x_val), y_val).item();
            if (val_loss < best) {
                best = val_loss, bad_epochs = 0;
                best_weights = nn::StateDict();
                for (auto& [name, t] : m.net->state_dict().items())
                    best_weights.insert(name, t.clone());
            } else {
                ++bad_epochs;
            }
        }
        if (options.log && ((epoch + 1) % every == 0 || epoch + 1 == s.epochs))
            *options.log << "epoch " << epoch + 1 << "/" << s.epochs << ": train loss "
                         << loss_sum / static_cast<double>(seen) << ", val loss " << val_loss
                         << "\n";
        if (s.patience > 0 && bad_epochs >= s.patience) break;
    }
    if (best_weights.size()) m.net->load_state_dict(best_weights);

    if (!split.val.empty()) {
        run.val_metric = metric_of(m, x_val, y_val);
        run.baseline = baseline_of(m, y_train, y_val);
    }
    if (!options.out_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(options.out_dir, ec);
        check(!ec, "train csv: cannot create ", options.out_dir, ": ", ec.message());
        run.model_path = (std::filesystem::path(options.out_dir) / "model.safetensors").string();
        save_tabular(m, run.model_path);
    }
    return run;
}

}  // namespace soma::models
