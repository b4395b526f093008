// Epoch records as JSON, curves and confusion matrices as SVG, early stopping.

#include "soma/train/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "soma/error.h"
#include "soma/io/atomic_file.h"
#include "soma/plot/svg.h"

namespace soma::train {

namespace {

// ordered: a record reads back with its metrics in the order they were written
using json = nlohmann::ordered_json;

json to_object(const EpochRecord& r) {
    json j = json::object();
    j["epoch"] = r.epoch;
    for (const auto& [name, v] : r.values.items()) j[name] = v;
    return j;
}

EpochRecord from_object(const json& j) {
    check(j.is_object(), "record_from_json: not a JSON object: ", j.dump());
    EpochRecord r;
    check(j.contains("epoch") && j["epoch"].is_number_integer(),
          "record_from_json: no integer 'epoch' in ", j.dump());
    r.epoch = j["epoch"].get<std::int64_t>();
    for (const auto& [name, v] : j.items()) {
        if (name == "epoch") continue;
        check(v.is_number(), "record_from_json: '", name, "' is not a number in ", j.dump());
        r.values.set(name, v.get<double>());
    }
    return r;
}

json parse(const std::string& text, const char* what) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        fail(what, ": malformed JSON: ", e.what());
    }
}

}  // namespace

std::string to_json(const EpochRecord& r) { return to_object(r).dump(); }

EpochRecord record_from_json(const std::string& line) {
    return from_object(parse(line, "record_from_json"));
}

std::string history_to_json(const std::vector<EpochRecord>& history) {
    json a = json::array();
    for (const EpochRecord& r : history) a.push_back(to_object(r));
    return a.dump();
}

std::vector<EpochRecord> history_from_json(const std::string& text) {
    const json a = parse(text, "history_from_json");
    check(a.is_array(), "history_from_json: expected a JSON array");
    std::vector<EpochRecord> out;
    for (const json& j : a) out.push_back(from_object(j));
    return out;
}

void write_metrics(const std::string& path, const std::vector<EpochRecord>& history) {
    std::string text;
    for (const EpochRecord& r : history) text += to_json(r) + "\n";
    io::write_file_atomic(path, text);
}

void save_curves_svg(const std::string& path, const std::vector<EpochRecord>& history,
                     const std::string& title) {
    // The metrics behind train_<m> and val_<m>, in the order the records list them.
    std::vector<std::string> metrics;
    for (const EpochRecord& r : history)
        for (const auto& [name, v] : r.values.items())
            for (const char* prefix : {"train_", "val_"})
                if (name.rfind(prefix, 0) == 0) {
                    const std::string m = name.substr(std::strlen(prefix));
                    if (std::find(metrics.begin(), metrics.end(), m) == metrics.end())
                        metrics.push_back(m);
                }
    if (metrics.size() > 4) metrics.resize(4);
    if (metrics.empty()) metrics.push_back("loss");
    std::vector<plot::AxesOptions> panels;
    for (const std::string& m : metrics)
        panels.push_back({.title = m,
                          .xlabel = "epoch",
                          .ylabel = m.find("accuracy") != std::string::npos ? "%" : m,
                          .legend = m.find("accuracy") != std::string::npos
                                        ? plot::Legend::BottomRight
                                        : plot::Legend::TopRight});
    plot::Figure fig({.title = title, .width = 480 * int(metrics.size()), .height = 380}, panels);
    for (std::size_t k = 0; k < metrics.size(); ++k) {
        const double scale = metrics[k].find("accuracy") != std::string::npos ? 100 : 1;
        for (const char* split : {"train", "val"}) {
            const std::string key = std::string(split) + "_" + metrics[k];
            std::vector<double> x, y;
            for (const EpochRecord& r : history)
                if (r.values.has(key))
                    x.push_back(double(r.epoch)), y.push_back(scale * r.get(key));
            if (!x.empty())
                fig.axes(int(k)).line(x, y, split == std::string("train") ? "train" : "validation");
        }
    }
    fig.save(path);
}

std::string format_confusion(const Tensor& confusion, const std::vector<std::string>& names) {
    const std::int64_t c = confusion.size(0);
    const std::vector<std::int64_t> v = confusion.to_vector<std::int64_t>();
    auto name = [&](std::int64_t i) {
        std::string s = i < std::int64_t(names.size()) ? names[i] : std::to_string(i);
        return s.size() > 11 ? s.substr(0, 11) : s;
    };
    std::ostringstream os;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%-12s", "true\\pred");
    os << buf;
    for (std::int64_t j = 0; j < c; ++j) {
        std::snprintf(buf, sizeof buf, "%6lld", static_cast<long long>(j));
        os << buf;
    }
    os << "  recall\n";
    for (std::int64_t i = 0; i < c; ++i) {
        std::snprintf(buf, sizeof buf, "%lld %-10s", static_cast<long long>(i), name(i).c_str());
        os << buf;
        std::int64_t row = 0;
        for (std::int64_t j = 0; j < c; ++j) row += v[i * c + j];
        for (std::int64_t j = 0; j < c; ++j) {
            std::snprintf(buf, sizeof buf, "%6lld", static_cast<long long>(v[i * c + j]));
            os << buf;
        }
        std::snprintf(buf, sizeof buf, "  %5.1f%%\n", row ? 100.0 * v[i * c + i] / row : 0.0);
        os << buf;
    }
    return os.str();
}

void save_confusion_svg(const std::string& path, const Tensor& confusion,
                        const std::string& title) {
    const std::int64_t c = confusion.size(0);
    const std::vector<std::int64_t> v = confusion.to_vector<std::int64_t>();
    // Heat map row 0 is drawn at the bottom, so the y ticks read as true classes.
    std::vector<double> cells(c * c);
    for (std::int64_t i = 0; i < c; ++i) {
        std::int64_t row = 0;
        for (std::int64_t j = 0; j < c; ++j) row += v[i * c + j];
        for (std::int64_t j = 0; j < c; ++j)
            cells[i * c + j] = row ? double(v[i * c + j]) / row : 0.0;
    }
    plot::Figure fig({.title = title,
                      .xlabel = "predicted class",
                      .ylabel = "true class",
                      .width = 560,
                      .height = 480});
    fig.heatmap(cells, int(c), int(c),
                {.x0 = -0.5,
                 .x1 = c - 0.5,
                 .y0 = -0.5,
                 .y1 = c - 0.5,
                 .vmin = 0.0,
                 .vmax = 1.0,
                 .label = "fraction of the true class"});
    fig.save(path);
}

bool EarlyStopping::update(double val_loss) {
    if (val_loss < best_ - min_delta_) {
        best_ = val_loss;
        bad_epochs_ = 0;
        return false;
    }
    ++bad_epochs_;
    return patience_ > 0 && bad_epochs_ >= patience_;
}

}  // namespace soma::train

namespace soma::train {

Metrics::Metrics(std::initializer_list<std::pair<std::string, double>> items) {
    for (const auto& [name, v] : items) set(name, v);
}

void Metrics::set(const std::string& name, double value) {
    for (auto& item : items_)
        if (item.first == name) {
            item.second = value;
            return;
        }
    items_.emplace_back(name, value);
}

void Metrics::add(const std::string& name, double value) {
    for (auto& item : items_)
        if (item.first == name) {
            item.second += value;
            return;
        }
    items_.emplace_back(name, value);
}

bool Metrics::has(const std::string& name) const {
    for (const auto& item : items_)
        if (item.first == name) return true;
    return false;
}

double Metrics::get(const std::string& name) const {
    for (const auto& item : items_)
        if (item.first == name) return item.second;
    std::string known;
    for (const auto& item : items_) known += (known.empty() ? "" : ", ") + item.first;
    fail("no metric '", name, "' (there are: ", known.empty() ? "none" : known, ")");
}

}  // namespace soma::train
