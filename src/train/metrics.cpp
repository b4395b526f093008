// Epoch records as JSON, curves and confusion matrices as SVG, early stopping.

#include "soma/train/metrics.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "soma/error.h"
#include "soma/io/atomic_file.h"
#include "soma/plot/svg.h"

namespace soma::train {

namespace {

using nlohmann::json;

json to_object(const EpochRecord& r) {
    return json{{"epoch", r.epoch},
                {"train_loss", r.train_loss},
                {"train_accuracy", r.train_accuracy},
                {"val_loss", r.val_loss},
                {"val_accuracy", r.val_accuracy},
                {"test_loss", r.test_loss},
                {"test_accuracy", r.test_accuracy},
                {"lr", r.lr},
                {"seconds", r.seconds},
                {"samples_per_s", r.samples_per_s}};
}

EpochRecord from_object(const json& j) {
    check(j.is_object(), "record_from_json: not a JSON object: ", j.dump());
    EpochRecord r;
    try {
        r.epoch = j.at("epoch").get<std::int64_t>();
        r.train_loss = j.at("train_loss").get<double>();
        r.train_accuracy = j.at("train_accuracy").get<double>();
        r.val_loss = j.at("val_loss").get<double>();
        r.val_accuracy = j.at("val_accuracy").get<double>();
        r.test_loss = j.at("test_loss").get<double>();
        r.test_accuracy = j.at("test_accuracy").get<double>();
        r.lr = j.at("lr").get<double>();
        r.seconds = j.at("seconds").get<double>();
        r.samples_per_s = j.at("samples_per_s").get<double>();
    } catch (const json::exception& e) {
        fail("record_from_json: ", e.what(), " in ", j.dump());
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
    std::vector<double> x, tl, vl, sl, ta, va, sa;
    for (const EpochRecord& r : history) {
        x.push_back(double(r.epoch));
        tl.push_back(r.train_loss), vl.push_back(r.val_loss), sl.push_back(r.test_loss);
        ta.push_back(100 * r.train_accuracy), va.push_back(100 * r.val_accuracy);
        sa.push_back(100 * r.test_accuracy);
    }
    plot::Figure fig({.title = title, .width = 960, .height = 380},
                     {{.title = "loss", .xlabel = "epoch", .ylabel = "cross-entropy"},
                      {.title = "accuracy",
                       .xlabel = "epoch",
                       .ylabel = "%",
                       .legend = plot::Legend::BottomRight}});
    fig.axes(0)
        .line(x, tl, "train")
        .line(x, vl, "validation")
        .line(x, sl, "test", {.dashed = true});
    fig.axes(1)
        .line(x, ta, "train")
        .line(x, va, "validation")
        .line(x, sa, "test", {.dashed = true});
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
