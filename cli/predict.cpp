// soma predict: apply a model of `soma train csv` to new rows of a CSV file.
//   soma predict out/csv/checkpoint.safetensors new.csv --out predictions.csv
// The saved preprocessing encodes the rows exactly as in training. The target column may be
// absent; when present, the RMSE or accuracy is printed too. Predictions are a CSV with one
// column named after the target (values, or class names) and, for classification, one
// probability column per class ("p(<class>)").

#include <soma/error.h>
#include <soma/io/atomic_file.h>
#include <soma/models/tabular.h>
#include <soma/threading.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"

namespace soma::cli {

namespace {

struct PredictArgs {
    std::string checkpoint, file, out;
    int threads = 0;
};

// A field quoted when it holds a comma, a quote or surrounding spaces ("" inside quotes).
std::string csv_field(const std::string& s) {
    const bool quote = s.find_first_of(",\"\n") != std::string::npos ||
                       (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    if (!quote) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string predictions_csv(const models::TabularModel& m, const models::TabularPredictions& p) {
    std::ostringstream out;
    out << csv_field(m.encoding.target);
    for (const std::string& c : m.encoding.classes) out << "," << csv_field("p(" + c + ")");
    out << "\n";
    const std::vector<float> probs =
        p.probabilities.defined() ? p.probabilities.to_vector<float>() : std::vector<float>{};
    const std::size_t k = m.encoding.classes.size();
    char buf[32];
    for (std::size_t r = 0; r < p.labels.size(); ++r) {
        out << csv_field(p.labels[r]);
        for (std::size_t c = 0; c < k; ++c) {
            std::snprintf(buf, sizeof buf, ",%.6g", static_cast<double>(probs[r * k + c]));
            out << buf;
        }
        out << "\n";
    }
    return out.str();
}

int run_predict(const PredictArgs& a) {
    if (a.threads > 0) set_num_threads(a.threads);
    try {
        models::TabularModel m = models::load_tabular(a.checkpoint);
        const data::TextTable table = data::read_table(a.file);
        const models::TabularPredictions p = m.predict(table);
        const std::string text = predictions_csv(m, p);
        // Without --out the predictions are stdout's only content; the rest goes to stderr.
        std::ostream& info = a.out.empty() ? std::cerr : std::cout;
        if (a.out.empty()) {
            std::cout << text;
        } else {
            io::write_file_atomic(a.out, text);
            info << "wrote " << p.labels.size() << " predictions of '" << m.encoding.target << "' ("
                 << data::task_name(m.encoding.task) << ") to " << a.out << "\n";
        }
        for (const auto& [column, n] : p.unseen)
            info << "note: column '" << column << "': " << n
                 << " value(s) not seen in training, encoded as all zeros\n";
        if (p.metric)
            info << p.metric_name << " " << *p.metric << " on " << table.size() << " rows\n";
        else if (!p.no_metric.empty())
            info << "no " << p.metric_name << ": " << p.no_metric << "\n";
        return 0;
    } catch (const soma::Error& e) {
        std::cerr << "soma predict: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

Command add_predict(CLI::App& root, const Globals& /*globals*/) {
    CLI::App* app =
        root.add_subcommand("predict", "Apply a model of `soma train csv` to the rows of a CSV");
    auto a = std::make_shared<PredictArgs>();
    app->add_option("checkpoint", a->checkpoint,
                    "The model: checkpoint.safetensors or best.safetensors of soma train csv")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("file", a->file, "A CSV file with a header row (plain or .gz)")
        ->required()
        ->check(CLI::ExistingFile);
    app->add_option("--out", a->out, "Write the predictions here (default: print them)");
    app->add_option("--threads", a->threads, "Threads (0: the default)")
        ->check(CLI::Range(0, 1024));
    return {app, [a] { return run_predict(*a); }};
}

}  // namespace soma::cli
